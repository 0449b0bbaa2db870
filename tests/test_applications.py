"""Recognition dossiers (Arts. 5–7): who may apply with what, what submission needs, who sees a dossier,
what the applicant sees of its progress, the calls, the list, its export and the API."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from ipoc.applications import flows
from ipoc.applications import service as applications
from ipoc.applications.models import Application, Call
from ipoc.applications.schemas import ApplicationIn, ApplicationPatch, CallIn, DossierIn
from ipoc.audit.models import AuditRecord
from ipoc.auth.roles import Principal, Role
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.reference.service import find_region
from tests.conftest import csrf_of, login, post_form
from tests.exported import table
from tests.factories import make_org, who
from tests.worlds.dossiers import (
    ALL_EVIDENCE,
    TODAY,
    World,
    add_evidence,
    counts,
    dossier_in,
    make_dossier,
    make_world,
    open_call,
)

WORLD = make_world  # the conftest's `world`


# --- creating a dossier ---------------------------------------------------------------------------------


def test_a_member_of_a_verified_organisation_opens_a_draft(world):
    app = make_dossier(world, complete=False)
    assert app.state == "draft" and app.org_id == world.org.id and app.created_by_id == world.applicant.user_id
    assert app.region_id == find_region(world.session, "包头市").id
    assert [c.number for c in app.conditions] == [1, 2, 3, 4, 5]
    assert [e.action for e in applications.timeline(world.session, app)] == ["create"]
    # A separately addressed city that does not recommend itself: its league/city's bureau handles the dossier.
    mzl = find_region(world.session, "满洲里市")
    mzl.acts_as_recommender = False
    world.other_org.region_id = mzl.id
    world.session.commit()
    world.session.expire_all()
    other = applications.create_application(world.session, world.other_member, dossier_in(world))
    assert other.region_id == find_region(world.session, "呼伦贝尔市").id


def _refusal(w: World, principal: Principal, data: ApplicationIn, **kw) -> Exception:
    with pytest.raises((Forbidden, InvalidInput, Conflict, NotFound)) as exc:
        applications.create_application(w.session, principal, data, **kw)
    w.session.rollback()
    return exc.value


def test_who_may_open_a_dossier_and_for_what(world):
    for p in (world.bureau, world.region, world.expert, world.anonymous):
        assert isinstance(_refusal(world, p, dossier_in(world)), Forbidden)
    world.org.state = "pending"
    world.session.commit()
    unverified = _refusal(world, world.applicant, dossier_in(world))
    assert isinstance(unverified, Forbidden) and "尚未通过" in unverified.message
    world.org.state, world.org.type_code = "verified", "service_agency"
    world.session.commit()
    agency = _refusal(world, world.applicant, dossier_in(world))
    assert agency.message == "知识产权服务机构仅可作为参与单位参与建设（第五条）" and agency.field == "builder_type"
    world.org.type_code = "enterprise"
    world.industry.category = "其他"
    world.session.commit()
    untagged = _refusal(world, world.applicant, dossier_in(world))
    assert "重点产业或优势特色产业" in untagged.message and untagged.field == "industry_id"
    world.industry.category, world.industry.active = "重点", False
    world.session.commit()
    assert "已停用" in _refusal(world, world.applicant, dossier_in(world)).message
    world.industry.active = True
    world.session.commit()
    late = _refusal(world, world.applicant, dossier_in(world), today=TODAY + timedelta(30))
    assert isinstance(late, Conflict) and "不在申报期内" in late.message
    unpublished = open_call(world.session, title="未开始的批次", opens_on=TODAY + timedelta(days=5))
    world.session.commit()
    assert isinstance(_refusal(world, world.applicant, dossier_in(world, call_id=unpublished.id)), NotFound)
    assert world.session.scalar(select(func.count(Application.id))) == 0


def test_the_builder_type_comes_from_the_article_5_list():
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        ApplicationIn(call_id=1, builder_type="service_agency", industry_id=1)


def test_one_live_dossier_per_organisation_and_call(world):
    first = make_dossier(world)
    assert isinstance(_refusal(world, world.applicant, dossier_in(world)), Conflict)
    applications.take_action(world.session, world.applicant, first.id, "submit")
    applications.take_action(world.session, world.applicant, first.id, "withdraw")
    again = applications.create_application(world.session, world.applicant, dossier_in(world))
    assert again.id != first.id and again.state == "draft"
    other_call = open_call(world.session, title="2026 年度第二批")
    assert applications.create_application(world.session, world.applicant, dossier_in(world, call_id=other_call.id))


# --- editing --------------------------------------------------------------------------------------------


def test_only_the_applicant_edits_and_only_a_draft_or_returned_dossier(world):
    app = make_dossier(world)
    patch = ApplicationPatch(team="新团队", conditions={2: "新说明"})
    applications.update_application(world.session, world.applicant, app.id, patch)
    assert app.team == "新团队" and app.conditions[1].statement == "新说明" and app.conditions[0].statement
    with pytest.raises(Forbidden):
        applications.update_application(world.session, world.region, app.id, patch)
    with pytest.raises(NotFound):
        applications.update_application(world.session, world.other_member, app.id, patch)
    applications.take_action(world.session, world.applicant, app.id, "submit")
    with pytest.raises(Conflict, match="只有草稿或退回补正"):
        applications.update_application(world.session, world.applicant, app.id, patch)
    applications.take_action(world.session, world.bureau, app.id, "return", "补充经费证明")
    applications.update_application(world.session, world.applicant, app.id, ApplicationPatch(funds_yuan=3_000_000))
    assert app.funds_yuan == 3_000_000
    with pytest.raises(Conflict, match="申报路径"):
        applications.update_application(world.session, world.applicant, app.id, ApplicationPatch(route="direct"))
    # The edit form sends every field: what was emptied is cleared.
    full = DossierIn(builder_type="industry_association", industry_id=world.industry.id, condition_1="只填第一项")
    applications.update_application(world.session, world.applicant, app.id, full)
    assert app.builder_type == "industry_association" and app.team == "" and app.team_size == 0
    assert [c.statement for c in app.conditions] == ["只填第一项", "", "", "", ""]


# --- submission -----------------------------------------------------------------------------------------


def test_submission_names_every_missing_condition_and_part(world):
    app = make_dossier(world, complete=False, team="", funds_yuan=0, construction_plan="")
    add_evidence(world.session, app, "condition:1", "condition:3")
    app.conditions[2].statement = ""
    world.session.commit()
    before = counts(world.session, app)
    with pytest.raises(InvalidInput) as exc:
        applications.take_action(world.session, world.applicant, app.id, "submit")
    message = exc.value.message
    assert message.startswith("不能提交：")
    assert "条件（一）" not in message
    assert "条件（二）缺少证明材料" in message and "条件（三）缺少情况说明；" in message
    assert "条件（四）缺少证明材料" in message and "条件（五）缺少证明材料" in message
    assert "缺少建设方案" in message and "人才队伍" in message and "经费" in message
    world.session.rollback()
    assert app.state == "draft" and app.submitted_at is None and counts(world.session, app) == before


def test_submission_needs_route_proof_the_window_and_a_verified_applicant(world):
    app = make_dossier(world, route="direct", complete=False)
    add_evidence(world.session, app, *ALL_EVIDENCE)
    with pytest.raises(InvalidInput, match="自治区级以上单位的证明材料"):
        applications.take_action(world.session, world.applicant, app.id, "submit")
    add_evidence(world.session, app, "route")
    late = world.call.closes_on + timedelta(days=1)
    for day in (late, world.call.opens_on - timedelta(days=1)):
        with pytest.raises(InvalidInput, match="不在申报期内"):
            applications.take_action(world.session, world.applicant, app.id, "submit", today=day)
    world.org.state = "rejected"
    with pytest.raises(Forbidden):
        applications.take_action(world.session, world.applicant, app.id, "submit")
    world.org.state = "verified"
    applications.take_action(world.session, world.applicant, app.id, "submit", today=world.call.closes_on)
    assert app.state == "submitted" and app.submitted_at is not None
    # A dossier returned for correction may be resubmitted after the window closed.
    applications.take_action(world.session, world.region, app.id, "return_direct", "补正")
    applications.take_action(world.session, world.applicant, app.id, "resubmit", today=late)
    assert app.state == "submitted"


# --- who sees a dossier (Arts. 6–7) ---------------------------------------------------------------------


def test_routing_decides_who_reads_and_who_decides(world):
    ordinary = make_dossier(world)
    applications.take_action(world.session, world.applicant, ordinary.id, "submit")
    assert applications.get_application(world.session, world.bureau, ordinary.id) is ordinary
    assert not applications.is_filing_copy(world.bureau, ordinary)
    for outsider in (world.other_bureau, world.other_member, world.anonymous, world.center_staff):
        with pytest.raises(NotFound):
            applications.get_application(world.session, outsider, ordinary.id)
    applications.take_action(world.session, world.applicant, ordinary.id, "withdraw")

    direct = make_dossier(world, route="direct")
    applications.take_action(world.session, world.applicant, direct.id, "submit")
    assert applications.get_application(world.session, world.bureau, direct.id) is direct
    assert applications.is_filing_copy(world.bureau, direct)
    assert applications.available_actions(world.bureau, direct) == []
    with pytest.raises(Forbidden):
        applications.take_action(world.session, world.bureau, direct.id, "return", "试图退回")
    with pytest.raises(NotFound):
        applications.get_application(world.session, world.other_bureau, direct.id)
    assert direct not in applications.waiting_on(world.session, world.bureau)
    assert direct in applications.waiting_on(world.session, world.region)
    # An expert reads only what a panel gave them; there is no panel yet.
    with pytest.raises(NotFound):
        applications.get_application(world.session, world.expert, direct.id)
    assert applications.list_applications(world.session, world.expert) == []


def test_the_inbox_holds_what_waits_on_each_role(world):
    app = make_dossier(world)
    assert applications.waiting_on(world.session, world.applicant) == [app]
    assert applications.waiting_on(world.session, world.bureau) == []
    applications.take_action(world.session, world.applicant, app.id, "submit")
    assert applications.waiting_on(world.session, world.applicant) == []
    assert applications.waiting_on(world.session, world.bureau) == [app]
    assert applications.waiting_on(world.session, world.other_bureau) == []
    assert applications.waiting_on(world.session, world.region) == []
    applications.take_action(world.session, world.bureau, app.id, "accept")
    applications.take_action(world.session, world.bureau, app.id, "recommend")
    assert applications.waiting_on(world.session, world.bureau) == []
    assert applications.waiting_on(world.session, world.region) == [app]
    applications.take_action(world.session, world.region, app.id, "start_recheck")
    applications.take_action(world.session, world.region, app.id, "return_recheck", "请补充")
    assert applications.waiting_on(world.session, world.applicant) == [app]
    assert applications.waiting_on(world.session, world.expert) == []


def test_the_list_is_ranked_within_a_call(world):
    first = make_dossier(world)
    second = make_dossier(world, complete=False, call_id=open_call(world.session, title="另一批次").id)
    third_org = make_org(world.session, "包头测试第三家", city="包头市")
    third_member = who(world.session, "third", Role.MEMBER, str(third_org.id))
    third = applications.create_application(world.session, third_member, dossier_in(world))
    first.expert_rank, third.expert_rank = 2, 1
    world.session.commit()
    ranked = applications.list_applications(world.session, world.region)
    assert ranked == [second, third, first]  # newest call first, then rank within the call
    assert applications.list_applications(world.session, world.region, call_id=world.call.id) == [third, first]
    assert applications.list_applications(world.session, world.bureau, state="draft") == [second, third, first]
    chifeng = find_region(world.session, "赤峰市").id
    assert applications.list_applications(world.session, world.region, region_id=chifeng) == []


# --- calls ----------------------------------------------------------------------------------------------


def test_only_the_region_bureau_sets_calls_and_the_window_is_checked(world):
    data = CallIn(year=2027, title="2027 年度", opens_on=date(2027, 3, 1), closes_on=date(2027, 2, 1))
    with pytest.raises(InvalidInput) as exc:
        applications.save_call(world.session, world.region, data)
    assert exc.value.field == "closes_on"
    data = data.model_copy(update={"closes_on": date(2027, 4, 1)})
    with pytest.raises(Forbidden):
        applications.save_call(world.session, world.bureau, data)
    with pytest.raises(Conflict):
        applications.save_call(world.session, world.region, data.model_copy(update={"title": world.call.title}))
    future = applications.save_call(world.session, world.region, data)
    assert applications.call_status(future, date(2027, 2, 28)) == "draft"
    assert applications.call_status(future, date(2027, 4, 1)) == "open"
    assert applications.call_status(future, date(2027, 4, 2)) == "closed"
    assert future not in applications.list_calls(world.session, world.applicant, today=date(2027, 2, 28))
    assert future in applications.list_calls(world.session, world.applicant, today=date(2027, 3, 1), open_only=True)
    assert future in applications.list_calls(world.session, world.region, today=date(2027, 2, 28))


def test_calls_pages_for_the_admin_and_for_applicants(client, world):
    login(client, "admin")
    bad = post_form(
        client, "/calls", {"year": "2027", "title": "倒置", "opens_on": "2027-05-01", "closes_on": "2027-04-01"}
    )
    assert bad.status_code == 422 and "截止日期不能早于开始日期" in bad.text
    data = {"year": "2027", "title": "2027 年度", "opens_on": TODAY.isoformat(), "closes_on": TODAY.isoformat()}
    assert post_form(client, "/calls", data).status_code == 303
    call = world.session.scalar(select(Call).where(Call.title == "2027 年度"))
    assert client.get(f"/calls/{call.id}/edit").status_code == 200
    assert post_form(client, f"/calls/{call.id}", {**data, "note": "延长"}).status_code == 303
    world.session.refresh(call)
    assert call.note == "延长"
    login(client, "applicant")
    page = client.get("/calls")
    assert f'data-testid="apply-{call.id}"' in page.text and "新建批次" not in page.text
    assert post_form(client, "/calls", {**data, "title": "越权"}).status_code == 403
    api = client.get("/api/v1/calls?open_only=true").json()
    assert {c["title"] for c in api} == {world.call.title, "2027 年度"} and api[0]["status"] == "open"
    body = {**data, "year": 2027, "title": "2027 年度（调整）"}
    headers = {"x-csrf-token": csrf_of(client)}
    assert client.put(f"/api/v1/calls/{call.id}", json=body, headers=headers).status_code == 403
    login(client, "admin")
    edited = client.put(f"/api/v1/calls/{call.id}", json=body, headers={"x-csrf-token": csrf_of(client)})
    assert edited.status_code == 200 and edited.json()["title"] == "2027 年度（调整）"


# --- pages and export -----------------------------------------------------------------------------------


def test_the_applicant_follows_its_dossier_with_reasons(client, world):
    app = make_dossier(world)
    applications.take_action(world.session, world.applicant, app.id, "submit")
    applications.take_action(world.session, world.bureau, app.id, "return", "经费证明不清晰，请补充银行回单")
    world.session.commit()
    login(client, "applicant")
    page = client.get(f"/applications/{app.id}")
    assert page.status_code == 200
    assert '<span class="badge fs-6 text-bg-primary" data-testid="state">退回补正</span>' in page.text
    assert "经费证明不清晰，请补充银行回单" in page.text and "baotou" in page.text
    assert 'data-testid="action-resubmit"' in page.text and 'data-testid="edit"' in page.text
    assert 'data-testid="upload-condition:1"' in page.text
    listed = client.get("/applications")
    assert f'data-testid="app-{app.id}"' in listed.text and 'data-testid="inbox"' in listed.text


def test_a_bureau_sees_its_inbox_and_marked_filing_copies(client, world):
    ordinary = make_dossier(world)
    applications.take_action(world.session, world.applicant, ordinary.id, "submit")
    other = who(world.session, "third", Role.MEMBER, str(make_org(world.session, "包头第二家", city="包头市").id))
    direct = applications.create_application(world.session, other, dossier_in(world, route="direct"))
    add_evidence(world.session, direct, *ALL_EVIDENCE, "route")
    applications.take_action(world.session, other, direct.id, "submit")
    world.session.commit()
    login(client, "baotou")
    page = client.get("/applications").text
    inbox = page.split('data-testid="inbox"')[1].split("</table>")[0]
    assert f'data-testid="app-{ordinary.id}"' in inbox and f'data-testid="app-{direct.id}"' not in inbox
    assert page.count('data-testid="filing-copy"') == 1
    copy = client.get(f"/applications/{direct.id}")
    assert (
        copy.status_code == 200
        and 'data-testid="filing-copy"' in copy.text
        and 'data-testid="actions"' not in copy.text
    )
    assert post_form(client, f"/applications/{direct.id}/actions/return", {"reason": "x"}).status_code == 403
    login(client, "chifeng")
    assert client.get(f"/applications/{direct.id}").status_code == 404
    assert client.get(f"/api/v1/applications/{ordinary.id}").status_code == 404


def test_the_export_lists_only_what_the_caller_sees(client, world):
    mine = make_dossier(world)
    theirs = applications.create_application(world.session, world.other_member, dossier_in(world))
    world.session.commit()

    def exported_ids() -> set[int]:
        response = client.get("/applications.xlsx")
        assert response.status_code == 200
        return {row[0] for row in table(response)[1:]}

    login(client, "applicant")
    assert exported_ids() == {mine.id}
    login(client, "baotou")
    assert exported_ids() == {mine.id}
    login(client, "admin")
    assert exported_ids() == {mine.id, theirs.id}
    exports = world.session.scalars(select(AuditRecord).where(AuditRecord.action == "export")).all()
    assert len(exports) == 3
    chifeng = find_region(world.session, "赤峰市").id
    filtered = client.get(f"/applications?call_id={world.call.id}&state=draft&region_id={chifeng}").text
    assert f'data-testid="app-{theirs.id}"' in filtered and f'data-testid="app-{mine.id}"' not in filtered
    assert 'name="region_id"' in filtered


def test_creating_and_editing_through_the_pages(client, world):
    login(client, "applicant")
    assert client.get(f"/applications/new?call_id={world.call.id}").status_code == 200
    form = {
        "call_id": str(world.call.id),
        "builder_type": "leading_enterprise",
        "industry_id": str(world.industry.id),
        "route": "via_bureau",
        "condition_1": "产业规划",
        "team_size": "3",
    }
    created = post_form(client, "/applications", form)
    assert created.status_code == 303
    app_id = int(created.headers["location"].rsplit("/", 1)[1])
    again = post_form(client, "/applications", form)
    assert again.status_code == 422 and "已有申报" in again.text
    assert client.get(f"/applications/{app_id}/edit").status_code == 200
    edited = post_form(client, f"/applications/{app_id}/edit", {**form, "team": "五人团队", "condition_1": ""})
    assert edited.status_code == 303
    app = world.session.get(Application, app_id)
    world.session.refresh(app)
    assert app.team == "五人团队" and app.conditions[0].statement == ""
    refused = post_form(client, f"/applications/{app_id}/actions/submit", {})
    assert refused.status_code == 422 and "条件（一）缺少情况说明和证明材料" in refused.text
    login(client, "baotou")
    assert client.get(f"/applications/{app_id}/edit").status_code == 403


# --- the API --------------------------------------------------------------------------------------------


def test_api_shapes(client, world):
    login(client, "applicant")
    body = dossier_in(world).model_dump(mode="json")
    created = client.post("/api/v1/applications", json=body, headers={"x-csrf-token": csrf_of(client)})
    assert created.status_code == 201
    data = created.json()
    assert data["state"] == "draft" and data["state_label"] == "草稿" and data["filing_copy"] is False
    assert [c["number"] for c in data["conditions"]] == [1, 2, 3, 4, 5] and data["conditions"][0]["evidence"] == []
    assert data["timeline"][0]["action"] == "create" and data["timeline"][0]["label"] == "创建申报草稿"
    assert {a["action"] for a in data["actions"]} == {"submit"}
    patched = client.patch(
        f"/api/v1/applications/{data['id']}", json={"funds_note": "自筹"}, headers={"x-csrf-token": csrf_of(client)}
    )
    assert patched.json()["funds_note"] == "自筹" and patched.json()["construction_plan"] == "三年建设方案"
    listed = client.get("/api/v1/applications").json()
    assert [a["id"] for a in listed] == [data["id"]] and "timeline" not in listed[0]
    assert [a["id"] for a in client.get("/api/v1/applications?waiting=true").json()] == [data["id"]]
    spec = client.get("/api/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert {"ApplicationIn", "ApplicationOut", "ApplicationPatch", "CallIn", "CallOut", "ActionIn"} <= set(schemas)
    post = spec["paths"]["/api/v1/applications/{app_id}/actions/{action}"]["post"]
    assert post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("ApplicationOut")


def test_every_compound_action_names_the_page_where_it_is_taken():
    assert set(applications.COMPOUND_PLACES) == flows.COMPOUND_ACTIONS


def test_the_typed_choices_are_the_models_label_tables():
    from typing import get_args

    from ipoc.applications.models import BUILDER_TYPES, ROUTES
    from ipoc.applications.schemas import BuilderType, Route

    assert set(get_args(BuilderType)) == set(BUILDER_TYPES)
    assert set(get_args(Route)) == set(ROUTES)
