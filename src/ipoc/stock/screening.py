"""Screening of one patent from its record alone: legal status, remaining term, field, simple indicators,
the high-value criteria the record can decide, and a suggested action with its reasons.

Suggested action (the rule, in order; the first that applies wins):

1. legal status or application date unknown → 需人工判断 (nothing to compute from);
2. lapsed → 需人工判断: it cannot be transferred or licensed; one lapsed for unpaid fees may still be
   restorable (请求恢复权利), which only a person can check;
3. pending → 需人工判断: only the application right can be transferred; screen again after grant;
4. valid with less than 3 years left → 建议放弃维持 when the record shows no use (no licence, transfer or
   pledge), else 需人工判断 (someone relies on it);
5. valid with at least 5 years left and a strong signal (a high-value criterion, cited ≥ 5 times, a family
   of ≥ 2, or already licensed/transferred) → 推荐转化;
6. valid with an exclusive or sole licence in force, or pledged → 需人工判断 (an open licence is barred);
7. any other valid patent → 可开放许可 (the licensing module checks the remaining bars, such as the
   evaluation report of a utility model or design, when the declaration is made).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from ipoc import clock, money
from ipoc.config import get_settings
from ipoc.patents.ipc import ipc_subclass
from ipoc.patents.models import LegalEvent, Patent
from ipoc.patents.parsing import claim_counts
from ipoc.patents.term import expires_on, remaining_days

ABANDON_BELOW_YEARS = 3
RECOMMEND_FROM_YEARS = 5
STRONG_CITED = 5
STRONG_FAMILY = 2
MAINTAINED_YEARS = 10

# domain-rules §2: the five statistical criteria of a high-value invention. The record decides the first three
# when it carries their data; the last two it never does (a person checks them), so they stay 未知.
HIGH_VALUE_LABELS = {
    "overseas_family": "在海外有同族专利权",
    "maintained_10y": "维持年限超过 10 年",
    "high_pledge": "实现较高质押融资金额",
    "strategic_industry": "属于战略性新兴产业",
    "award": "获得国家科学技术奖或中国专利奖",
}
UNDECIDABLE_HIGH_VALUE = ("strategic_industry", "award")
CRITERION_STATES = {"yes": "满足", "no": "不满足", "unknown": "未知"}
HK_MO_TW = {"HK", "MO", "TW"}
NOT_A_RIGHT = {"WO", "ZL"}  # a PCT publication grants nothing; ZL is a Chinese number prefix, not an office
# A family member as the importer keeps it: "US2017123456A1", "EP 3100000 B1", "JP2018-123456A", "TWI612345B",
# "US 9,123,456 B2", separated by ";", ",", "、" or spaces.
_MEMBER = re.compile(r"(?<![A-Z0-9])([A-Z]{2})[\s\-]?([IM]?\d(?:[\d/\-.,]*\d)?)\s?([A-Z]\d?)?(?![A-Z0-9])")
# Kind codes of a granted right: B (examined patent, EP-B, US-B, JP-B …), C (granted in DE before 2004, CA, RU),
# E (US reissue), U/Y (registered utility model), S (registered design). A and its variants are publications.
_GRANTED_KIND = re.compile(r"[BCEUYS]\d?")


@dataclass(frozen=True)
class Rules:
    """The settings the criteria read (domain-rules §2 marks them unconfirmed): see config.Settings."""

    high_pledge_threshold_yuan: int = 10_000_000
    maintenance_base: str = "filing"
    overseas_includes_hk_mo_tw: bool = False

    @classmethod
    def from_settings(cls) -> Rules:
        s = get_settings()
        return cls(s.high_pledge_threshold_yuan, s.maintenance_base, s.overseas_includes_hk_mo_tw)


def field_of(ipc_main: str | None) -> tuple[str | None, str | None]:
    """(section, class) of the main IPC: ("H", "H01")."""
    subclass = ipc_subclass(ipc_main)
    return (subclass[0], subclass[:3]) if subclass else (None, None)


def _amount_yuan(detail: dict[str, str]) -> int | None:
    return money.parse_yuan((detail or {}).get("amount"))


def _licence_in_force(event: LegalEvent, today: date) -> bool:
    end = (event.detail or {}).get("term_end", "")
    try:
        return not end or date.fromisoformat(end[:10]) >= today
    except ValueError:
        return True  # an unreadable end date: assume in force, a person looks at it


def _pledged(events: list[LegalEvent]) -> bool:
    """A pledge not followed by a release."""
    state = False
    for event in sorted(events, key=lambda e: (e.event_date or date.min, e.id or 0)):
        if event.kind == "pledge":
            state = True
        elif event.kind == "pledge_release":
            state = False
    return state


def family_members(family: str | None) -> list[tuple[str, str | None]]:
    """(office, kind code or None) of each member the family text names."""
    text = unicodedata.normalize("NFKC", family or "").upper()
    return [(office, kind or None) for office, _number, kind in _MEMBER.findall(text)]


def overseas_family(patent: Patent, rules: Rules) -> str:
    """yes: a member granted abroad; no: the members are known and none is a right abroad (only CN, WO, or
    publications such as EP-A/US-A1); unknown: no family data, or a member abroad without a kind code."""
    domestic = {"CN"} | (set() if rules.overseas_includes_hk_mo_tw else HK_MO_TW)
    abroad = [(office, kind) for office, kind in family_members(patent.family) if office not in domestic | NOT_A_RIGHT]
    if any(kind and _GRANTED_KIND.fullmatch(kind) for _office, kind in abroad):
        return "yes"
    if any(kind is None for _office, kind in abroad):
        return "unknown"
    if abroad or family_members(patent.family):
        return "no"
    return "no" if patent.family_size == 1 else "unknown"  # only itself, or nothing known


def maintained_over_10y(patent: Patent, today: date, rules: Rules) -> str:
    """Strictly more than ten years since the base date: not yet on the tenth anniversary itself."""
    base = patent.grant_date if rules.maintenance_base == "grant" else patent.application_date
    if base is None:
        return "unknown"
    return "yes" if clock.add_months(base, 12 * MAINTAINED_YEARS) < today else "no"


def high_pledge(patent: Patent, rules: Rules) -> str:
    """A pledge of at least the threshold; a pledge whose amount cannot be read, or a record with no legal
    events at all, leaves it unknown."""
    events = list(patent.events)
    amounts = [_amount_yuan(e.detail) for e in events if e.kind == "pledge"]
    if any(a is not None and a >= rules.high_pledge_threshold_yuan for a in amounts):
        return "yes"
    return "unknown" if None in amounts or not events else "no"


def criteria_of(patent: Patent, today: date, rules: Rules) -> dict[str, str]:
    """Each high-value criterion as yes / no / unknown. Only a valid invention can qualify: another kind or
    status answers no throughout, an unknown kind or status leaves a criterion that would fire unknown."""
    found = {
        "overseas_family": overseas_family(patent, rules),
        "maintained_10y": maintained_over_10y(patent, today, rules),
        "high_pledge": high_pledge(patent, rules),
    } | dict.fromkeys(UNDECIDABLE_HIGH_VALUE, "unknown")
    if patent.kind is None or patent.status_class is None:
        return {code: "unknown" if state != "no" else "no" for code, state in found.items()}
    if patent.kind != "invention" or patent.status_class != "valid":
        return dict.fromkeys(found, "no")
    return found


@dataclass
class Screening:
    status_class: str | None
    kind: str | None
    ipc_section: str | None
    ipc_class: str | None
    expires_on: date | None
    remaining_days: int | None
    indicators: dict
    suggestion: str
    reasons: list[str] = field(default_factory=list)


def indicators_of(patent: Patent, today: date, rules: Rules | None = None) -> dict:
    """Simple indicators the record carries, and each high-value criterion (domain-rules §2) with its state."""
    events = list(patent.events)
    kinds = {e.kind for e in events}
    claims, independent = claim_counts(patent.claims)
    exclusive = any(
        e.kind == "licence" and (e.detail or {}).get("type") in ("exclusive", "sole") and _licence_in_force(e, today)
        for e in events
    )
    criteria = criteria_of(patent, today, rules or Rules.from_settings())
    return {
        "claims": claims,
        "independent_claims": independent,
        "cited_count": patent.cited_count,
        "family_size": patent.family_size,
        "licensed": "licence" in kinds,
        "transferred": "transfer" in kinds,
        "pledged": _pledged(events),
        "exclusive_licence": exclusive,
        "criteria": criteria,
        "high_value": [code for code, state in criteria.items() if state == "yes"],
    }


def _strengths(ind: dict) -> list[str]:
    signals = [f"高价值专利：{HIGH_VALUE_LABELS[code]}" for code in ind["high_value"]]
    if (ind["cited_count"] or 0) >= STRONG_CITED:
        signals.append(f"被引证 {ind['cited_count']} 次")
    if (ind["family_size"] or 0) >= STRONG_FAMILY:
        signals.append(f"同族 {ind['family_size']} 件")
    if ind["licensed"] or ind["transferred"]:
        signals.append("已有许可或转让记录")
    return signals


def suggest(status: str | None, years: float | None, ind: dict) -> tuple[str, list[str]]:
    """The suggested action and its reasons (the rule is in the module docstring)."""
    if status is None or years is None:
        return "manual", ["法律状态、专利类型或申请日不明，无法计算"]
    if status == "lapsed":
        return "manual", ["专利已失效，不能转让或许可；如因未缴年费失效，请核实是否仍可请求恢复权利"]
    if status == "pending":
        return "manual", ["尚未授权，只能转让申请权；授权后再次筛查"]
    in_use = ind["licensed"] or ind["transferred"] or ind["pledged"]
    if years < ABANDON_BELOW_YEARS:
        if in_use:
            return "manual", [f"剩余保护期 {years} 年不足 {ABANDON_BELOW_YEARS} 年，但有许可、转让或质押记录"]
        return "abandon", [f"剩余保护期 {years} 年不足 {ABANDON_BELOW_YEARS} 年，且无许可、转让或质押记录"]
    strengths = _strengths(ind)
    if years >= RECOMMEND_FROM_YEARS and strengths:
        return "recommend", [f"有效，剩余保护期 {years} 年", *strengths]
    if ind["exclusive_licence"] or ind["pledged"]:
        return "manual", ["存在有效的独占/排他许可或未解除的质押，不能开放许可"]
    return "open_licence", [f"有效，剩余保护期 {years} 年，无独占/排他许可和质押"]


def screen(patent: Patent, today: date, rules: Rules | None = None) -> Screening:
    status = patent.status_class
    days = remaining_days(patent.kind, patent.application_date, status, today)
    years = None if days is None else round(days / 365.25, 1)
    section, klass = field_of(patent.ipc_main or next(iter(patent.ipc_codes or []), None))
    ind = indicators_of(patent, today, rules)
    action, reasons = suggest(status, years, ind)
    return Screening(
        status_class=status,
        kind=patent.kind,
        ipc_section=section,
        ipc_class=klass,
        expires_on=expires_on(patent.kind, patent.application_date),
        remaining_days=days,
        indicators=ind,
        suggestion=action,
        reasons=reasons,
    )


REMAINING_BANDS = (
    ("lt3", "不足 3 年", 0, 3),
    ("3to5", "3–5 年", 3, 5),
    ("5to10", "5–10 年", 5, 10),
    ("ge10", "10 年及以上", 10, None),
)


def remaining_band(status: str | None, years: float | None) -> str:
    """A band label for the report: lapsed and unknown apart from the year bands."""
    if status == "lapsed":
        return "已失效"
    if years is None:
        return "未知"
    for _code, label, low, high in REMAINING_BANDS:
        if years >= low and (high is None or years < high):
            return label
    return "未知"
