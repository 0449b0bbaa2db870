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
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ipoc import clock, money
from ipoc.patents.ipc import ipc_subclass
from ipoc.patents.models import LegalEvent, Patent
from ipoc.patents.parsing import claim_counts
from ipoc.patents.term import expires_on, remaining_days

ABANDON_BELOW_YEARS = 3
RECOMMEND_FROM_YEARS = 5
STRONG_CITED = 5
STRONG_FAMILY = 2
# domain-rules §2: "较高质押融资金额" is unconfirmed; ¥10 million is the widely cited figure (❓).
HIGH_PLEDGE_THRESHOLD_YUAN = 10_000_000
# domain-rules §2: 维持年限 counted from the filing date (CNIPA statistics' usual base, ⚠️).
MAINTAINED_YEARS = 10

HIGH_VALUE_LABELS = {
    "overseas_family": "在海外有同族专利权",
    "maintained_10y": "维持年限超过 10 年",
    "high_pledge": "实现较高质押融资金额",
}
UNDECIDABLE_HIGH_VALUE = ("战略性新兴产业的发明专利", "获得国家科学技术奖或中国专利奖")
_FOREIGN_PUBLICATION = re.compile(r"(?<![A-Z])(?!CN)([A-Z]{2})\s?\d{4,}")
_AMOUNT = re.compile(r"\d+(?:\.\d+)?")


def field_of(ipc_main: str | None) -> tuple[str | None, str | None]:
    """(section, class) of the main IPC: ("H", "H01")."""
    subclass = ipc_subclass(ipc_main)
    return (subclass[0], subclass[:3]) if subclass else (None, None)


def _amount_yuan(detail: dict[str, str]) -> int | None:
    match = _AMOUNT.search((detail or {}).get("amount", "").replace(",", ""))
    if match is None:
        return None
    value = Decimal(match.group(0))  # not float: 0.57 万元 is 5,700 yuan, not 5,699
    return money.yuan(value) if "万" in detail["amount"] else money.round_yuan(value)


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


def indicators_of(patent: Patent, today: date) -> dict:
    """Simple indicators the record carries, and the high-value criteria (domain-rules §2) it decides."""
    events = list(patent.events)
    kinds = {e.kind for e in events}
    claims, independent = claim_counts(patent.claims)
    exclusive = any(
        e.kind == "licence" and (e.detail or {}).get("type") in ("exclusive", "sole") and _licence_in_force(e, today)
        for e in events
    )
    pledge_amounts = [a for e in events if e.kind == "pledge" and (a := _amount_yuan(e.detail)) is not None]
    high_value: list[str] = []
    if patent.kind == "invention" and patent.status_class == "valid":
        if _FOREIGN_PUBLICATION.search((patent.family or "").upper()):
            high_value.append("overseas_family")
        if patent.application_date and clock.add_months(patent.application_date, 12 * MAINTAINED_YEARS) <= today:
            high_value.append("maintained_10y")
        if any(amount >= HIGH_PLEDGE_THRESHOLD_YUAN for amount in pledge_amounts):
            high_value.append("high_pledge")
    return {
        "claims": claims,
        "independent_claims": independent,
        "cited_count": patent.cited_count,
        "family_size": patent.family_size,
        "licensed": "licence" in kinds,
        "transferred": "transfer" in kinds,
        "pledged": _pledged(events),
        "exclusive_licence": exclusive,
        "high_value": high_value,
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


def screen(patent: Patent, today: date) -> Screening:
    status = patent.status_class
    days = remaining_days(patent.kind, patent.application_date, status, today)
    years = None if days is None else round(days / 365.25, 1)
    section, klass = field_of(patent.ipc_main or next(iter(patent.ipc_codes or []), None))
    ind = indicators_of(patent, today)
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
