"""Matchmaking events and roadshows: who organises and sees them, what is presented, sign-up, attendance.

Only the organising center's staff act on an event (the region admin reads everything, 403 on acting).
Announced events (open, closed, held, and cancelled after being opened) are seen by everyone when public,
by logged-in users when members-only; drafts only by the organising staff and the region admin. Who came
(names, phones) is kept to the organising staff and the region admin; the bureau of the center's
league/city sees which organisations took part; a member sees its own sign-up. A presented demand is shown
through ``transfer.service.public_fields`` as the public sees it, so its confidential detail never reaches
an event page, API answer or export."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.audit import service as audit
from ipoc.auth.roles import ANONYMOUS, Principal, Role
from ipoc.centers.models import ACTIVE_STATUSES, Center
from ipoc.db import utcnow
from ipoc.deals.models import Contact
from ipoc.deals.service import contacts_for_event
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.events import flows
from ipoc.events.models import EventState as S
from ipoc.events.models import TechEvent, TechEventItem, TechEventSignup
from ipoc.events.schemas import AttendanceIn, EventIn, ItemIn, SignupIn, WalkInIn
from ipoc.messages import service as messages
from ipoc.orgs.models import Organisation
from ipoc.orgs.service import require_verified
from ipoc.transfer import service as transfer
from ipoc.transfer.models import Demand, DemandState, Offer, OfferState
from ipoc.web.export import percent_cell
from ipoc.workflow import take

NOT_FOUND = "活动不存在"
FULL, ORGS, OWN, NONE = "full", "orgs", "own", "none"  # how much of the participant list a caller sees


def fmt(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "—"


# --- who is who ---------------------------------------------------------------------------------------


def organises(p: Principal, e: TechEvent) -> bool:
    return p.is_(Role.CENTER_STAFF) and e.center_id is not None and p.center_id == e.center_id


def _in_area(p: Principal, e: TechEvent) -> bool:
    return p.is_(Role.BUREAU_OFFICER) and e.center is not None and e.center.region_id in p.region_ids


def participant_view(p: Principal, e: TechEvent) -> str:
    """FULL (names and phones), ORGS (organisations, roles, attendance), OWN (own sign-up) or NONE."""
    if organises(p, e) or p.is_(Role.REGION_ADMIN):
        return FULL
    if _in_area(p, e):
        return ORGS
    if p.is_(Role.MEMBER) and p.org_id:
        return OWN
    return NONE


def sees_contacts(p: Principal, e: TechEvent) -> bool:
    return participant_view(p, e) in (FULL, ORGS)


def _announced() -> Any:
    return or_(
        TechEvent.state.in_(flows.PUBLISHED),
        and_(TechEvent.state == S.CANCELLED, TechEvent.opened_at.is_not(None)),
    )


def visible_events(p: Principal) -> Select[TechEvent]:
    stmt = select(TechEvent).order_by(TechEvent.starts_at.desc(), TechEvent.id.desc())
    if p.is_(Role.REGION_ADMIN):
        return stmt
    scope = _announced() if p.is_authenticated else and_(_announced(), TechEvent.public.is_(True))
    if p.is_(Role.CENTER_STAFF) and p.center_id:
        scope = or_(scope, TechEvent.center_id == p.center_id)
    return stmt.where(scope)


def list_events(
    session: Session,
    p: Principal,
    *,
    kind: str | None = None,
    state: str | None = None,
    center_id: int | None = None,
) -> list[TechEvent]:
    stmt = visible_events(p)
    if kind:
        stmt = stmt.where(TechEvent.kind == kind)
    if state:
        stmt = stmt.where(TechEvent.state == state)
    if center_id is not None:
        stmt = stmt.where(TechEvent.center_id == center_id)
    return list(session.scalars(stmt))


def split_by_time(events: list[TechEvent], now: datetime | None = None) -> tuple[list[TechEvent], list[TechEvent]]:
    """(upcoming or under way, soonest first; past, latest first)."""
    now = now or clock.beijing_now()
    upcoming = [e for e in events if (e.ends_at or e.starts_at) >= now]
    past = [e for e in events if (e.ends_at or e.starts_at) < now]
    return sorted(upcoming, key=lambda e: (e.starts_at, e.id)), past


def get_event(session: Session, p: Principal, event_id: int) -> TechEvent:
    event = session.scalar(visible_events(p).where(TechEvent.id == event_id))
    if event is None:
        raise NotFound(NOT_FOUND)
    return event


def managed_event(session: Session, p: Principal, event_id: int) -> TechEvent:
    event = get_event(session, p, event_id)
    if not organises(p, event):
        raise Forbidden("只有主办运营中心的工作人员可以办理该活动")
    return event


def _editable(event: TechEvent, what: str) -> None:
    if event.state not in flows.EDITABLE:
        raise Conflict(f"活动{event.state_label}，不能{what}")


# --- the event ----------------------------------------------------------------------------------------


def _event_values(data: EventIn) -> dict[str, Any]:
    if data.ends_at is not None and data.ends_at <= data.starts_at:
        raise InvalidInput("结束时间应晚于开始时间", field="ends_at")
    if data.signup_deadline is not None and data.signup_deadline > data.starts_at:
        raise InvalidInput("报名截止时间不能晚于开始时间", field="signup_deadline")
    return data.model_dump(exclude={"audience"}) | {"public": data.audience == "public"}


def _organising_center(session: Session, p: Principal) -> Center:
    if not (p.is_(Role.CENTER_STAFF) and p.center_id):
        raise Forbidden("只有运营中心工作人员可以组织对接活动")
    center = session.get(Center, p.center_id)
    if center is None or center.state not in ACTIVE_STATUSES:
        raise Conflict("运营中心不在认定有效期内，不能组织新的活动")
    return center


def create_event(session: Session, p: Principal, data: EventIn) -> TechEvent:
    center = _organising_center(session, p)
    event = TechEvent(center_id=center.id, created_by_id=p.user_id, state=S.DRAFT, **_event_values(data))
    audit.set_reason(session, "创建对接活动")
    session.add(event)
    session.flush()
    return event


def update_event(session: Session, p: Principal, event_id: int, data: EventIn) -> TechEvent:
    event = managed_event(session, p, event_id)
    _editable(event, "修改")
    values = _event_values(data)
    if values["capacity"] is not None and values["capacity"] < event.signup_count:
        raise InvalidInput(f"人数上限不能少于已报名的 {event.signup_count} 家单位", field="capacity")
    audit.set_reason(session, "修改对接活动")
    for key, value in values.items():
        setattr(event, key, value)
    session.flush()
    return event


def event_input(e: TechEvent) -> dict[str, Any]:
    """The stored event as input (the edit form, partial API updates); times as the browser sends them."""

    def local(moment: datetime | None) -> str | None:
        return moment.strftime("%Y-%m-%dT%H:%M") if moment else None

    values = {
        "kind": e.kind,
        "title": e.title,
        "starts_at": local(e.starts_at),
        "ends_at": local(e.ends_at),
        "place": e.place,
        "organisers": e.organisers,
        "description": e.description,
        "capacity": e.capacity,
        "signup_deadline": local(e.signup_deadline),
        "audience": "public" if e.public else "members",
    }
    return {k: v for k, v in values.items() if v is not None}


def signup_closes_at(e: TechEvent) -> datetime:
    return e.signup_deadline or e.starts_at


def transition(
    session: Session, p: Principal, event_id: int, action: str, reason: str = "", now: datetime | None = None
) -> TechEvent:
    if action not in flows.BY_ACTION:
        raise NotFound("页面不存在")
    event = managed_event(session, p, event_id)
    t = flows.BY_ACTION[action]
    flows.EVENTS.check_state(event, t)  # managed_event checked the staff
    now = now or clock.beijing_now()
    reason = reason.strip()
    if action in ("open", "reopen") and signup_closes_at(event) <= now:
        raise InvalidInput("报名截止时间已过，请先修改报名截止时间或开始时间", field="signup_deadline")
    if action == "hold" and event.starts_at > now:
        raise Conflict("活动尚未开始，不能标记为已举办")
    if t.needs_reason and len(reason) < 2:
        raise InvalidInput("请填写取消原因（至少 2 个字符）", field="reason")
    changes: dict[str, Any] = {}
    if t.target == S.OPEN and event.opened_at is None:
        changes["opened_at"] = utcnow()
    if t.target == S.CANCELLED:
        changes["cancel_reason"] = reason
    step = take(session, flows.EVENTS, event, action, owners=None, actor=p, reason=reason, changes=changes)
    if step.target in (S.CANCELLED, S.OPEN, S.CLOSED):  # those signed up hear that it is off, or of sign-up
        said = f"您单位报名的活动“{event.title}”：{t.label}" + (f"。原因：{reason}" if reason else "")
        signed = [s.org_id for s in event.signups]
        messages.tell(session, text=said, link=f"/events/{event.id}", organisations=signed)
    session.flush()
    return event


# --- presented demands and offers ---------------------------------------------------------------------


def _published_demand(session: Session, demand_id: int) -> Demand:
    demand = session.get(Demand, demand_id)
    if demand is None or demand.state != DemandState.PUBLISHED:
        raise InvalidInput("只能展示已发布的技术需求", field="demand_id")
    return demand


def _published_offer(session: Session, offer_id: int) -> Offer:
    offer = session.get(Offer, offer_id)
    if offer is None or offer.state != OfferState.PUBLISHED:
        raise InvalidInput("只能展示已发布的技术供给", field="offer_id")
    return offer


def _check_slot(data: ItemIn) -> None:
    if data.slot_end is not None and data.slot_start is None:
        raise InvalidInput("填写结束时刻时请同时填写开始时刻", field="slot_start")
    if data.slot_start is not None and data.slot_end is not None and data.slot_end <= data.slot_start:
        raise InvalidInput("结束时刻应晚于开始时刻", field="slot_end")


def add_item(session: Session, p: Principal, event_id: int, data: ItemIn) -> TechEventItem:
    event = managed_event(session, p, event_id)
    _editable(event, "调整展示项目")
    if (data.demand_id is None) == (data.offer_id is None):
        raise InvalidInput("请选择一项技术需求或一项技术供给（只选一项）", field="demand_id")
    if data.demand_id is not None:
        _published_demand(session, data.demand_id)
        if any(i.demand_id == data.demand_id for i in event.items):
            raise Conflict("该技术需求已在本活动展示")
    else:
        _published_offer(session, data.offer_id or 0)
        if any(i.offer_id == data.offer_id for i in event.items):
            raise Conflict("该技术供给已在本活动展示")
    _check_slot(data)
    position = max((i.position for i in event.items), default=-1) + 1
    item = TechEventItem(event_id=event.id, position=position, **data.model_dump())
    audit.set_reason(session, "添加展示项目")
    session.add(item)
    session.flush()
    session.expire(event, ["items"])
    return item


def _item(event: TechEvent, item_id: int) -> TechEventItem:
    for item in event.items:
        if item.id == item_id:
            return item
    raise NotFound("展示项目不存在")


def remove_item(session: Session, p: Principal, event_id: int, item_id: int) -> None:
    event = managed_event(session, p, event_id)
    _editable(event, "调整展示项目")
    item = _item(event, item_id)
    audit.set_reason(session, "移除展示项目")
    session.delete(item)
    session.flush()
    session.expire(event, ["items"])


def move_item(session: Session, p: Principal, event_id: int, item_id: int, step: int) -> None:
    """Move one place earlier (-1) or later (+1) in the running order; the order is renumbered 0, 1, …"""
    event = managed_event(session, p, event_id)
    _editable(event, "调整展示项目")
    items = list(event.items)
    index = items.index(_item(event, item_id))
    other = index + step
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
    audit.set_reason(session, "调整展示顺序")
    for position, item in enumerate(items):
        item.position = position
    session.flush()
    session.expire(event, ["items"])


def item_fields(item: TechEventItem) -> dict[str, Any]:
    """What anyone who sees the event sees of a presented item: a demand's public fields only."""
    if item.demand is not None:
        public = transfer.public_fields(ANONYMOUS, item.demand)
        title, org, summary = public["title"], public["org"], public["public_summary"]
        kind, link = "demand", f"/demands/{item.demand_id}"
        current = item.demand.state == DemandState.PUBLISHED
    else:
        offer = item.offer
        assert offer is not None
        title, org, summary = offer.title, offer.org.name, offer.problem_solved
        kind, link = "offer", f"/offers/{item.offer_id}"
        current = offer.state == OfferState.PUBLISHED
    return {
        "id": item.id,
        "position": item.position,
        "kind": kind,
        "kind_label": item.kind_label,
        "demand_id": item.demand_id,
        "offer_id": item.offer_id,
        "title": title,
        "org": org,
        "summary": summary,
        "presenter": item.presenter,
        "slot_start": item.slot_start,
        "slot_end": item.slot_end,
        "slot_label": item.slot_label,
        "link": link if current else None,
    }


