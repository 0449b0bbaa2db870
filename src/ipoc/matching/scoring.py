"""The pieces a match score is made of, and the short Chinese reasons that explain it.

A candidate's score is its text relevance (the patent search's hybrid ranking, normalised to [0, 1]) adjusted
by what a center's staff check next: does the field agree (IPC), can the patent still be licensed (legal status,
remaining term), do the offer's terms fit the demand (price vs budget, cooperation mode). Text relevance comes
first because a patent in the right field that does not answer the need is of no use; the adjustments re-order
candidates of similar relevance.

How the weights were chosen: the text side is the search module's fusion (RRF k = 60, lexical 1, semantic 1.5,
tuned on the search benchmark). The adjustments were set by hand from the staff's order of preference (a
granted patent in force beats a pending one, which beats a lapsed one that anyone may use freely but nobody can
license; an IPC agreement counts as much as a few ranks of text relevance) and were checked, not tuned, on
``benchmarks/need_quality.py``: the CCF records carry neither IPC nor legal status, so the benchmark
measures the text side alone and the adjustments cannot have been fitted to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ipoc import money
from ipoc.patents.ipc import normalise_ipc, split_ipc_list
from ipoc.patents.term import expires_on
from ipoc.search.fusion import LEXICAL_WEIGHT, RRF_K, SEMANTIC_WEIGHT
from ipoc.transfer.models import MODES

# --- weights ------------------------------------------------------------------------------------------------

IPC_WEIGHT = {"code": 0.30, "group": 0.20, "subclass": 0.10}  # score × (1 + weight) for the closest IPC level shared
STATUS_FACTOR = {"valid": 1.0, "pending": 0.85, None: 0.8, "lapsed": 0.5}  # None: status not recorded
EXPIRED_FACTOR = 0.5  # the protection term has run out (same as lapsed: free to use, nothing to license)
FIELD_PENALTY = 0.5  # score × (1 − penalty) when a same-source rejection said 领域不符 for this IPC main group
MODE_BONUS = 0.05  # offer and demand share a cooperation mode
BUDGET_BONUS = 0.05  # the offer's price lies within the demand's budget
BUDGET_MALUS = 0.10  # the offer's lowest price is above the demand's highest budget
IPC_CONFIDENCE = 0.15  # a shared IPC adds to the confidence that the candidate is on topic
CONFIDENCE_LABELS = ((0.6, "高"), (0.35, "中"), (0.0, "低"))
# A patent only the words found (the embedding did not) is kept from this share of the best word score on; search
# keeps it from 0.3 (search.fusion.STRONG_LEXICAL). A match list is a shortlist a person reviews, so a weaker word
# match stays, labelled 低: every lexical hit already holds at least two of the need's key terms
# (search.query.should_match), and a need's key terms are weighted by how often it repeats them, so its best patent
# can far outscore neighbours that are still on topic (the demo's magnet demand: one patent on almost every word,
# three NdFeB patents on a few, at 0.13–0.24 of its score).
STRONG_LEXICAL = 0.05

# Words that describe any improvement in any field: shared by two texts they say nothing about the technology
# (the search's FUNCTION_WORDS already drop 的, 如何, 需要 …). Numbers are dropped as well.
GENERIC_TERMS = frozenset(
    [
        "降低",
        "提高",
        "提升",
        "增加",
        "减少",
        "成本",
        "低成本",
        "超过",
        "低于",
        "不低于",
        "高于",
        "不超过",
        "以上",
        "以下",
        "左右",
        "达到",
        "满足",
        "要求",
        "目标",
        "效果",
        "效率",
        "性能",
        "能耗",
        "时间",
        "使用",
        "应用",
        "方法",
        "工艺",
        "产品",
        "生产",
        "制备",
        "研发",
        "开发",
        "项目",
        "行业",
        "市场",
        "企业",
        "公司",
        "国内",
        "国外",
        "现有",
        "目前",
        "主要",
        "相关",
        "一定",
        "进行",
        "采用",
        "具有",
        "包括",
        "利用",
        "实现",
        "解决",
        "问题",
        "技术",
        "装置",
        "设备",
        "系统",
        "结构",
        "材料",
    ]
)
SNIPPET_CHARS = 48


def max_fused(semantic: bool) -> float:
    """The best fused score a document can get: first on every side that ranked."""
    return (LEXICAL_WEIGHT + (SEMANTIC_WEIGHT if semantic else 0.0)) / (RRF_K + 1)


def confidence_label(confidence: float) -> str:
    return next(label for floor, label in CONFIDENCE_LABELS if confidence >= floor)


# --- IPC ----------------------------------------------------------------------------------------------------


def ipc_hints(raw: str) -> list[str]:
    """A demand's IPC hints as written by people: full codes ("H01F 1/057"), main groups ("H01F 1", "H01F1/00")
    or subclasses ("H01F"); returned as canonical codes or bare subclasses, upper case."""
    hints: list[str] = []
    for part in re.split(r"[;,，；、|\s]+(?=[A-Ha-h]\d)", (raw or "").strip()):
        part = part.strip().upper()
        if not part:
            continue
        code = normalise_ipc(part) or normalise_ipc(part + "/00")
        hint = code or (part[:4] if re.fullmatch(r"[A-H]\d{2}[A-Z]", part[:4]) else None)
        if hint and hint not in hints:
            hints.append(hint)
    return hints


def main_group(code: str | None) -> str | None:
    """``H01F 1`` of ``H01F 1/057``."""
    canonical = normalise_ipc(code or "")
    return canonical.split("/")[0] if canonical else None


def ipc_overlap(hints: list[str], codes: list[str]) -> tuple[str, str] | None:
    """The closest level (code, group, subclass) at which a hint meets a patent's codes, with the shared part."""
    best: tuple[str, str] | None = None
    order = list(IPC_WEIGHT)
    for hint in hints:
        for code in codes:
            if hint == code:
                level, shared = "code", code
            elif hint.endswith("/00") and main_group(hint) == main_group(code):
                level, shared = "group", main_group(code) or code
            elif hint[:4] == code[:4]:
                level, shared = "subclass", code[:4]
            else:
                continue
            if best is None or order.index(level) < order.index(best[0]):
                best = (level, shared)
    return best


