"""The center staff's desk for technology transfer (对接工作台): the matches waiting for a decision, the open deals
stalest first, the demands the center handles that have never been matched, and the center's coming events.
It only gathers what the matching, deals and events services already allow the caller to see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from ipoc import clock
from ipoc.auth.roles import Principal, Role
from ipoc.deals import service as deals
from ipoc.deals.models import Deal
from ipoc.errors import Forbidden
from ipoc.events import service as events
from ipoc.events.models import EventState, TechEvent
from ipoc.matching import service as matching
from ipoc.matching.models import Match
from ipoc.transfer.models import Demand, DemandState

COMING_EVENT_STATES = (EventState.DRAFT, EventState.OPEN, EventState.CLOSED)
T = TypeVar("T")


@dataclass(frozen=True)
class MatchRow:
    match: Match
    source: str
    target: matching.TargetView


@dataclass(frozen=True)
class DealRow:
    deal: Deal
    idle_days: int  # since the deal's latest stage date


@dataclass
class Inbox:
    matches: list[MatchRow] = field(default_factory=list)
    deals: list[DealRow] = field(default_factory=list)
    unmatched: list[Demand] = field(default_factory=list)
    events: list[TechEvent] = field(default_factory=list)


def _require_desk(p: Principal) -> None:
    if not (p.is_(Role.CENTER_STAFF) and p.center_id) and not p.is_(Role.REGION_ADMIN):
        raise Forbidden("对接工作台供运营中心工作人员和自治区局使用")


def _scoped(stmt: Select[T], column: InstrumentedAttribute[int | None], p: Principal) -> Select[T]:
    """The staff member's own center; every center for the region admin."""
    return stmt.where(column == p.center_id) if p.is_(Role.CENTER_STAFF) else stmt


def _unmatched_query(p: Principal) -> Select[Demand]:
    """Published demands a center handles that no match was ever proposed for: matching has not been run."""
    stmt = select(Demand).where(
        Demand.state == DemandState.PUBLISHED,
        Demand.center_id.is_not(None),
        ~exists().where(Match.demand_id == Demand.id),
    )
    return _scoped(stmt, Demand.center_id, p).order_by(Demand.published_at, Demand.id)


def _coming_query(p: Principal, now: datetime) -> Select[TechEvent]:
    stmt = select(TechEvent).where(TechEvent.state.in_(COMING_EVENT_STATES), TechEvent.starts_at >= now)
    return _scoped(stmt, TechEvent.center_id, p).order_by(TechEvent.starts_at)


def _queries(p: Principal, now: datetime | None) -> dict[str, Select | None]:
    """What the desk holds, by part: the queries its lists come from, so that the counts agree with them."""
    return {
        "matches": matching.inbox_query(p),
        "deals": deals.follow_query(p),
        "unmatched": _unmatched_query(p),
        "events": _coming_query(p, now or clock.beijing_now()),
    }


def inbox(session: Session, p: Principal, today: date | None = None, now: datetime | None = None) -> Inbox:
    _require_desk(p)
    today = today or clock.today()
    return Inbox(
        matches=[
            MatchRow(m, matching.source_label(session, m), matching.target_view(session, m))
            for m in matching.inbox_matches(session, p)
        ],
        deals=[DealRow(d, (today - d.last_step_on).days) for d in deals.deals_to_follow(session, p)],
        unmatched=list(session.scalars(_unmatched_query(p))),
        events=list(session.scalars(_coming_query(p, now or clock.beijing_now()))),
    )


def counts(session: Session, p: Principal, now: datetime | None = None) -> dict[str, int]:
    """How many items each part of the desk holds, counted in the database (for the dashboard)."""
    _require_desk(p)
    return {
        part: 0 if q is None else session.scalar(select(func.count()).select_from(q.order_by(None).subquery())) or 0
        for part, q in _queries(p, now).items()
    }


EXPORT_HEADERS = ["类别", "事项", "对象", "状态", "说明", "链接"]


def export_rows(box: Inbox) -> list[list[object]]:
    """One row per item to act on, in the order the page shows them."""
    rows: list[list[object]] = []
    for m in box.matches:
        conf = f"置信度 {m.match.confidence:.2f}（{m.match.confidence_label}）"
        rows.append(["待审核匹配", m.source, m.target.label, m.match.state_label, conf, f"/matches/{m.match.id}"])
    for r in box.deals:
        d = r.deal
        note = f"{d.mode_label}，{d.amount_wan} 万元，{r.idle_days} 天未推进"
        rows.append(["跟进中的交易", d.title, f"{d.provider} → {d.seeker}", d.state_label, note, f"/deals/{d.id}"])
    for demand in box.unmatched:
        rows.append(
            ["尚未匹配的需求", demand.title, demand.org.name, demand.state_label, "", f"/demands/{demand.id}/matches"]
        )
    for e in box.events:
        rows.append(["近期活动", e.title, e.place, e.state_label, events.fmt(e.starts_at), f"/events/{e.id}"])
    return rows