def presentable(session: Session) -> dict[str, list[tuple[int, str]]]:
    """Published demands and offers the staff may put on an event (titles only)."""
    demands = session.execute(
        select(Demand.id, Demand.title).where(Demand.state == DemandState.PUBLISHED).order_by(Demand.id)
    )
    offers = session.execute(
        select(Offer.id, Offer.title).where(Offer.state == OfferState.PUBLISHED).order_by(Offer.id)
    )
    return {"demands": [(i, t) for i, t in demands], "offers": [(i, t) for i, t in offers]}


# --- sign-up and attendance ---------------------------------------------------------------------------


def _check_signup_window(event: TechEvent, now: datetime) -> None:
    if event.state != S.OPEN:
        raise Conflict(f"活动{event.state_label}，当前不接受报名")
    if signup_closes_at(event) <= now:
        raise Conflict(f"报名已于 {fmt(signup_closes_at(event))} 截止")


def _has_org(event: TechEvent, org_id: int | None, org_name: str) -> bool:
    if org_id is not None:
        return any(s.org_id == org_id for s in event.signups)
    return any(s.org_name == org_name for s in event.signups)


def signup(
    session: Session, p: Principal, event_id: int, data: SignupIn, now: datetime | None = None
) -> TechEventSignup:
    """A member signs up its own (verified) organisation, once, while sign-up is open and places are left."""
    event = get_event(session, p, event_id)
    if not (p.is_(Role.MEMBER) and p.org_id):
        raise Forbidden("只有会员单位用户可以为本单位报名")
    org = require_verified(session.get(Organisation, p.org_id))
    _check_signup_window(event, now or clock.beijing_now())
    if _has_org(event, org.id, org.name):
        raise Conflict("本单位已报名该活动，不能重复报名")
    if event.capacity is not None and event.signup_count >= event.capacity:
        raise Conflict(f"报名已满（上限 {event.capacity} 家单位）")
    entry = TechEventSignup(
        event_id=event.id, org_id=org.id, org_name=org.name, source="signup", signed_up_by_id=p.user_id,
        **data.model_dump(),
    )  # fmt: skip
    audit.set_reason(session, "报名参加活动")
    session.add(entry)
    session.flush()
    session.expire(event, ["signups"])
    return entry


