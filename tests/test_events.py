"""Events and roadshows: the state table (every wrong state 409, nothing written), sign-up refusals, attendance
by the organising staff only, participants' names and phones kept to the organising center and the region
admin, a presented demand's confidential detail never shown, visibility per role, audit records, bad input
on every form and the XLSX exports."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from ipoc import clock
from ipoc.audit import service as audit
from ipoc.auth.roles import ANONYMOUS, Principal
from ipoc.centers.models import Center
from ipoc.deals.models import Contact
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.events import flows
from ipoc.events import service as svc
from ipoc.events.models import TechEvent, TechEventSignup
from ipoc.events.schemas import AttendanceIn, EventIn, ItemIn, SignupIn, WalkInIn
from ipoc.orgs.models import Organisation
from ipoc.transfer import service as transfer
from ipoc.transfer.schemas import DemandIn, OfferIn
from tests.conftest import act_as, csrf_of, post_form
from tests.exported import table
from tests.factories import number
from tests.worlds.transfer import transfer_world

SECRET = "保密配方：钕铁硼晶界扩散温度九百一十度"
PHONE = "13912345678"
PERSON = "张晓梅"


@dataclass
class World:
    center: Center
    people: dict[str, Principal]
    demand_id: int
    offer_id: int
    now: datetime


def make_world(session) -> World:
    _, center, people = transfer_world(session)
    demand = transfer.create_demand(
        session,
        people["owner"],
        DemandIn.model_validate(
            {"title": "高矫顽力磁体工艺", "problem": "磁体高温退磁", "desired_effect": "矫顽力不低于 20 kOe",
             "public_summary": "寻求高温稳定的稀土永磁工艺", "confidential_detail": SECRET, "modes": "licence",
             "center_id": center.id}
        ),
    )  # fmt: skip
    transfer.publish_demand(session, people["owner"], demand.id)
    offer_data = {"title": "稀土永磁晶界扩散技术", "problem_solved": "重稀土用量大", "advantage": "镝用量减少一半",
                  "trl": 6, "field": "新能源汽车电机", "products": "驱动电机磁钢", "modes": ["licence"],
                  "application_nos": [number(1)]}  # fmt: skip
    offer = transfer.create_offer(session, people["univ"], OfferIn.model_validate(offer_data))
    transfer.publish_offer(session, people["univ"], offer.id)
    session.commit()
    now = clock.beijing_now().replace(second=0, microsecond=0)
    return World(center, people, demand.id, offer.id, now)


WORLD = make_world  # the conftest's `world`


def _event_in(world: World, **over) -> EventIn:
    starts = world.now + timedelta(days=10)
    base = {
        "kind": "matchmaking",
        "title": "稀土技术供需对接会",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=4),
        "place": "包头市会议中心",
        "organisers": "主办：自治区知识产权局",
        "capacity": 2,
        "signup_deadline": starts - timedelta(days=2),
    }
    return EventIn.model_validate(base | over)


def _event(session, world: World, *, state: str = "open", **over) -> TechEvent:
    """An event in ``state``, reached through the service (held: started an hour ago)."""
    staff = world.people["staff"]
    if state == "held":
        over = {"starts_at": world.now - timedelta(hours=1), "ends_at": None, "signup_deadline": None} | over
    event = svc.create_event(session, staff, _event_in(world, **over))
    opened_at = min(world.now, event.starts_at - timedelta(days=1))
    if state in ("open", "closed", "held", "cancelled"):
        svc.transition(session, staff, event.id, "open", now=opened_at)
    if state == "closed":
        svc.transition(session, staff, event.id, "close", now=world.now)
    if state == "held":
        svc.transition(session, staff, event.id, "hold", now=world.now)
    if state == "cancelled":
        svc.transition(session, staff, event.id, "cancel", "场地临时不可用", now=world.now)
    session.commit()
    return event


def _sign(session, world: World, event_id: int, who: str = "owner", *, now: datetime | None = None, **over):
    data = SignupIn.model_validate({"person_name": PERSON, "phone": PHONE, "role": "seeker"} | over)
    entry = svc.signup(session, world.people[who], event_id, data, now=now or world.now)
    session.commit()
    return entry


def _csrf(client) -> dict[str, str]:
    return {"x-csrf-token": csrf_of(client)}


def _xlsx_text(response) -> str:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)


def _signups(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count(TechEventSignup.id)))


# --- states -------------------------------------------------------------------------------------------


def test_every_step_from_a_wrong_state_is_409_and_writes_nothing(session, world):
    staff = world.people["staff"]
    events = {state: _event(session, world, state=state) for state in ("draft", "open", "closed", "held", "cancelled")}
    refused = 0
    for step in flows.TRANSITIONS:
        for state, event in events.items():
            if state in step.sources:
                continue
            before = len(audit.history(session, "tech_events", event.id))
            with pytest.raises(Conflict, match="不能"):
                svc.transition(session, staff, event.id, step.action, "理由充分", now=world.now + timedelta(days=30))
            session.rollback()
            assert session.get(TechEvent, event.id).state == state
            assert len(audit.history(session, "tech_events", event.id)) == before
            refused += 1
    assert refused == 16  # 5 steps × 5 states − 9 allowed pairs
    with pytest.raises(NotFound):
        svc.transition(session, staff, events["open"].id, "publish")


def test_time_rules_of_the_steps(session, world):
    staff = world.people["staff"]
    event = _event(session, world, state="draft")
    late = event.signup_deadline + timedelta(minutes=1)
    with pytest.raises(InvalidInput) as exc:
        svc.transition(session, staff, event.id, "open", now=late)
    assert exc.value.field == "signup_deadline"
    with pytest.raises(Conflict, match="尚未开始"):
        svc.transition(session, staff, event.id, "hold", now=world.now)
    with pytest.raises(InvalidInput) as exc:
        svc.transition(session, staff, event.id, "cancel", " ", now=world.now)
    assert exc.value.field == "reason"
    session.rollback()
    assert session.get(TechEvent, event.id).state == "draft"
    svc.transition(session, staff, event.id, "open", now=world.now)
    svc.transition(session, staff, event.id, "close", now=world.now)
    svc.transition(session, staff, event.id, "reopen", now=world.now)
    assert svc.transition(session, staff, event.id, "hold", now=event.starts_at).state == "held"


def test_every_state_change_and_signup_is_audited_with_its_reason(session, world):
    event = _event(session, world, state="open")
    entry = _sign(session, world, event.id)
    svc.transition(session, world.people["staff"], event.id, "cancel", "场地临时不可用", now=world.now)
    session.commit()
    records = audit.history(session, "tech_events", event.id)
    actions = [(r.action, audit.decode(r)["meta"]["reason"]) for r in records]
    assert actions == [
        ("create", "创建对接活动"),
        ("transition:draft->open", "开放报名"),
        ("transition:open->cancelled", "取消活动：场地临时不可用"),
    ]
    signup_records = audit.history(session, "tech_event_signups", entry.id)
    assert [(r.action, audit.decode(r)["meta"]["reason"]) for r in signup_records] == [("create", "报名参加活动")]


# --- sign-up ------------------------------------------------------------------------------------------


def test_signup_refusals_in_chinese_and_nothing_written(session, world):
    event = _event(session, world, state="open", capacity=1)
    _sign(session, world, event.id)
    cases = [
        ("owner", world.now, Conflict, "本单位已报名该活动，不能重复报名"),
        ("other", world.now, Conflict, "报名已满（上限 1 家单位）"),
        ("univ", event.signup_deadline, Conflict, "报名已于"),
        ("pending", world.now, Forbidden, "尚未通过主管部门核验"),
        ("staff", world.now, Forbidden, "只有会员单位用户"),
        ("bureau", world.now, Forbidden, "只有会员单位用户"),
    ]
    for who, now, error, message in cases:
        with pytest.raises(error, match=message.replace("（", ".").replace("）", ".")):
            svc.signup(
                session,
                world.people[who],
                event.id,
                SignupIn(person_name="王五", phone=PHONE, role="audience"),
                now=now,
            )
        session.rollback()
    assert _signups(session) == 1
    for state in ("closed", "held", "cancelled"):
        other = _event(session, world, state=state)
        with pytest.raises(Conflict, match="当前不接受报名"):
            _sign(session, world, other.id, "other")
        session.rollback()
    draft = _event(session, world, state="draft")
    with pytest.raises(NotFound):  # a draft does not exist for a member
        _sign(session, world, draft.id, "other")
    session.rollback()
    assert _signups(session) == 1


def test_signup_over_http_refused_with_message_on_the_page(client, session, world):
    event = _event(session, world, state="open", capacity=1)
    _sign(session, world, event.id, "other")
    act_as(client, "owner")
    response = post_form(
        client, f"/events/{event.id}/signup", {"person_name": PERSON, "phone": PHONE, "role": "seeker"}
    )
    assert response.status_code == 409 and "报名已满（上限 1 家单位）" in response.text
    bad = post_form(client, f"/events/{event.id}/signup", {"person_name": "", "phone": "12345", "role": "boss"})
    assert bad.status_code == 422
    for field, message in (("person_name", "请填写参会人姓名"), ("phone", "联系电话应为"), ("role", "请从列表中选择")):
        assert f'data-field="{field}"' in bad.text and message in bad.text
    api = client.post(
        f"/api/v1/events/{event.id}/signups", json={"person_name": PERSON, "phone": "1"}, headers=_csrf(client)
    )
    assert api.status_code == 422 and {d["loc"][-1] for d in api.json()["errors"]} == {"phone", "role"}
    assert _signups(session) == 1
    act_as(client, None)
    anonymous = client.post(f"/events/{event.id}/signup", data={"person_name": PERSON})
    assert anonymous.status_code in (303, 403)
    assert _signups(session) == 1


def test_member_signs_up_through_the_page_and_sees_only_its_own_entry(client, session, world):
    event = _event(session, world, state="open")
    _sign(session, world, event.id, "other", phone="13800000001", person_name="赵其他")
    act_as(client, "owner")
    response = post_form(
        client, f"/events/{event.id}/signup", {"person_name": PERSON, "phone": PHONE, "role": "seeker"}
    )
    assert response.status_code == 303
    page = client.get(f"/events/{event.id}").text
    assert PHONE in page and "本单位已报名" in page
    assert "13800000001" not in page and "赵其他" not in page and "鄂尔多斯装备制造有限公司" not in page
    own = client.get(f"/api/v1/events/{event.id}/signups").json()
    assert [(s["org_name"], s["phone"]) for s in own] == [("包头稀土永磁有限公司", PHONE)]


def test_a_member_withdraws_its_sign_up_before_the_start_and_not_after(client, session, world):
    event = _event(session, world, state="open")
    _sign(session, world, event.id, "owner")
    with pytest.raises(NotFound):  # nothing to withdraw for an organisation that did not sign up
        svc.withdraw_signup(session, world.people["other"], event.id, now=world.now)
    with pytest.raises(Forbidden):
        svc.withdraw_signup(session, world.people["staff"], event.id, now=world.now)
    with pytest.raises(Conflict, match="不能撤回"):
        svc.withdraw_signup(session, world.people["owner"], event.id, now=event.starts_at)
    session.rollback()
    assert _signups(session) == 1
    act_as(client, "owner")
    assert 'data-testid="withdraw-signup"' in client.get(f"/events/{event.id}").text
    assert post_form(client, f"/events/{event.id}/signup/withdraw", {}).status_code == 303
    assert _signups(session) == 0
    actions = [
        (r.action, audit.decode(r)["meta"].get("reason")) for r in audit.history(session, "tech_event_signups", 1)
    ]
    assert actions[-1] == ("delete", "撤回报名")
    assert client.delete(f"/api/v1/events/{event.id}/signups/mine", headers=_csrf(client)).status_code == 404
    _sign(session, world, event.id, "owner")  # the place is free again, for the same organisation too
    assert client.delete(f"/api/v1/events/{event.id}/signups/mine", headers=_csrf(client)).status_code == 204
    assert _signups(session) == 0


# --- attendance ---------------------------------------------------------------------------------------


def test_attendance_only_by_the_organising_staff_on_or_after_the_day(session, world):
    event = _event(session, world, state="open")
    first = _sign(session, world, event.id, "owner")
    _sign(session, world, event.id, "other")
    staff = world.people["staff"]
    came = AttendanceIn(attended=[first.id])
    with pytest.raises(Conflict, match="活动当天或举办后"):
        svc.mark_attendance(session, staff, event.id, came, now=world.now)
    for who in (ANONYMOUS, *(world.people[n] for n in ("other_staff", "admin", "owner", "bureau", "expert"))):
        with pytest.raises(Forbidden):
            svc.mark_attendance(session, who, event.id, came, now=event.starts_at)
        session.rollback()
    assert all(s.attended is None for s in session.get(TechEvent, event.id).signups)
    on_the_day = datetime.combine(event.starts_at.date(), time(8, 0))
    done = svc.mark_attendance(session, staff, event.id, came, now=on_the_day)
    assert (done.attended_count, done.signup_count, done.attendance_rate) == (1, 2, 0.5)
    assert done.attendance_label == "出席 1 / 报名 2（50%）"
    session.commit()
    with pytest.raises(InvalidInput) as exc:
        svc.mark_attendance(session, staff, event.id, AttendanceIn(attended=[first.id + 1000]), now=on_the_day)
    assert exc.value.field == "attended"
    session.rollback()
    records = audit.history(session, "tech_event_signups", first.id)
    assert audit.decode(records[-1])["meta"]["reason"] == "登记出席情况"
    cancelled = _event(session, world, state="cancelled")
    with pytest.raises(Conflict):
        svc.mark_attendance(session, staff, cancelled.id, AttendanceIn(), now=cancelled.starts_at)


def test_walk_ins_and_attendance_over_http(client, session, world):
    event = _event(session, world, state="held")
    act_as(client, "staff")
    page = client.get(f"/events/{event.id}").text
    assert 'data-testid="walk-in-form"' in page and 'data-testid="attendance-form"' not in page  # nobody yet
    missing = post_form(
        client, f"/events/{event.id}/walk-in", {"person_name": "钱六", "phone": PHONE, "role": "investor"}
    )
    assert (
        missing.status_code == 422 and 'data-field="org_name"' in missing.text and "请填写参会单位名称" in missing.text
    )
    walk = {"org_name": "呼和浩特创投基金", "person_name": "钱六", "phone": "0471-6123456", "role": "investor"}
    assert post_form(client, f"/events/{event.id}/walk-in", walk).status_code == 303
    again = post_form(client, f"/events/{event.id}/walk-in", walk)
    assert again.status_code == 409 and "该单位已在参会名单中" in again.text
    entry = session.scalar(select(TechEventSignup).where(TechEventSignup.event_id == event.id))
    assert (entry.source, entry.attended) == ("walk_in", True)
    assert 'data-testid="attendance-form"' in client.get(f"/events/{event.id}").text
    assert post_form(client, f"/events/{event.id}/attendance", {}).status_code == 303  # nobody ticked: absent
    api = client.get(f"/api/v1/events/{event.id}/attendance").json()
    assert api == {"signups": 1, "attended": 0, "attendance_rate": 0.0}
    put = client.put(f"/api/v1/events/{event.id}/attendance", json={"attended": [entry.id]}, headers=_csrf(client))
    assert put.json()["attendance_rate"] == 1.0
    assert "出席 1 / 报名 1（100%）" in client.get(f"/events/{event.id}").text
    act_as(client, "admin")
    refused = client.put(f"/api/v1/events/{event.id}/attendance", json={"attended": []}, headers=_csrf(client))
    assert refused.status_code == 403


# --- who sees what ------------------------------------------------------------------------------------


def test_participant_names_and_phones_stay_with_the_organising_center_and_the_region(client, session, world):
    event = _event(session, world, state="open")
    _sign(session, world, event.id, "owner")
    for who in (None, "other", "univ", "other_staff", "far_bureau", "bureau", "expert"):
        act_as(client, who)
        page = client.get(f"/events/{event.id}")
        listing = client.get("/events")
        export = client.get("/events/export")
        assert page.status_code == 200 and "稀土技术供需对接会" in page.text, who
        for text in (page.text, listing.text, _xlsx_text(export)):
            assert PHONE not in text and PERSON not in text, who
        if who is None:
            continue
        api = client.get(f"/api/v1/events/{event.id}/signups")
        assert PHONE not in api.text and PERSON not in api.text, who
        assert client.get(f"/events/{event.id}/signups/export").status_code == 403, who
    act_as(client, "bureau")  # the center's own league/city sees which organisations take part, not who
    api = client.get(f"/api/v1/events/{event.id}/signups").json()
    assert [(s["org_name"], s["person_name"], s["phone"]) for s in api] == [("包头稀土永磁有限公司", None, None)]
    for who in ("other", "other_staff", "far_bureau", "expert"):
        act_as(client, who)
        api = client.get(f"/api/v1/events/{event.id}/signups")
        assert api.status_code == 200 if who == "other" else api.status_code == 403, who
        assert "包头稀土永磁有限公司" not in api.text, who
    for who in ("staff", "admin"):
        act_as(client, who)
        assert PHONE in client.get(f"/events/{event.id}").text, who
        assert client.get(f"/api/v1/events/{event.id}/signups").json()[0]["phone"] == PHONE, who
        export = client.get(f"/events/{event.id}/signups/export")
        assert export.status_code == 200 and PHONE in _xlsx_text(export) and PERSON in _xlsx_text(export), who


def test_a_presented_demand_shows_its_public_fields_only(client, session, world):
    event = _event(session, world, state="draft")
    staff = world.people["staff"]
    svc.add_item(session, staff, event.id, ItemIn(demand_id=world.demand_id, presenter="企业代表"))
    svc.add_item(session, staff, event.id, ItemIn(offer_id=world.offer_id, slot_start=time(10), slot_end=time(10, 20)))
    svc.transition(session, staff, event.id, "open", now=world.now)
    session.commit()
    for who in (None, "owner", "other", "staff", "admin", "bureau", "expert"):
        act_as(client, who)
        page = client.get(f"/events/{event.id}")
        items = client.get(f"/api/v1/events/{event.id}/items")
        assert page.status_code == 200 and "寻求高温稳定的稀土永磁工艺" in page.text, who
        assert SECRET not in page.text and SECRET not in items.text, who
        assert SECRET not in _xlsx_text(client.get("/events/export")), who
    assert [i["title"] for i in items.json()] == ["高矫顽力磁体工艺", "稀土永磁晶界扩散技术"]
    assert items.json()[1]["slot_start"] == "10:00:00+08:00"  # Beijing time of day, with its offset


def test_visibility_per_role(client, session, world):
    draft = _event(session, world, state="draft", title="草稿活动")
    members_only = _event(session, world, state="open", title="会员专场活动", audience="members")
    public = _event(session, world, state="open", title="公开活动")
    dropped_draft = svc.create_event(session, world.people["staff"], _event_in(world, title="作废草稿"))
    svc.transition(session, world.people["staff"], dropped_draft.id, "cancel", "计划调整")
    cancelled = _event(session, world, state="cancelled", title="已取消活动")
    session.commit()
    expect = {
        None: {public, cancelled},
        "owner": {public, members_only, cancelled},
        "other_staff": {public, members_only, cancelled},
        "bureau": {public, members_only, cancelled},
        "far_bureau": {public, members_only, cancelled},
        "expert": {public, members_only, cancelled},
        "staff": {draft, members_only, public, dropped_draft, cancelled},
        "admin": {draft, members_only, public, dropped_draft, cancelled},
    }
    every = {draft, members_only, public, dropped_draft, cancelled}
    for who, seen in expect.items():
        act_as(client, who)
        listed = {e["id"] for e in client.get("/api/v1/events").json()}
        assert listed == {e.id for e in seen}, who
        page = client.get("/events").text
        for event in every:
            detail = client.get(f"/events/{event.id}")
            assert detail.status_code == (200 if event in seen else 404), (who, event.title)
            assert (event.title in page) == (event in seen), (who, event.title)
    act_as(client, None)
    assert "场地临时不可用" in client.get(f"/events/{cancelled.id}").text


def test_only_the_organising_staff_create_and_change_events(client, session, world):
    event = _event(session, world, state="open")
    for who in ("owner", "bureau", "expert", "admin"):
        with pytest.raises(Forbidden):
            svc.create_event(session, world.people[who], _event_in(world))
    for who in ("other_staff", "admin"):
        with pytest.raises(Forbidden):
            svc.update_event(session, world.people[who], event.id, _event_in(world, title="改名"))
        with pytest.raises(Forbidden):
            svc.transition(session, world.people[who], event.id, "close", now=world.now)
        with pytest.raises(Forbidden):
            svc.add_item(session, world.people[who], event.id, ItemIn(offer_id=world.offer_id))
    session.rollback()
    act_as(client, "other_staff")
    assert client.get(f"/events/{event.id}/edit").status_code == 403
    assert client.post(f"/api/v1/events/{event.id}/close", headers=_csrf(client)).status_code == 403
    act_as(client, "staff")
    assert client.post(f"/api/v1/events/{event.id}/close", headers=_csrf(client)).json()["status"] == "closed"
    wrong = client.post(f"/api/v1/events/{event.id}/close", headers=_csrf(client))
    assert wrong.status_code == 409 and "报名截止" in wrong.json()["detail"]
    no_reason = client.post(f"/api/v1/events/{event.id}/cancel", json={}, headers=_csrf(client))
    assert no_reason.status_code == 422
    session.expire_all()
    assert session.get(TechEvent, event.id).state == "closed"


# --- bad input ----------------------------------------------------------------------------------------


def test_event_form_refuses_bad_input_naming_the_field(client, session, world):
    act_as(client, "staff")
    starts = world.now + timedelta(days=5)
    good = {"kind": "roadshow", "title": "高校成果路演", "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
            "place": "呼和浩特", "organisers": "自治区知识产权局"}  # fmt: skip
    cases = [
        ({"title": ""}, "title", "请填写活动名称"),
        ({"ends_at": (starts - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")}, "ends_at", "结束时间应晚于开始时间"),
        ({"capacity": "0"}, "capacity", "人数上限至少为 1 家单位"),
        ({"capacity": "-5"}, "capacity", "人数上限至少为 1 家单位"),
        ({"signup_deadline": (starts + timedelta(days=1)).strftime("%Y-%m-%d %H:%M")}, "signup_deadline",
         "报名截止时间不能晚于开始时间"),
        ({"starts_at": "2026-02-30 10:00"}, "starts_at", "时间不存在"),
        ({"starts_at": "明天上午"}, "starts_at", "时间格式应为"),
        ({"place": " "}, "place", "请填写活动地点"),
        ({"kind": "party"}, "kind", "请从列表中选择"),
    ]  # fmt: skip
    for change, field, message in cases:
        response = post_form(client, "/events/new", good | change)
        assert response.status_code == 422, change
        assert f'data-field="{field}"' in response.text and message in response.text, change
        api = client.post("/api/v1/events", json=good | change, headers=_csrf(client))
        assert api.status_code == 422, change
        body = api.json()
        named = {body.get("field")} | {d["loc"][-1] for d in body.get("errors", [])}
        assert field in named, change
    assert session.scalar(select(func.count(TechEvent.id))) == 0
    created = post_form(client, "/events/new", good | {"capacity": "40"})
    assert created.status_code == 303
    event_id = int(created.headers["location"].rsplit("/", 1)[1])
    edit = client.get(f"/events/{event_id}/edit")
    assert edit.status_code == 200 and "高校成果路演" in edit.text and starts.strftime("%Y-%m-%dT%H:%M") in edit.text


def test_capacity_cannot_drop_below_signups_and_held_events_are_frozen(client, session, world):
    event = _event(session, world, state="open", capacity=5)
    _sign(session, world, event.id, "owner")
    _sign(session, world, event.id, "other")
    with pytest.raises(InvalidInput) as exc:
        svc.update_event(session, world.people["staff"], event.id, _event_in(world, capacity=1))
    assert exc.value.field == "capacity" and "已报名的 2 家单位" in exc.value.message
    session.rollback()
    held = _event(session, world, state="held")
    act_as(client, "staff")
    patch = client.patch(f"/api/v1/events/{held.id}", json={"title": "改名"}, headers=_csrf(client))
    assert patch.status_code == 409
    item = client.post(f"/api/v1/events/{held.id}/items", json={"offer_id": world.offer_id}, headers=_csrf(client))
    assert item.status_code == 409
    ok = client.patch(f"/api/v1/events/{event.id}", json={"capacity": 3}, headers=_csrf(client))
    assert ok.status_code == 200 and ok.json()["capacity"] == 3 and ok.json()["title"] == "稀土技术供需对接会"


def test_item_form_refuses_bad_input_and_keeps_the_running_order(client, session, world):
    event = _event(session, world, state="draft")
    draft_demand = transfer.create_demand(
        session, world.people["other"],
        DemandIn.model_validate({"title": "未发布需求", "problem": "问题", "desired_effect": "效果",
                                 "public_summary": "摘要", "modes": "licence"}),
    )  # fmt: skip
    session.commit()
    act_as(client, "staff")
    cases = [
        ({}, "demand_id", "请选择一项技术需求或一项技术供给"),
        ({"demand_id": str(world.demand_id), "offer_id": str(world.offer_id)}, "demand_id", "只选一项"),
        ({"demand_id": str(draft_demand.id)}, "demand_id", "只能展示已发布的技术需求"),
        ({"offer_id": str(world.offer_id), "slot_start": "10:30", "slot_end": "10:00"}, "slot_end",
         "结束时刻应晚于开始时刻"),
        ({"offer_id": str(world.offer_id), "slot_start": "25:00"}, "slot_start", "时刻不存在"),
    ]  # fmt: skip
    for form, field, message in cases:
        response = post_form(client, f"/events/{event.id}/items", form)
        assert response.status_code == 422 and f'data-field="{field}"' in response.text, form
        assert message in response.text, form
    assert client.get(f"/api/v1/events/{event.id}/items").json() == []
    assert post_form(client, f"/events/{event.id}/items", {"demand_id": str(world.demand_id)}).status_code == 303
    assert post_form(client, f"/events/{event.id}/items", {"offer_id": str(world.offer_id)}).status_code == 303
    duplicate = post_form(client, f"/events/{event.id}/items", {"offer_id": str(world.offer_id)})
    assert duplicate.status_code == 409 and "该技术供给已在本活动展示" in duplicate.text
    items = client.get(f"/api/v1/events/{event.id}/items").json()
    assert [i["kind"] for i in items] == ["demand", "offer"]
    assert post_form(client, f"/events/{event.id}/items/{items[0]['id']}/down", {}).status_code == 303
    assert [i["kind"] for i in client.get(f"/api/v1/events/{event.id}/items").json()] == ["offer", "demand"]
    removed = client.delete(f"/api/v1/events/{event.id}/items/{items[1]['id']}", headers=_csrf(client))
    assert removed.status_code == 204
    assert [i["kind"] for i in client.get(f"/api/v1/events/{event.id}/items").json()] == ["demand"]


def test_cancel_form_needs_a_reason(client, session, world):
    event = _event(session, world, state="open")
    act_as(client, "staff")
    response = post_form(client, f"/events/{event.id}/cancel", {"reason": ""})
    assert response.status_code == 422 and 'data-field="reason"' in response.text and "请填写取消原因" in response.text
    assert session.get(TechEvent, event.id).state == "open"
    assert post_form(client, f"/events/{event.id}/cancel", {"reason": "主讲专家行程冲突"}).status_code == 303
    session.expire_all()
    assert session.get(TechEvent, event.id).cancel_reason == "主讲专家行程冲突"


# --- lists, exports, contacts, demo -------------------------------------------------------------------


def test_list_filters_upcoming_and_past_and_xlsx_export(client, session, world):
    _event(session, world, state="open", title="下月对接会")
    held = _event(session, world, state="held", title="上周路演", kind="roadshow")
    svc.walk_in(
        session,
        world.people["staff"],
        held.id,
        WalkInIn(org_name="某投资机构", person_name="孙七", phone=PHONE, role="investor"),
        now=world.now,
    )
    session.commit()
    act_as(client, None)
    page = client.get("/events").text
    upcoming = page.split('data-testid="events-upcoming"')[1].split('data-testid="events-past"')[0]
    assert "下月对接会" in upcoming and "上周路演" not in upcoming
    assert [e["title"] for e in client.get("/api/v1/events?kind=roadshow").json()] == ["上周路演"]
    assert [e["title"] for e in client.get("/api/v1/events?status=open").json()] == ["下月对接会"]
    assert client.get(f"/api/v1/events?center_id={world.center.id + 1}").json() == []
    export = client.get("/events/export?kind=roadshow")
    assert export.status_code == 200 and export.headers["content-type"].startswith("application/vnd.openxmlformats")
    text = _xlsx_text(export)
    assert "上周路演" in text and "下月对接会" not in text and PHONE not in text
    header, row = table(export)
    rate = load_workbook(io.BytesIO(export.content)).active.cell(3, header.index("出席率") + 1)
    assert row[header.index("出席率")] == 1 and rate.number_format == "0%"  # shown as 100%
    exports = [r for r in audit.recent(session, limit=5) if r.action == "export"]
    assert exports and exports[0].entity_type == "tech_events"


def test_contacts_from_the_event_are_listed_for_the_organising_staff(client, session, world):
    event = _event(session, world, state="held")
    owner = session.scalar(select(Organisation).where(Organisation.name == "包头稀土永磁有限公司"))
    contact = Contact(
        center_id=world.center.id,
        event_id=event.id,
        seeker_org_id=owner.id,
        provider_name="内蒙古科技大学",
        subject="晶界扩散技术洽谈",
        contacted_on=world.now.date(),
        channel="event",
    )
    session.add(contact)
    session.commit()
    act_as(client, "staff")
    page = client.get(f"/events/{event.id}").text
    assert f"/contacts/new?event_id={event.id}" in page
    contacts = page.split('data-testid="event-contacts"')[1]
    assert "包头稀土永磁有限公司" in contacts and "内蒙古科技大学" in contacts
    for who in (None, "owner", "other_staff"):
        act_as(client, who)
        page = client.get(f"/events/{event.id}").text
        assert 'data-testid="event-contacts"' not in page and "/contacts/new" not in page, who


def test_demo_events_load_once(client, demo):
    from ipoc.ops import demo_events, demo_transfer

    demo_transfer.load(demo)
    assert demo_events.load(demo) is True
    demo.commit()
    assert demo_events.load(demo) is False
    events = list(demo.scalars(select(TechEvent).order_by(TechEvent.starts_at)))
    assert [(e.kind, e.state) for e in events] == [("roadshow", "held"), ("matchmaking", "open")]
    held, upcoming = events
    assert held.attendance_rate is not None and held.attended_count == 2 and held.signup_count == 3
    assert upcoming.items and all(svc.item_fields(i)["summary"] for i in upcoming.items)
    assert all(SECRET not in str(svc.item_fields(i)) for i in upcoming.items)
    secrets = [i.demand.confidential_detail for i in upcoming.items if i.demand and i.demand.confidential_detail]
    assert secrets and all(secret not in str(svc.item_fields(i)) for secret in secrets for i in upcoming.items)
    listing = client.get("/events").text
    assert held.title in listing and upcoming.title in listing
    page = client.get(f"/events/{held.id}").text
    assert "出席 2 / 报名 3（67%）" in page and "13904710001" not in page
    assert "降低烧结钕铁硼磁体重稀土用量" in client.get(f"/events/{upcoming.id}").text
