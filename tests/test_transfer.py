"""Technology demands and offers: the confidentiality of a demand's detail for every role (page, API and
export), draft visibility, who may record, and the refusals of bad input."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from ipoc.audit import service as audit
from ipoc.auth.roles import Principal
from ipoc.centers.models import Center
from ipoc.errors import Forbidden, InvalidInput, NotFound
from ipoc.orgs.models import Organisation
from ipoc.transfer import service as svc
from ipoc.transfer.schemas import DemandIn, OfferIn
from tests.conftest import act_as, post_form
from tests.factories import number
from tests.worlds.transfer import transfer_world

SECRET = "保密配方：钕铁硼晶界扩散温度九百一十度"
TODAY = date(2026, 11, 30)


@dataclass
class World:
    owner_org: Organisation
    center: Center
    people: dict[str, Principal]


def make_world(session) -> World:
    return World(*transfer_world(session))


WORLD = make_world  # the conftest's `world`


def _demand_in(**over) -> DemandIn:
    base = {
        "title": "高矫顽力磁体工艺",
        "problem": "磁体高温退磁",
        "desired_effect": "180 度下矫顽力不低于 20 kOe",
        "public_summary": "寻求高温稳定的稀土永磁工艺",
        "confidential_detail": SECRET,
        "modes": "transfer licence",
        "budget_min_wan": "10",
        "budget_max_wan": "50",
    }
    return DemandIn.model_validate(base | over)


def _published(session, world: World, **over) -> int:
    p = world.people["owner"]
    demand = svc.create_demand(session, p, _demand_in(center_id=world.center.id, **over), today=TODAY)
    svc.publish_demand(session, p, demand.id, today=TODAY)
    session.commit()
    return demand.id


def _export_text(response) -> str:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)


def test_confidential_detail_reaches_only_owner_handling_center_and_region(client, session, world):
    demand_id = _published(session, world)
    for who in (None, "other", "bureau", "other_staff", "expert"):
        act_as(client, who)
        pages = [client.get("/demands"), client.get(f"/demands/{demand_id}"), client.get("/api/v1/demands")]
        api = client.get(f"/api/v1/demands/{demand_id}")
        export = client.get("/demands/export")
        assert all(r.status_code == 200 for r in [*pages, api, export]), who
        assert "寻求高温稳定" in pages[1].text, who  # the public part is public
        assert all(SECRET not in r.text for r in pages), who
        assert api.json()["confidential_detail"] is None, who
        assert SECRET not in _export_text(export) and "寻求高温稳定" in _export_text(export), who
    for who in ("owner", "staff", "admin"):
        act_as(client, who)
        assert SECRET in client.get(f"/demands/{demand_id}").text, who
        assert client.get(f"/api/v1/demands/{demand_id}").json()["confidential_detail"] == SECRET, who
        assert SECRET not in _export_text(client.get("/demands/export")), who  # list exports carry public fields


def test_views_of_confidential_detail_by_others_than_the_owner_are_audited(client, session, world):
    demand_id = _published(session, world)
    for who in ("owner", "staff", "admin", "other"):
        act_as(client, who)
        client.get(f"/demands/{demand_id}")
    views = [r for r in audit.history(session, "tech_demands", demand_id) if r.action == "view"]
    assert sorted(r.actor_label for r in views) == ["admin", "staff"]


def test_drafts_are_seen_only_by_owner_handling_center_and_region(client, session, world):
    p = world.people
    demand = svc.create_demand(session, p["owner"], _demand_in(center_id=world.center.id), today=TODAY)
    offer = svc.create_offer(session, p["univ"], OfferIn.model_validate(_offer_data()))
    session.commit()
    for who in ("other", "other_staff", "bureau", "expert", "univ"):
        with pytest.raises(NotFound):
            svc.get_demand(session, p[who], demand.id)
    for who in ("owner", "staff", "admin"):
        assert svc.get_demand(session, p[who], demand.id).id == demand.id
    for who in ("owner", "staff", "admin"):
        with pytest.raises(NotFound):
            svc.get_offer(session, p[who], offer.id)
    assert svc.get_offer(session, p["univ"], offer.id).state == "draft"
    act_as(client, None)
    assert client.get(f"/demands/{demand.id}").status_code == 404
    assert client.get(f"/api/v1/offers/{offer.id}").status_code == 404
    assert "高矫顽力" not in client.get("/demands").text
    act_as(client, "univ")
    assert client.post(f"/api/v1/offers/{offer.id}/publish", headers=_csrf(client)).json()["status"] == "published"
    act_as(client, None)
    assert client.get(f"/offers/{offer.id}").status_code == 200


def _csrf(client) -> dict[str, str]:
    from tests.conftest import csrf_of

    return {"x-csrf-token": csrf_of(client)}


def _offer_data(**over) -> dict:
    return {
        "title": "稀土永磁晶界扩散技术",
        "problem_solved": "重稀土用量大",
        "advantage": "镝用量减少一半",
        "trl": 6,
        "field": "新能源汽车电机",
        "products": "驱动电机磁钢",
        "modes": ["licence"],
        "application_nos": [number(1).replace(".", "")],
    } | over


def test_offer_refuses_unknown_patent_numbers_naming_them(client, session, world):
    unknown = number(2)
    with pytest.raises(InvalidInput, match=unknown.replace(".", r"\.")):
        svc.create_offer(
            session, world.people["univ"], OfferIn.model_validate(_offer_data(application_nos=[number(1), unknown]))
        )
    session.rollback()
    act_as(client, "univ")
    form = {k: str(v) for k, v in _offer_data(application_nos=f"{number(1)} {unknown}").items() if k != "modes"}
    response = post_form(client, "/offers/new", form | {"modes": "licence"})
    assert response.status_code == 422
    assert unknown in response.text and 'data-field="application_nos"' in response.text
    assert client.get("/api/v1/offers").json() == []
    good = post_form(client, "/offers/new", form | {"application_nos": number(1), "modes": "licence"})
    assert good.status_code == 303
    assert client.get(good.headers["location"]).text.count(number(1)) == 1


def test_bad_budget_and_past_deadline_are_refused_next_to_their_fields(client, session, world):
    with pytest.raises(InvalidInput) as exc:
        svc.create_demand(session, world.people["owner"], _demand_in(budget_min_wan="60"), today=TODAY)
    assert exc.value.field == "budget_max_wan"
    with pytest.raises(InvalidInput) as exc:
        svc.create_demand(session, world.people["owner"], _demand_in(deadline=TODAY - timedelta(days=1)), today=TODAY)
    assert exc.value.field == "deadline"
    act_as(client, "owner")
    form = {
        "title": "测试需求",
        "problem": "问题",
        "desired_effect": "效果",
        "public_summary": "摘要",
        "modes": "equity",
    }
    response = post_form(client, "/demands/new", form | {"budget_min_wan": "80", "budget_max_wan": "20"})
    assert response.status_code == 422 and "预算下限不能高于上限" in response.text
    response = post_form(client, "/demands/new", form | {"deadline": "2001-01-01"})
    assert response.status_code == 422 and 'data-field="deadline"' in response.text
    assert client.get("/api/v1/demands").json() == []


def test_only_verified_members_and_center_staff_record_demands(client, session, world):
    p = world.people
    with pytest.raises(Forbidden):
        svc.create_demand(session, p["pending"], _demand_in(), today=TODAY)
    for who in ("bureau", "expert", "admin"):
        with pytest.raises(Forbidden):
            svc.create_demand(session, p[who], _demand_in(), today=TODAY)
    with pytest.raises(Forbidden):
        svc.create_offer(session, p["pending"], OfferIn.model_validate(_offer_data()))
    staff_made = svc.create_demand(session, p["staff"], _demand_in(org_id=world.owner_org.id), today=TODAY)
    assert (staff_made.org_id, staff_made.center_id) == (world.owner_org.id, world.center.id)
    session.commit()
    assert svc.get_demand(session, p["owner"], staff_made.id).id == staff_made.id  # the owner sees it too
    assert svc.can_see_confidential(p["owner"], staff_made)
    with pytest.raises(Forbidden):
        svc.publish_demand(session, p["admin"], staff_made.id, today=TODAY)
    assert svc.publish_demand(session, p["staff"], staff_made.id, today=TODAY).state == "published"
    with pytest.raises(Forbidden):
        svc.close_demand(session, p["other_staff"], staff_made.id)
    assert svc.close_demand(session, p["owner"], staff_made.id).state == "closed"


def test_api_create_patch_and_filters(client, session, world):
    act_as(client, "owner")
    body = {"title": "低成本磁体", "problem": "成本高", "desired_effect": "降本", "public_summary": "摘要",
            "modes": ["joint_rd"], "confidential_detail": SECRET}  # fmt: skip
    created = client.post("/api/v1/demands", json=body, headers=_csrf(client))
    assert created.status_code == 201, created.text
    demand_id = created.json()["id"]
    patched = client.patch(f"/api/v1/demands/{demand_id}", json={"budget_max_wan": "12.5"}, headers=_csrf(client))
    assert patched.json()["budget_max_yuan"] == 125_000 and patched.json()["title"] == "低成本磁体"
    bad = client.patch(f"/api/v1/demands/{demand_id}", json={"modes": []}, headers=_csrf(client))
    assert bad.status_code == 422
    client.post(f"/api/v1/demands/{demand_id}/publish", headers=_csrf(client))
    act_as(client, None)
    assert [d["id"] for d in client.get("/api/v1/demands?mode=joint_rd").json()] == [demand_id]
    assert client.get("/api/v1/demands?mode=equity").json() == []


def test_edit_pages_show_stored_values_and_owner_actions(client, session, world):
    demand_id = _published(session, world)
    act_as(client, "staff")
    page = client.get(f"/demands/{demand_id}/edit")
    assert (
        page.status_code == 200
        and "高矫顽力磁体工艺" in page.text
        and 'value="transfer" id="f-mode-transfer" checked' in page.text
    )
    response = post_form(
        client,
        f"/demands/{demand_id}/edit",
        {
            **svc.demand_input(svc.get_demand(session, world.people["staff"], demand_id)),
            "modes": "equity",
            "deadline": "",
            "title": "改过的需求",
        },
    )
    assert response.status_code == 303
    assert "改过的需求" in client.get(f"/demands/{demand_id}").text
    for who in ("other", "admin"):  # the edit form carries the confidential detail: managers only
        act_as(client, who)
        refused = client.get(f"/demands/{demand_id}/edit")
        assert refused.status_code == 403 and SECRET not in refused.text
        patch = client.patch(f"/api/v1/demands/{demand_id}", json={"title": "x" * 5}, headers=_csrf(client))
        assert patch.status_code == 403 and SECRET not in patch.text


def test_center_staff_prepare_a_draft_offer_that_the_organisation_publishes(session, world):
    univ = session.scalar(select(Organisation).where(Organisation.name == "内蒙古科技大学"))
    pending = session.scalar(select(Organisation).where(Organisation.name == "未核验科技有限公司"))
    data = OfferIn.model_validate(
        {
            "title": "稀土永磁体",
            "problem_solved": "高温退磁",
            "advantage": "矫顽力更高",
            "trl": 5,
            "field": "永磁材料",
            "products": "电机磁钢",
            "modes": "transfer",
            "application_nos": number(1),
        }
    )
    staff = world.people["staff"]
    with pytest.raises(Forbidden):
        svc.create_offer(session, staff, data)  # on whose behalf?
    with pytest.raises(Forbidden):
        svc.create_offer(session, staff, data, on_behalf_of=pending.id)
    with pytest.raises(InvalidInput):
        svc.create_offer(session, staff, data, on_behalf_of=10_000)
    offer = svc.create_offer(session, staff, data, on_behalf_of=univ.id)
    assert offer.org_id == univ.id and offer.state == "draft"
    assert svc.get_offer(session, staff, offer.id) is offer  # the preparer reads the draft
    with pytest.raises(NotFound):
        svc.get_offer(session, world.people["other_staff"], offer.id)
    with pytest.raises(Forbidden):
        svc.publish_offer(session, staff, offer.id)
    assert svc.publish_offer(session, world.people["univ"], offer.id).state == "published"