def withdraw_signup(session: Session, p: Principal, event_id: int, now: datetime | None = None) -> TechEvent:
    """A member takes back its organisation's online sign-up before the event starts; the place is freed."""
    event = get_event(session, p, event_id)
    if not (p.is_(Role.MEMBER) and p.org_id):
        raise Forbidden("只有会员单位用户可以撤回本单位的报名")
    entry = next((s for s in event.signups if s.org_id == p.org_id and s.source == "signup"), None)
    if entry is None:
        raise NotFound("本单位未报名该活动")
    if event.state not in flows.SIGNED_UP_MAY_WITHDRAW or event.starts_at <= (now or clock.beijing_now()):
        raise Conflict(f"活动{event.state_label}，已不能撤回报名")
    audit.set_reason(session, "撤回报名")
    session.delete(entry)
    session.flush()
    session.expire(event, ["signups"])
    return event


def attendance_open(event: TechEvent, now: datetime | None = None) -> bool:
    """Whether attendance and walk-ins may be recorded now: an announced event, on its day or after."""
    return event.state in flows.PUBLISHED and (now or clock.beijing_now()).date() >= event.starts_at.date()


def _check_on_the_day(event: TechEvent, now: datetime, what: str) -> None:
    """Attendance and walk-ins: an announced event, on its day or after."""
    if event.state not in flows.PUBLISHED:
        raise Conflict(f"活动{event.state_label}，不能{what}")
    if now.date() < event.starts_at.date():
        raise Conflict(f"活动当天或举办后才能{what}")