def ipc_reason(level: str, shared: str) -> str:
    texts = {"code": "IPC 分类号相同：{}", "group": "同属 IPC 主组 {}", "subclass": "同属 IPC 小类 {}"}
    return texts[level].format(shared)


def patent_codes(ipc_main: str | None, ipc_codes: list[str]) -> list[str]:
    codes, _ = split_ipc_list("；".join([ipc_main or "", *ipc_codes]))
    return codes


# --- legal status and term ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LegalView:
    factor: float
    reasons: list[str]


def legal_view(status_class: str | None, kind: str | None, application_date: date | None, today: date) -> LegalView:
    """How legal status and remaining term weigh on a patent, and how to say it."""
    factor = STATUS_FACTOR.get(status_class, STATUS_FACTOR[None])
    reasons = {
        "valid": ["专利有效"],
        "pending": ["专利审查中，尚未授权"],
        "lapsed": ["专利已失效，排序靠后"],
    }.get(status_class or "", ["法律状态未知"])
    end = expires_on(kind, application_date)
    if end is not None and status_class != "lapsed":
        if end < today:
            factor = min(factor, EXPIRED_FACTOR)
            reasons.append("保护期已届满，排序靠后")
        else:
            years = (end - today).days / 365.25
            reasons.append(f"剩余保护期约{years:.0f}年" if years >= 1 else "剩余保护期不足1年")
    return LegalView(factor, reasons)


# --- terms: price and cooperation mode ----------------------------------------------------------------------


def budget_fit(
    price_min: int | None, price_max: int | None, budget_min: int | None, budget_max: int | None
) -> tuple[float, str | None]:
    """(score adjustment, reason) of an offer's price range against a demand's budget range; either open → none."""
    if budget_max is None or (price_min is None and price_max is None):
        return 0.0, None
    lowest = price_min if price_min is not None else price_max
    if lowest is not None and lowest > budget_max:
        return -BUDGET_MALUS, f"超出预算（报价不低于{money.wan(lowest)}万元）"
    return BUDGET_BONUS, "报价在预算内"


def mode_fit(offer_modes: list[str], demand_modes: list[str]) -> tuple[float, str | None]:
    if not offer_modes or not demand_modes:
        return 0.0, None
    shared = [m for m in demand_modes if m in offer_modes]
    if shared:
        return MODE_BONUS, "合作方式一致：" + "、".join(MODES.get(m, m) for m in shared)
    return 0.0, "合作方式不一致"


# --- text ---------------------------------------------------------------------------------------------------


def passage(text: str, terms: list[str]) -> str | None:
    """The sentence of a text that holds the most of the terms, cut to SNIPPET_CHARS around its first match."""
    if not text or not terms:
        return None
    sentences = [s for s in re.split(r"(?<=[。；;！？!?])", text) if s.strip()]
    best = max(sentences, key=lambda s: sum(1 for t in terms if t in s), default="")
    hits = [best.find(t) for t in terms if t in best]
    if not hits:
        return None
    start = max(0, min(hits) - SNIPPET_CHARS // 4)
    cut = best[start : start + SNIPPET_CHARS].strip()
    return ("…" if start else "") + cut + ("…" if start + SNIPPET_CHARS < len(best.rstrip()) else "")
