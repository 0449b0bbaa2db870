"""The center staff's desk (对接工作台): on the full demo it gathers exactly the matches waiting for review, the open
deals stalest first, the handled demands never matched and the coming events, on the page, in the API and in the
export; a decision or a first matching run takes an item off; only the staff and the region bureau have a desk."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ipoc.db import session_scope
from ipoc.deals.flows import OPEN_STAGES
from ipoc.deals.models import Deal
from ipoc.matching import service as matching
from ipoc.matching.models import Match
from ipoc.ops.demo_lifecycle import demo_principal
from ipoc.transfer import service as transfer
from ipoc.transfer.schemas import DemandIn
from tests.conftest import login
from tests.exported import table


def _new_demand() -> int:
    """A published demand of the demo enterprise, handled by the demo center, never matched."""
    with session_scope() as session:
        staff = demo_principal(session, "center")
        org_id = session.scalar(select(Deal.seeker_org_id).where(Deal.seeker_org_id.is_not(None)).limit(1))
        data = DemandIn.model_validate(
            {
                "org_id": org_id,
                "title": "风电叶片前缘防护涂层",
                "problem": "叶片前缘雨蚀",
                "desired_effect": "寿命十年以上",
                "public_summary": "寻求叶片前缘防护涂层",
                "modes": "licence",
            }
        )
        demand = transfer.create_demand(session, staff, data)
        transfer.publish_demand(session, staff, demand.id)
        return demand.id


def test_the_desk_gathers_what_the_staff_must_act_on(client, full_demo):
    with session_scope() as session:
        staff = demo_principal(session, "center")
        proposed = set(session.scalars(select(Match.id).where(Match.state == "proposed")))
        open_deals = session.scalars(
            select(Deal).where(Deal.center_id == staff.center_id, Deal.state.in_(OPEN_STAGES))
        ).all()
    assert proposed and open_deals
    login(client, "center")
    box = client.get("/api/v1/inbox").json()
    assert {m["id"] for m in box["matches"]} == proposed
    assert all(m["reasons"] and 0 <= m["confidence"] <= 1 for m in box["matches"])
    expected = [d.id for d in sorted(open_deals, key=lambda d: (d.last_step_on, d.id))]
    assert [d["id"] for d in box["deals"]] == expected
    assert box["unmatched_demands"] == []  # the demo matched every demand it handles
    assert [e["title"] for e in box["events"]], "the open matchmaking event is coming"

    page = client.get("/inbox")
    assert page.status_code == 200
    assert all(f"/matches/{m['id']}" in page.text for m in box["matches"])
    assert all(f"/deals/{d}" in page.text for d in expected)

    kinds = [row[0] for row in table(client.get("/inbox.xlsx"))[1:]]
    assert kinds.count("待审核匹配") == len(proposed) and kinds.count("跟进中的交易") == len(expected)
    assert kinds.count("近期活动") == len(box["events"])


def test_a_first_matching_run_and_a_decision_take_items_off(client, full_demo):
    demand_id = _new_demand()
    login(client, "center")
    box = client.get("/api/v1/inbox").json()
    assert [d["id"] for d in box["unmatched_demands"]] == [demand_id]
    with session_scope() as session:
        staff = demo_principal(session, "center")
        fresh = matching.propose_for_demand(session, staff, demand_id)
    assert fresh
    box = client.get("/api/v1/inbox").json()
    assert box["unmatched_demands"] == []
    waiting = {m["id"] for m in box["matches"]}
    assert {m.id for m in fresh} <= waiting
    with session_scope() as session:
        matching.decide(session, demo_principal(session, "center"), fresh[0].id, "reject", "领域不符")
    assert {m["id"] for m in client.get("/api/v1/inbox").json()["matches"]} == waiting - {fresh[0].id}


@pytest.mark.parametrize("username", ["member", "dairy", "baotou", "expert"])
def test_only_the_staff_and_the_region_have_a_desk(client, full_demo, username):
    login(client, username)
    assert client.get("/inbox").status_code == 403
    assert client.get("/api/v1/inbox").status_code == 403
    assert client.get("/inbox.xlsx").status_code == 403


def test_the_region_follows_every_centers_deals_and_the_public_is_sent_to_log_in(client, full_demo):
    assert client.get("/inbox").headers["location"].startswith("/login")
    assert client.get("/api/v1/inbox").status_code == 401
    login(client, "admin")
    box = client.get("/api/v1/inbox").json()
    with session_scope() as session:
        open_deals = set(session.scalars(select(Deal.id).where(Deal.state.in_(OPEN_STAGES))))
    assert {d["id"] for d in box["deals"]} == open_deals


@pytest.mark.parametrize(("username", "shown"), [("center", True), ("admin", True), ("dairy", False), (None, False)])
def test_the_demand_page_links_its_matches_for_those_who_may_read_them(client, full_demo, username, shown):
    with session_scope() as session:
        demand_id = session.scalar(select(Match.demand_id).where(Match.demand_id.is_not(None)).limit(1))
    if username:
        login(client, username)
    assert ('data-testid="demand-matches-link"' in client.get(f"/demands/{demand_id}").text) is shown
    assert client.get(f"/demands/{demand_id}/matches").status_code == (200 if shown else 404)


def test_the_staff_dashboard_counts_what_the_desk_holds(client, full_demo):
    login(client, "center")
    box = client.get("/api/v1/inbox").json()
    counts = [len(box[k]) for k in ("matches", "deals", "unmatched_demands", "events")]
    expected = "技术转移：待审核匹配 {} 项，跟进中的交易 {} 项，尚未匹配的需求 {} 项，近期活动 {} 场".format(*counts)
    assert expected in client.get("/dashboard").text