def walk_in(
    session: Session, p: Principal, event_id: int, data: WalkInIn, now: datetime | None = None
) -> TechEventSignup:
    """The staff enter an organisation that came without signing up; it counts as attended. Capacity
    limits sign-up, not who is in the room, so a walk-in is never refused for being over it."""
    event = managed_event(session, p, event_id)
    _check_on_the_day(event, now or clock.beijing_now(), "登记现场参会单位")
    if data.org_id is not None:
        org = session.get(Organisation, data.org_id)
        if org is None:
            raise InvalidInput(f"平台中没有编号为 {data.org_id} 的单位", field="org_id")
        name = org.name
    elif len(data.org_name) >= 2:
        name = data.org_name
    else:
        raise InvalidInput("请填写参会单位名称（或平台单位编号）", field="org_name")
    if _has_org(event, data.org_id, name):
        raise Conflict("该单位已在参会名单中")
    fields = data.model_dump(exclude={"org_id", "org_name"})
    entry = TechEventSignup(
        event_id=event.id, org_id=data.org_id, org_name=name, source="walk_in", attended=True,
        signed_up_by_id=p.user_id, **fields,
    )  # fmt: skip
    audit.set_reason(session, "现场登记参会单位")
    session.add(entry)
    session.flush()
    session.expire(event, ["signups"])
    return entry


