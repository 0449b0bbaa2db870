"""Demo events, made through the services the pages use: a roadshow of the demo university's offers held two
weeks before the day the demo is loaded (with sign-ups, a walk-in and attendance), and a matchmaking event open
for sign-up three weeks ahead presenting the demo demands and offers. The sign-ups of the past roadshow are
made at the moments they would have happened, which the services take as ``now``."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.auth.models import User
from ipoc.events import service as events
from ipoc.events.models import TechEvent
from ipoc.events.schemas import AttendanceIn, EventIn, ItemIn, ParticipantRole, SignupIn, WalkInIn
from ipoc.ops.demo_lifecycle import demo_principal
from ipoc.orgs.models import Organisation
from ipoc.transfer.models import Demand, DemandState, Offer, OfferState

ORGANISERS = "主办：内蒙古自治区知识产权局\n承办：内蒙古自治区稀土新材料知识产权运营中心"


def _at(day: datetime, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day.date(), time(hour, minute))


def _published(session: Session, model: type[Demand] | type[Offer]) -> list[int]:
    published = DemandState.PUBLISHED if model is Demand else OfferState.PUBLISHED
    return list(session.scalars(select(model.id).where(model.state == published).order_by(model.id)))


def _roadshow(session: Session, now: datetime) -> None:
    staff = demo_principal(session, "center")
    starts = _at(now - timedelta(days=14), 14)
    data = EventIn(
        kind="roadshow",
        title="高校稀土新材料科技成果路演（示例）",
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        place="包头市稀土高新区科技成果转化中心 3 楼路演厅",
        organisers=ORGANISERS,
        description="内蒙古示例大学集中发布稀土永磁、储氢材料方向的可转让、可许可专利技术，企业现场提问交流。",
        capacity=30,
        signup_deadline=starts - timedelta(days=1),
        audience="public",
    )
    event = events.create_event(session, staff, data)
    for n, offer_id in enumerate(_published(session, Offer)):
        slot = time(14 + n // 2, 30 * (n % 2))
        item = ItemIn(offer_id=offer_id, presenter="示例大学技术转移中心", slot_start=slot)
        events.add_item(session, staff, event.id, item)
    events.transition(session, staff, event.id, "open", now=starts - timedelta(days=10))
    signups: tuple[tuple[str, str, str, ParticipantRole], ...] = (
        ("member", "王老师", "13904710001", "provider"),
        ("dairy", "李经理", "13904760002", "seeker"),
    )
    for username, person, phone, role in signups:
        entry = SignupIn(person_name=person, phone=phone, role=role)
        events.signup(session, demo_principal(session, username), event.id, entry, now=starts - timedelta(days=5))
    events.transition(session, staff, event.id, "close", now=starts - timedelta(days=1))
    institute = session.scalar(select(Organisation.id).where(Organisation.name == "鄂尔多斯示例煤化工研究院"))
    walk_in = WalkInIn(org_id=institute, person_name="赵工", phone="0477-8500003", role="audience")
    events.walk_in(session, staff, event.id, walk_in, now=starts)
    came = [s.id for s in event.signups if s.org_name != "赤峰示例乳业有限公司"]
    events.mark_attendance(session, staff, event.id, AttendanceIn(attended=came), now=starts + timedelta(hours=3))
    events.transition(session, staff, event.id, "hold", now=starts + timedelta(hours=3))


def _matchmaking(session: Session, now: datetime) -> None:
    staff = demo_principal(session, "center")
    starts = _at(now + timedelta(days=21), 9, 30)
    data = EventIn(
        kind="matchmaking",
        title="稀土新材料产业技术供需对接会（示例）",
        starts_at=starts,
        ends_at=_at(starts, 17),
        place="包头市昆都仑区示例会议中心 2 号厅",
        organisers=ORGANISERS,
        description="发布稀土永磁、储氢等方向的企业技术需求和高校院所技术供给，现场一对一洽谈。",
        capacity=60,
        signup_deadline=_at(starts - timedelta(days=3), 17),
        audience="public",
    )
    event = events.create_event(session, staff, data)
    slot = time(10, 0)
    subjects: list[tuple[int | None, int | None]] = [(demand_id, None) for demand_id in _published(session, Demand)]
    subjects += [(None, offer_id) for offer_id in _published(session, Offer)]
    for demand_id, offer_id in subjects:  # (demand, offer): the demands first, then the offers
        end = (datetime.combine(starts.date(), slot) + timedelta(minutes=20)).time()
        item = ItemIn(demand_id=demand_id, offer_id=offer_id, slot_start=slot, slot_end=end)
        events.add_item(session, staff, event.id, item)
        slot = end
    events.transition(session, staff, event.id, "open", now=now)
    entry = SignupIn(person_name="王老师", phone="13904710001", role="provider")
    events.signup(session, demo_principal(session, "member"), event.id, entry, now=now)


def load(session: Session, now: datetime | None = None) -> bool:
    """Both events once; False when there are events already or the demo center's staff login is missing."""
    if session.scalar(select(TechEvent.id).limit(1)) is not None:
        return False
    if session.scalar(select(User.id).where(User.username == "center")) is None:
        return False
    now = now or clock.beijing_now()
    _roadshow(session, now)
    _matchmaking(session, now)
    session.flush()
    return True
