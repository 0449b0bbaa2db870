"""Contacts and deals (issue 5 point 4): every step from every stage by every role, the data each step
needs and the refusals that write nothing, yuan/万元, the ledger by signing year and the national
threshold computed from it, who sees what (pages, API, export), contacts from a match and from an event,
the lists and the demo data."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from ipoc.audit import service as audit
from ipoc.audit.models import AuditRecord
from ipoc.auth.roles import Role
from ipoc.catalogue import service as catalogue
from ipoc.centers.models import Center
from ipoc.deals import flows
from ipoc.deals import service as svc
from ipoc.deals.models import STAGES, Contact, Deal, DealStep
from ipoc.deals.schemas import ContactIn, StepIn
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.events.models import TechEvent
from ipoc.lifecycle import cycle, decisions, ranking
from ipoc.matching.models import Match
from ipoc.patents.models import Applicant, Patent, PatentApplicant, RightsConsent
from ipoc.transfer.models import Demand
from tests.conftest import csrf_of, login, make_user, post_form
from tests.exported import table, title
from tests.factories import number
from tests.worlds.deals import TODAY, World, deal_in, make_world, new_deal, signed

WORLD = make_world  # the conftest's `world`

SECRET = "保密：目标牌号 52SH，年产 3000 吨"


ROLES = ("staff", "other_staff", "admin", "bureau", "other_bureau", "univ", "ent", "stranger", "expert", "anonymous")
READERS = {"admin", "bureau", "univ", "ent"}  # see the world's deal, may not move it


def counts(session, deal: Deal) -> tuple[int, int, int]:
    audits = session.scalar(select(func.count(AuditRecord.id)).where(AuditRecord.entity_type == "tech_deals"))
    steps = session.scalar(select(func.count(DealStep.id)).where(DealStep.deal_id == deal.id))
    return audits, steps, len(deal.patent_links)


# --- the transition table -------------------------------------------------------------------------------


def expected(t: flows.Transition, role: str, stage: str) -> type[Exception] | None:
    """Stated independently of flows.owners_for: only the center's own staff moves a deal; a reader of it
    is refused (403), anyone else does not see it (404)."""
    if role != "staff":
        return Forbidden if role in READERS else NotFound
    return None if stage in t.sources else Conflict


def test_every_step_from_every_stage_by_every_role(world: World):
    session = world.session
    deal = new_deal(world)
    tried = refused = 0
    for stage in STAGES:
        deal.state = stage
        deal.signed_on = date(2026, 4, 1) if stage in ("signed", "recorded") else None
        session.commit()
        before = counts(session, deal)
        for role in ROLES:
            principal = world.people[role]
            available = {t.action for t in svc.available_steps(principal, deal)}
            for t in flows.TRANSITIONS:
                want = expected(t, role, stage)
                tried += 1
                if want is None:
                    assert t.action in available, (stage, role, t.action)
                    want = InvalidInput  # allowed, but not without its data
                else:
                    assert t.action not in available, (stage, role, t.action)
                with pytest.raises(want) as exc:
                    svc.transition(session, principal, deal.id, StepIn(action=t.action), today=TODAY)
                if want is InvalidInput:
                    assert exc.value.field == t.requires[0], (stage, t.action)
                refused += 1
                assert deal.state == stage
                assert not session.new and not session.dirty, (stage, role, t.action)
        assert counts(session, deal) == before, stage
    assert tried == refused == len(STAGES) * len(ROLES) * len(flows.TRANSITIONS)
    # The table itself: abandon from every open stage, nothing out of a closed one.
    assert flows.BY_ACTION["abandon"].sources == flows.OPEN_STAGES
    assert all(not (t.sources & flows.CLOSED_STAGES) for t in flows.TRANSITIONS)


def test_a_deal_walks_to_recordal_with_its_timeline_and_an_audit_record_per_change(world: World):
    session = world.session
    contact = svc.create_contact(
        session,
        world.staff,
        ContactIn(subject="储能电池许可", provider_org_id=world.univ.id, seeker_org_id=world.ent.id,
                  contacted_on=date(2026, 2, 20), channel="visit"),
        today=TODAY,
    )  # fmt: skip
    deal = svc.create_deal(
        session, world.staff, deal_in(world, contact_id=contact.id, amount_wan=None, application_nos=None), TODAY
    )
    session.commit()
    assert (contact.state, deal.state, deal.amount_yuan, deal.patent_links) == ("deal", "intention", None, [])
    steps = [
        StepIn(action="negotiate", negotiation_on=date(2026, 4, 1)),
        StepIn(
            action="sign", signed_on=date(2026, 5, 6), amount_wan="88.5", application_nos=f"{number(1)} {number(2)}"
        ),
        StepIn(action="record", recorded_on=date(2026, 6, 1), record_no="2026150200000123"),
    ]
    for step in steps:
        svc.transition(session, world.staff, deal.id, step, today=TODAY)
        session.commit()
    session.expire_all()
    deal = session.get(Deal, deal.id)
    assert (deal.state, deal.signed_on, deal.recorded_on, deal.amount_yuan) == (
        "recorded", date(2026, 5, 6), date(2026, 6, 1), 885_000
    )  # fmt: skip
    assert [pt.application_no for pt in deal.patents] == [number(1), number(2)]
    assert [(s.from_stage, s.to_stage, s.on) for s in deal.steps] == [
        (None, "intention", date(2026, 3, 1)),
        ("intention", "negotiation", date(2026, 4, 1)),
        ("negotiation", "signed", date(2026, 5, 6)),
        ("signed", "recorded", date(2026, 6, 1)),
    ]
    records = audit.history(session, "tech_deals", deal.id)
    reasons = [audit.decode(r)["meta"]["reason"] for r in records]
    assert reasons == ["登记交易意向", "进入洽谈", "合同签订", "备案/登记"]
    assert audit.decode(records[2])["meta"]["application_nos"] == [number(1), number(2)]
    assert [audit.decode(r)["after"].get("state") for r in records[1:]] == ["negotiation", "signed", "recorded"]
    assert [r.action for r in audit.history(session, "tech_contacts", contact.id)] == [
        "create",
        "transition:open->deal",
    ]


def test_abandoned_from_any_open_stage_with_a_reason_and_then_final(world: World):
    session = world.session
    for stage in sorted(flows.OPEN_STAGES):
        deal = new_deal(world)
        if stage != "intention":
            svc.transition(
                session, world.staff, deal.id, StepIn(action="negotiate", negotiation_on=date(2026, 4, 1)), TODAY
            )
        if stage == "signed":
            svc.transition(session, world.staff, deal.id, StepIn(action="sign", signed_on=date(2026, 5, 1)), TODAY)
        session.commit()
        with pytest.raises(InvalidInput) as exc:
            svc.transition(session, world.staff, deal.id, StepIn(action="abandon", reason=" "), TODAY)
        assert exc.value.field == "reason"
        svc.transition(session, world.staff, deal.id, StepIn(action="abandon", reason="受让方资金未落实"), TODAY)
        session.commit()
        assert (deal.state, deal.abandon_reason, deal.abandoned_on) == ("abandoned", "受让方资金未落实", TODAY)
        assert deal.steps[-1].note == "受让方资金未落实"
        assert "受让方资金未落实" in audit.decode(audit.history(session, "tech_deals", deal.id)[-1])["meta"]["reason"]
        for action in ("negotiate", "sign", "record", "abandon"):
            with pytest.raises(Conflict):
                svc.transition(session, world.staff, deal.id, StepIn(action=action, reason="再试"), TODAY)


# --- bad input ------------------------------------------------------------------------------------------


SIGN = {"action": "sign", "signed_on": "2026-05-01"}
RECORD = {"action": "record", "record_no": "R9"}


@pytest.mark.parametrize(
    ("stage", "step", "field", "message"),
    [
        ("intention", SIGN | {"application_nos": number(9)}, "application_nos", "专利库中没有申请号"),
        ("intention", SIGN | {"application_nos": "202310000001.0"}, "application_nos", "校验位"),
        ("intention", SIGN | {"signed_on": "2026-12-01"}, "signed_on", "不能晚于今天"),
        ("intention", SIGN | {"signed_on": "2026-02-01"}, "signed_on", "不能早于意向日期"),
        ("intention", {"action": "sign"}, "signed_on", "请填写合同签订日期"),
        ("signed", RECORD | {"recorded_on": "2026-04-30"}, "recorded_on", "不能早于合同签订日期"),
        ("signed", {"action": "record", "recorded_on": "2026-06-01"}, "record_no", "请填写备案/登记号"),
        ("negotiation", {"action": "abandon"}, "reason", "请填写终止原因"),
    ],
)
def test_bad_step_input_is_refused_and_writes_nothing(world: World, stage, step, field, message):
    session = world.session
    deal = new_deal(world, application_nos=number(2))
    if stage == "signed":
        svc.transition(session, world.staff, deal.id, StepIn(action="sign", signed_on=date(2026, 5, 1)), TODAY)
    if stage == "negotiation":
        svc.transition(
            session, world.staff, deal.id, StepIn(action="negotiate", negotiation_on=date(2026, 4, 1)), TODAY
        )
    session.commit()
    before = counts(session, deal), deal.state, deal.signed_on, deal.recorded_on
    with pytest.raises(InvalidInput) as exc:
        svc.transition(session, world.staff, deal.id, StepIn.model_validate(step), TODAY)
    assert exc.value.field == field and message in exc.value.message
    assert not session.new and not session.dirty
    session.rollback()
    session.expire_all()
    assert (counts(session, deal), deal.state, deal.signed_on, deal.recorded_on) == before
    assert [pt.application_no for pt in deal.patents] == [number(2)]


def test_a_deal_needs_its_contract_data_to_be_signed(world: World):
    deal = new_deal(world, amount_wan=None, contract_no="", application_nos=None)
    for missing, given in [
        ("amount_wan", {}),
        ("contract_no", {"amount_wan": "10"}),
        ("application_nos", {"amount_wan": "10", "contract_no": "HT-1"}),
    ]:
        with pytest.raises(InvalidInput) as exc:
            svc.transition(
                world.session, world.staff, deal.id, StepIn(action="sign", signed_on=date(2026, 5, 1), **given), TODAY
            )
        assert exc.value.field == missing
    assert deal.state == "intention" and deal.amount_yuan is None


def test_bad_deal_and_contact_input_over_http_writes_nothing(client, world: World):
    session = world.session
    login(client, "staff")
    before = session.scalar(select(func.count(Deal.id))), session.scalar(select(func.count(Contact.id)))
    form = {"title": "许可", "mode": "transfer", "provider_org_id": world.univ.name, "seeker_name": "某公司"}
    unknown = post_form(client, "/deals/new", form | {"application_nos": number(9)})
    assert unknown.status_code == 422 and f"专利库中没有申请号 {number(9)} 的专利" in unknown.text
    future = post_form(client, "/deals/new", form | {"intention_on": "2099-01-01"})
    assert future.status_code == 422 and "意向日期不能晚于今天" in future.text
    no_party = post_form(client, "/deals/new", {"title": "许可", "mode": "transfer", "seeker_name": "某公司"})
    assert no_party.status_code == 422 and "请选择供给方" in no_party.text
    bad_mode = post_form(client, "/deals/new", form | {"mode": "gift"})
    assert bad_mode.status_code == 422 and "请从列表中选择" in bad_mode.text
    no_date = post_form(
        client,
        "/contacts/new",
        {"subject": "来访", "channel": "phone", "seeker_name": "甲公司", "provider_name": "乙大学"},
    )
    assert no_date.status_code == 422 and "此项为必填" in no_date.text
    api_form = form | {"provider_org_id": world.univ.id, "amount_wan": "-1"}  # the API takes the id
    api = client.post("/api/v1/deals", json=api_form, headers={"x-csrf-token": csrf_of(client)})
    assert api.status_code == 422 and api.json()["errors"][0]["loc"][-1] == "amount_wan"
    session.expire_all()
    assert (session.scalar(select(func.count(Deal.id))), session.scalar(select(func.count(Contact.id)))) == before

    deal = new_deal(world)
    step = post_form(client, f"/deals/{deal.id}/transition", {"action": "sign", "signed_on": "2099-01-01"})
    assert step.status_code == 422 and "合同签订日期不能晚于今天" in step.text
    api = client.post(
        f"/api/v1/deals/{deal.id}/transition", json={"action": "record"}, headers={"x-csrf-token": csrf_of(client)}
    )
    assert api.status_code == 409
    api = client.post(
        f"/api/v1/deals/{deal.id}/transition", json={"action": "abandon"}, headers={"x-csrf-token": csrf_of(client)}
    )
    assert api.status_code == 422 and api.json()["field"] == "reason"
    session.expire_all()
    assert deal.state == "intention" and len(deal.steps) == 1


# --- money ----------------------------------------------------------------------------------------------


def test_amounts_are_entered_in_wan_stored_in_yuan_and_shown_in_wan(client, world: World):
    deal = new_deal(world, amount_wan="12.3456")
    assert deal.amount_yuan == 123_456 and deal.amount_wan == "12.35"
    assert new_deal(world, amount_wan="12.34565").amount_yuan == 123_457, "half a yuan is rounded up"
    assert new_deal(world, amount_wan="0.00004").amount_yuan == 0
    login(client, "staff")
    assert "12.3456 万元" in client.get(f"/deals/{deal.id}").text  # to the yuan on its own page
    assert "12.35" in client.get("/deals").text  # two decimals in the table
    listed = client.get(f"/api/v1/deals/{deal.id}").json()
    assert (listed["amount_yuan"], listed["amount_wan"]) == (123_456, "12.3456")


# --- the ledger -----------------------------------------------------------------------------------------


def test_the_ledger_counts_contracts_by_signing_year(world: World):
    session = world.session
    signed(world, date(2025, 12, 31), "300")
    signed(world, date(2026, 1, 1), "200", mode="licence_sole", record=True)
    signed(world, date(2026, 6, 1), "50", mode="pledge")
    for mode in ("licence_exclusive", "licence_ordinary", "equity", "investment"):
        signed(world, date(2026, 7, 1), "1", mode=mode)
    new_deal(world, amount_wan="999")  # intention: not counted
    gone = signed(world, date(2026, 2, 1), "777")
    svc.transition(session, world.staff, gone.id, StepIn(action="abandon", reason="合同解除"), TODAY)
    talks = new_deal(world, amount_wan="888")
    svc.transition(session, world.staff, talks.id, StepIn(action="negotiate", negotiation_on=date(2026, 4, 1)), TODAY)
    session.add(  # another center's contract
        Deal(center_id=world.other_center.id, title="x", mode="transfer", state="signed", amount_yuan=10**9,
             signed_on=date(2026, 1, 5), intention_on=date(2026, 1, 5), last_step_on=date(2026, 1, 5))
    )  # fmt: skip
    session.commit()
    years = svc.conversion_by_year(session, world.center.id)
    assert {y: (v.amount_yuan, v.deals) for y, v in years.items()} == {
        2025: (3_000_000, 1),
        2026: (2_000_000 + 500_000 + 4 * 10_000, 6),
    }
    assert svc.cumulative_projects(session, world.center.id) == 7
    figures = catalogue.center_figures(session, world.center.id, 2026)
    assert (figures["ledger_conversion_yuan"], figures["ledger_conversion_deals"]) == (2_540_000, 6)
    assert catalogue.center_figures(session, world.center.id, 2024)["ledger_conversion_yuan"] == 0


@pytest.mark.parametrize(
    ("last_year", "this_year", "projects", "eligible", "year"),
    [
        ("499.9999", "0", 1, False, 2025),
        ("500", "0", 1, True, 2025),
        ("0", "499.9999", 1, False, 2026),
        ("1", "500", 1, True, 2026),
        ("0", "0", 9, False, 2025),
        ("0", "0", 10, True, 2025),
    ],
)
def test_the_national_threshold_uses_the_ledger(world: World, last_year, this_year, projects, eligible, year):
    """Amount: the better of the last full year and this year so far (4,999,999 / 5,000,000 yuan);
    projects: every counted deal (9 / 10). Older years, open and abandoned deals do not count."""
    session = world.session
    signed(world, date(2024, 6, 1), "9000")  # two years ago: only a project
    signed(world, date(2025, 8, 1), last_year)
    signed(world, date(2026, 8, 1), this_year)
    for _ in range(projects - 3):
        signed(world, date(2023, 5, 1), "0")
    new_deal(world, amount_wan="9000")
    session.commit()
    admin = world.admin
    [row] = [r for r in ranking.national_ranking(session, admin, today=TODAY) if r.center.id == world.center.id]
    assert (row.eligible, row.conversion_year, row.source) == (eligible, year, "台账")
    assert row.conversion_projects == max(projects, 3)
    assert row.reported_year is None and row.reported_source == "—"


def test_the_national_page_labels_the_ledger_and_keeps_the_self_reported_figures(client, world: World):
    session = world.session
    signed(world, date(2025, 8, 1), "520")
    from ipoc.centers.models import SelfEvaluation

    session.add(
        SelfEvaluation(center_id=world.center.id, year=2025, deadline=date(2025, 12, 31), state="audited",
                       conversion_amount_yuan=1_230_000, conversion_projects=4)
    )  # fmt: skip
    session.commit()
    make_user(session, "admin_web", Role.REGION_ADMIN)
    login(client, "admin_web")
    page = client.get("/centers/national").text
    assert "台账" in page and "自报（对照）" in page
    assert "520（2025 年）" in page and "123（2025 年，自评报告（审核通过））" in page
    [row] = [r for r in ranking.national_ranking(session, world.admin) if r.center.id == world.center.id]
    assert (row.conversion_amount_yuan, row.reported_amount_yuan, row.reported_projects) == (5_200_000, 1_230_000, 4)


def test_the_self_evaluation_is_prefilled_from_the_ledger(world: World):
    session = world.session
    signed(world, date(2025, 8, 1), "520")
    signed(world, date(2025, 9, 1), "30")
    ev = cycle.start_self_evaluation(session, world.staff, world.center.id, 2025, date(2025, 12, 1))
    assert (ev.conversion_amount_yuan, ev.conversion_projects) == (5_500_000, 2)
    assert (ev.figures["ledger_conversion_yuan"], ev.figures["ledger_conversion_deals"]) == (5_500_000, 2)
    assert ("技术合同台账：本年度转化运营金额（万元）", "550") in decisions.figure_rows(ev.figures)


# --- who sees what --------------------------------------------------------------------------------------


def test_who_sees_which_deals_and_contacts(world: World):
    session = world.session
    deal = new_deal(world)
    data = ContactIn(
        subject="来访", seeker_org_id=world.ent.id, provider_name="某研究院", contacted_on=TODAY, channel="phone"
    )
    contact = svc.create_contact(session, world.staff, data, TODAY)
    session.commit()
    sees_deal = {"staff", "admin", "bureau", "univ", "ent"}
    sees_contact = {"staff", "admin", "bureau"}
    for role in ROLES:
        p = world.people[role]
        if role in sees_deal:
            assert svc.get_deal(session, p, deal.id) is deal
        else:
            with pytest.raises(NotFound):
                svc.get_deal(session, p, deal.id)
        if role in sees_contact:
            assert svc.get_contact(session, p, contact.id) is contact
            assert svc.list_contacts(session, p) == [contact]
        else:
            with pytest.raises(NotFound):
                svc.get_contact(session, p, contact.id)
        if role in ("other_staff", "other_bureau"):
            assert svc.list_deals(session, p) == [] and svc.list_contacts(session, p) == []
        elif role in ("stranger",):
            assert svc.list_deals(session, p) == []
        elif role in ("expert", "anonymous"):
            with pytest.raises(NotFound):
                svc.list_deals(session, p)
        else:
            assert svc.list_deals(session, p) == [deal]
    for role in ("admin", "bureau", "univ", "ent", "expert"):
        with pytest.raises(Forbidden):
            svc.create_deal(session, world.people[role], deal_in(world), TODAY)
    with pytest.raises(Forbidden):
        svc.close_contact(session, world.admin, contact.id, "不跟进")
    with pytest.raises(NotFound):
        svc.close_contact(session, world.other_staff, contact.id, "不跟进")


def test_pages_and_api_per_role(client, world: World):
    session = world.session
    deal = new_deal(world, amount_wan="76.5")
    conv = f"/api/v1/centers/{world.center.id}/conversion"
    signed(world, date(2026, 2, 2), "10")
    cases = {
        "staff": (200, True),
        "admin": (200, False),
        "bureau": (200, False),
        "univ": (200, False),
        "other_staff": (404, False),
        "other_bureau": (404, False),
        "stranger": (404, False),
        "expert": (404, False),
    }
    for role, (status, steps) in cases.items():
        login(client, role)
        page = client.get(f"/deals/{deal.id}")
        assert page.status_code == status, role
        assert ("76.5 万元" in page.text) is (status == 200), role
        assert ('data-testid="step-sign"' in page.text) is steps, role
        api = client.get(f"/api/v1/deals/{deal.id}")
        assert api.status_code == status, role
        listing = client.get("/deals")
        assert (listing.status_code == 404) is (role == "expert"), role
        assert ("储能电池专利独占许可" in listing.text) is (status == 200), role
        want_conv = 200 if role in ("staff", "admin", "bureau") else 404
        assert client.get(conv).status_code == want_conv, role
        post = post_form(
            client, f"/deals/{deal.id}/transition", {"action": "negotiate", "negotiation_on": "2026-04-01"}
        )
        assert post.status_code == (303 if steps else 403 if status == 200 else 404), role
        if steps:
            svc_deal = session.get(Deal, deal.id)
            session.refresh(svc_deal)
            svc_deal.state, svc_deal.negotiation_on = "intention", None  # back for the next role
            session.commit()
        client.post("/logout", data={"csrf_token": csrf_of(client)})
    client.cookies.clear()
    assert client.get(f"/deals/{deal.id}").status_code == 404
    assert client.get("/deals").status_code == 404
    assert client.get("/contacts").status_code == 404
    assert client.get(f"/api/v1/deals/{deal.id}").status_code == 404
    assert client.get(conv).status_code == 404
    login(client, "staff")
    ledger = client.get(conv).json()
    assert ledger["years"] == [{"year": 2026, "amount_yuan": 100_000, "amount_wan": "10", "deals": 1}]
    assert ledger["cumulative_projects"] == 1
    login(client, "univ")
    assert client.get("/contacts").status_code == 404


# --- contacts from a match and from an event ------------------------------------------------------------


def _demand(w: World) -> Demand:
    demand = Demand(
        org_id=w.ent.id, center_id=w.center.id, title="储能电池热失控防护", problem="热失控", desired_effect="不起火",
        public_summary="寻求储能电池热失控防护技术", confidential_detail=SECRET, modes=["licence"], state="published",
    )  # fmt: skip
    w.session.add(demand)
    w.session.flush()
    return demand


def _match(w: World, status: str = "accepted", center: Center | None = None) -> Match:
    patent = w.session.scalar(select(Patent).where(Patent.application_no == number(3)))
    if not patent.applicant_links:  # the university by name only: the party is found by it
        patent.applicant_links.append(PatentApplicant(applicant=Applicant(name=w.univ.name), position=0))
    match = Match(
        center_id=(center or w.center).id, demand_id=_demand(w).id, target_kind="patent", patent_id=patent.id,
        score=0.8, confidence=0.7, rank=1, reasons=["共同 IPC H01M"], state=status,
    )  # fmt: skip
    w.session.add(match)
    w.session.commit()
    return match


def test_a_contact_from_an_accepted_match(client, world: World):
    match = _match(world)
    login(client, "staff")
    form = client.get(f"/contacts/new?match_id={match.id}")
    assert form.status_code == 200 and "储能电池热失控防护 — 专利3" in form.text
    assert SECRET not in form.text
    fields = {"subject": "储能电池热失控防护对接", "contacted_on": "2026-05-01", "channel": "meeting"}
    made = post_form(client, "/contacts/new", fields | {"match_id": str(match.id)})
    assert made.status_code == 303
    contact = world.session.scalar(select(Contact))
    assert (contact.match_id, contact.demand_id, contact.patent_id) == (match.id, match.demand_id, match.patent_id)
    assert (contact.seeker_org_id, contact.provider_org_id) == (world.ent.id, world.univ.id), "parties from the match"
    page = client.get(f"/contacts/{contact.id}").text
    assert f"推荐匹配 #{match.id}" in page and SECRET not in page
    prefill = client.get(f"/deals/new?contact_id={contact.id}").text
    assert number(3) in prefill and "储能电池热失控防护对接" in prefill

    proposed = _match(world, status="proposed")
    assert client.get(f"/contacts/new?match_id={proposed.id}").status_code == 409
    elsewhere = _match(world, center=world.other_center)
    refused = post_form(
        client,
        "/contacts/new",
        {"match_id": str(elsewhere.id), "subject": "x对接", "contacted_on": "2026-05-01", "channel": "meeting"},
    )
    assert refused.status_code == 422 and "推荐匹配不存在" in refused.text
    assert world.session.scalar(select(func.count(Contact.id))) == 1


def test_a_contact_from_an_event_is_listed_for_the_event(world: World):
    session = world.session
    where = {"center_id": world.center.id, "starts_at": datetime(2026, 5, 1, 9), "place": "包头", "organisers": "中心"}
    event = TechEvent(kind="roadshow", title="新能源专利路演", state="held", **where)
    cancelled = TechEvent(kind="matchmaking", title="取消的对接会", state="cancelled", **where)
    session.add_all([event, cancelled])
    session.commit()
    defaults = svc.contact_defaults(session, world.staff, event_id=event.id, today=TODAY)
    assert (defaults["event_id"], defaults["channel"], defaults["subject"]) == (event.id, "event", "新能源专利路演")
    data = ContactIn.model_validate(defaults | {"seeker_org_id": world.ent.id, "provider_org_id": world.univ.id})
    contact = svc.create_contact(session, world.staff, data, TODAY)
    session.commit()
    assert svc.contacts_for_event(session, world.staff, event.id) == [contact]
    assert svc.contacts_for_event(session, world.bureau, event.id) == [contact]
    for role in ("anonymous", "univ", "expert", "other_staff"):
        assert svc.contacts_for_event(session, world.people[role], event.id) == [], role
    with pytest.raises(Conflict):
        svc.create_contact(session, world.staff, data.model_copy(update={"event_id": cancelled.id}), TODAY)
    with pytest.raises(InvalidInput) as exc:
        svc.create_contact(session, world.staff, data.model_copy(update={"event_id": 99_999}), TODAY)
    assert exc.value.field == "event_id"
    with pytest.raises(InvalidInput) as exc:
        svc.create_contact(session, world.staff, data.model_copy(update={"contacted_on": date(2026, 12, 1)}), TODAY)
    assert exc.value.field == "contacted_on"
    with pytest.raises(InvalidInput) as exc:
        svc.close_contact(session, world.staff, contact.id, " ")
    svc.close_contact(session, world.staff, contact.id, "双方未达成一致")
    session.commit()  # audit records are written at commit
    last = audit.history(session, "tech_contacts", contact.id)[-1]
    assert last.action == "transition:open->closed" and "双方未达成一致" in audit.decode(last)["meta"]["reason"]
    with pytest.raises(Conflict):
        svc.close_contact(session, world.staff, contact.id, "再关一次")
    with pytest.raises(Conflict):
        svc.create_deal(session, world.staff, deal_in(world, contact_id=contact.id), TODAY)
    assert session.scalar(select(func.count(Contact.id))) == 1


# --- lists, follow-up, export ---------------------------------------------------------------------------


def test_deals_to_follow_are_open_deals_of_the_center_stalest_first(world: World):
    session = world.session
    fresh = new_deal(world, intention_on=date(2026, 9, 1))
    stale = new_deal(world, intention_on=date(2026, 2, 1))
    moved = new_deal(world, intention_on=date(2026, 1, 1))
    svc.transition(session, world.staff, moved.id, StepIn(action="negotiate", negotiation_on=date(2026, 10, 1)), TODAY)
    signed(world, date(2026, 3, 1), record=True)  # recorded: nothing to follow
    session.add(
        Deal(
            center_id=world.other_center.id,
            title="x",
            mode="transfer",
            intention_on=date(2025, 1, 1),
            last_step_on=date(2025, 1, 1),
        )
    )
    session.commit()
    assert [d.id for d in svc.deals_to_follow(session, world.staff)] == [stale.id, fresh.id, moved.id]
    assert len(svc.deals_to_follow(session, world.admin)) == 4
    assert svc.deals_to_follow(session, world.bureau) == [] and svc.deals_to_follow(session, world.people["univ"]) == []


def test_the_lists_filter_total_in_wan_and_export(client, world: World):
    signed(world, date(2025, 12, 31), "100.5")
    signed(world, date(2026, 1, 1), "20.25", mode="equity")
    new_deal(world, title="仍在意向的交易", amount_wan="999")
    login(client, "staff")
    page = client.get("/deals").text
    assert "共 3 项交易，其中已签订合同 2 项，合同金额合计 <strong>120.75</strong> 万元" in page
    only = client.get("/deals?year=2026&mode=equity&stage=").text
    assert "合同金额合计 <strong>20.25</strong> 万元" in only and "仍在意向的交易" not in only
    assert "共 1 项交易" in client.get("/deals?stage=intention").text
    assert client.get("/deals?year=abc").status_code == 422
    sheet = client.get("/deals/export?year=2025")
    rows = table(sheet)
    assert rows[0][0] == "编号" and len(rows) == 2 and rows[1][7] == 100.5  # a number of 万元: SUM works
    assert "签订年度=2025" in title(sheet)
    assert [r.action for r in audit.history(world.session, "tech_deals", "-")][-1] == "export"
    svc.create_contact(
        world.session, world.staff,
        ContactIn(subject="来访咨询", seeker_name="甲公司", provider_name="乙大学", contacted_on=TODAY, channel="phone",
                  notes="内部备注不外传"),
        TODAY,
    )  # fmt: skip
    world.session.commit()
    contacts = client.get("/contacts?channel=phone").text
    assert "来访咨询" in contacts and "来访咨询" not in client.get("/contacts?channel=visit").text
    values = [v for row in table(client.get("/contacts/export")) for v in row]
    assert "来访咨询" in values and "内部备注不外传" not in values


# --- demo -----------------------------------------------------------------------------------------------


def test_the_demo_deals_load_once(demo):
    from ipoc.ops import demo_deals

    holders = (["包头示例稀土研究院", "内蒙古示例大学"], ["包头示例稀土研究院"], ["包头示例稀土新材料有限公司"], [])
    for serial, (no, names) in enumerate(zip(demo_deals.PATENTS, holders, strict=True), start=1):
        demo.add(
            Patent(
                application_no=no,
                kind="invention",
                title=f"演示专利{serial}",
                content_hash="x",
                passage_hash="x",
                rev=serial,
                patentees=names,
            )
        )
    demo.commit()
    assert demo_deals.load(demo, TODAY) is True
    demo.commit()
    stages = sorted(d.state for d in demo.scalars(select(Deal)))
    assert stages == ["abandoned", "negotiation", "recorded", "signed"]
    center_id = demo.scalar(select(Deal.center_id).limit(1))
    years = svc.conversion_by_year(demo, center_id)
    assert {y: v.amount_yuan for y, v in years.items()} == {2025: 5_200_000, 2026: 1_800_000}
    assert {d.rights_state for d in demo.scalars(select(Deal).where(Deal.signed_on.is_not(None)))} == {"passed"}
    consent = demo.scalar(select(RightsConsent))  # the co-owner's consent the exclusive licence needed
    assert (consent.party, consent.act, consent.attachment_id is not None) == (
        "包头示例稀土研究院",
        "exclusive_licence",
        True,
    )
    assert demo.scalar(select(func.count(Contact.id))) == 1
    assert demo_deals.load(demo, TODAY) is False


def test_an_open_deals_basic_data_is_corrected_by_its_staff_and_a_final_one_is_not(client, world: World):
    deal = new_deal(world)
    login(client, "staff")
    page = client.get(f"/deals/{deal.id}/edit")
    assert page.status_code == 200 and "储能电池专利独占许可" in page.text and 'name="amount_wan"' not in page.text
    form = {"title": "储能电池专利普通许可", "mode": "licence_ordinary", "provider_org_id": "", "provider_name": "",
            "seeker_org_id": world.ent.name, "seeker_name": "", "notes": "许可方式改为普通许可"}  # fmt: skip
    refused = post_form(client, f"/deals/{deal.id}/edit", form)  # the provider side left empty
    assert refused.status_code == 422 and 'data-field="provider_name"' in refused.text
    world.session.expire_all()
    assert world.session.get(Deal, deal.id).title == "储能电池专利独占许可"
    saved = post_form(client, f"/deals/{deal.id}/edit", form | {"provider_name": "包头示例大学技术转移中心"})
    assert saved.status_code == 303
    world.session.expire_all()
    stored = world.session.get(Deal, deal.id)
    assert (stored.title, stored.mode, stored.provider, stored.amount_yuan) == (
        "储能电池专利普通许可", "licence_ordinary", "包头示例大学技术转移中心", 1_200_000
    )  # fmt: skip
    reasons = [audit.decode(r)["meta"].get("reason") for r in audit.history(world.session, "tech_deals", deal.id)]
    assert reasons[-1] == "修改交易信息"
    api = form | {"provider_org_id": world.univ.id, "seeker_org_id": world.ent.id}
    for role, status in (("bureau", 403), ("other_staff", 404), ("expert", 404)):
        login(client, role)
        assert (
            client.put(f"/api/v1/deals/{deal.id}", json=api, headers={"X-CSRF-Token": csrf_of(client)}).status_code
            == status
        )
    svc.transition(world.session, world.staff, deal.id, StepIn(action="abandon", reason="对方撤回"), today=TODAY)
    world.session.commit()
    login(client, "staff")
    assert (
        client.put(f"/api/v1/deals/{deal.id}", json=api, headers={"X-CSRF-Token": csrf_of(client)}).status_code == 409
    )