def mark_attendance(
    session: Session, p: Principal, event_id: int, data: AttendanceIn, now: datetime | None = None
) -> TechEvent:
    """The organising staff tick who came; every other sign-up is marked absent."""
    event = managed_event(session, p, event_id)
    _check_on_the_day(event, now or clock.beijing_now(), "登记出席情况")
    came = set(data.attended)
    if came - {s.id for s in event.signups}:
        raise InvalidInput("出席名单中有不属于本活动的报名", field="attended")
    audit.set_reason(session, "登记出席情况")
    for entry in event.signups:
        entry.attended = entry.id in came
    session.flush()
    return event


def participants(p: Principal, event: TechEvent) -> list[TechEventSignup]:
    """The sign-ups this caller may see (names and phones only at FULL; see ``participant_view``)."""
    view = participant_view(p, event)
    if view in (FULL, ORGS):
        return list(event.signups)
    if view == OWN:
        return [s for s in event.signups if s.org_id == p.org_id]
    return []


def signup_fields(entry: TechEventSignup, view: str) -> dict[str, Any]:
    personal = view in (FULL, OWN)
    return {
        "id": entry.id,
        "org_id": entry.org_id,
        "org_name": entry.org_name,
        "person_name": entry.person_name if personal else None,
        "phone": entry.phone if personal else None,
        "role": entry.role,
        "role_label": entry.role_label,
        "source": entry.source,
        "attended": entry.attended,
    }


def require_participant_list(p: Principal, event: TechEvent) -> str:
    view = participant_view(p, event)
    if view == NONE:
        raise Forbidden("参会名单仅主办运营中心和自治区局可见")
    return view


# --- contacts that came out of the event --------------------------------------------------------------


def event_contacts(session: Session, p: Principal, event: TechEvent) -> list[Contact]:
    """The contacts recorded for this event, for those who see who took part; the deals domain decides which
    of them the caller may see."""
    if not sees_contacts(p, event):
        return []
    return contacts_for_event(session, p, event.id)


# --- exports ------------------------------------------------------------------------------------------

EVENT_HEADERS = [
    "编号", "活动名称", "类型", "开始时间", "结束时间", "地点", "主办/承办", "运营中心", "开放范围",
    "人数上限", "报名截止", "状态", "报名单位数", "出席单位数", "出席率",
]  # fmt: skip
PARTICIPANT_HEADERS = ["单位", "参会人", "联系电话", "参会身份", "登记方式", "出席"]


def event_rows(events: list[TechEvent]) -> list[list[object]]:
    return [
        [e.id, e.title, e.kind_label, e.starts_at, e.ends_at, e.place, e.organisers,
         e.center.name if e.center else "", e.audience_label, e.capacity or "不限",
         e.signup_deadline, e.state_label, e.signup_count, e.attended_count, percent_cell(e.attendance_rate)]
        for e in events
    ]  # fmt: skip


def participant_rows(p: Principal, event: TechEvent) -> list[list[object]]:
    """The full list with names and phones: the organising staff and the region admin only."""
    if participant_view(p, event) != FULL:
        raise Forbidden("参会名单仅主办运营中心和自治区局可以导出")
    return [[s.org_name, s.person_name, s.phone, s.role_label, s.source_label, s.attended_label] for s in event.signups]
