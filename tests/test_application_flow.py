"""The recognition state machine (Arts. 6–7, domain-rules §0): every transition tried from every state by
every role, refused with the right error and without a trace; every path walked to its end."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ipoc.applications import flows
from ipoc.applications import service as applications
from ipoc.applications.models import ROUTES, Application
from ipoc.audit.models import AuditRecord
from ipoc.errors import Conflict, Forbidden, InvalidInput
from tests.conftest import csrf_of, login, post_form
from tests.worlds.dossiers import World, counts, make_dossier, make_world, open_call

WORLD = make_world  # the conftest's `world`

ROLES = ("applicant", "other_member", "bureau", "other_bureau", "region", "expert", "center_staff", "anonymous")


def owns(role: str, owner: str, route: str) -> bool:
    """Who owns a step, stated independently of flows.owners_for: the bureau of the area only on the
    ordinary route (on the direct route it holds a filing copy), anyone at all for the public's step."""
    return {
        "applicant": role == "applicant",
        "bureau": role == "bureau" and route == "via_bureau",
        "region": role == "region",
        "public": True,
    }[owner]


def fits(t: flows.Transition, state: str, route: str) -> bool:
    """Whether the step applies to the dossier's state and route; the direct route's "return" from
    submitted is the region's own (return_direct), never the bureau's."""
    return state in t.sources and t.route in (None, route) and not (t.action == "return" and route == "direct")


def expected(t: flows.Transition, role: str, state: str, route: str) -> type[Exception] | None:
    if not owns(role, t.owner, route):
        return Forbidden
    return None if fits(t, state, route) else Conflict


def _returned_from(route: str) -> str:
    return "prefecture_review" if route == "via_bureau" else "submitted"


def test_every_transition_from_every_state_by_every_role(world: World):
    session = world.session
    tried = refused = 0
    for route in ROUTES:
        app = make_dossier(world, route=route, call_id=open_call(session, title=f"矩阵 {route}").id)
        for state in flows.STATE_LABELS:
            app.state = state
            app.returned_from = returned_from = _returned_from(route) if state == "returned" else None
            session.commit()
            before = counts(session, app)
            for role in ROLES:
                principal = getattr(world, role)
                available = {t.action for t in applications.available_actions(principal, app)}
                for t in flows.TRANSITIONS:
                    want = expected(t, role, state, route)
                    tried += 1
                    if want is None:
                        assert t.action in available, (route, state, role, t.action)
                        if not t.needs_reason:
                            continue
                        want = InvalidInput  # allowed, but not without a reason
                    else:
                        assert t.action not in available, (route, state, role, t.action)
                    reason = "  " if want is InvalidInput else "理由"
                    with pytest.raises(want) as exc:
                        applications.transition(session, principal, app, t.action, reason)
                    if want is InvalidInput:
                        assert exc.value.field == "reason"
                    refused += 1
                    assert (app.state, app.returned_from) == (state, returned_from)
                    assert not session.new and not session.dirty, (route, state, role, t.action)
            assert counts(session, app) == before, (route, state)
    assert tried == 2 * len(flows.STATE_LABELS) * len(ROLES) * len(flows.TRANSITIONS)
    assert refused > tried * 0.9


# --- the paths ------------------------------------------------------------------------------------------


def step(role: str):
    return lambda action, reason="": (role, action, reason)


applicant, bureau, region = step("applicant"), step("bureau"), step("region")
SUBMITTED = [applicant("submit")]
ACCEPTED = [*SUBMITTED, bureau("accept")]
REVIEWED = [*ACCEPTED, bureau("recommend")]
IN_RECHECK = [*REVIEWED, region("start_recheck")]
RECHECKED = [*IN_RECHECK, region("pass_recheck")]
DIRECT = [*SUBMITTED, region("accept_direct"), region("pass_recheck")]
NOTICE = [region("shortlist"), region("publish")]
OBJECTED = [*RECHECKED, *NOTICE, ("anonymous", "object", "该单位无独立场所")]

# (name, route, steps, final state)
PATHS = [
    ("recognised via the bureau", "via_bureau", [*RECHECKED, *NOTICE, region("recognize")], "recognized"),
    ("recognised on the direct route", "direct", [*DIRECT, *NOTICE, region("recognize")], "recognized"),
    ("objection dismissed", "via_bureau", [*OBJECTED, region("recognize", "异议不成立")], "recognized"),
    ("objection upheld", "via_bureau", [*OBJECTED, region("reject_objection", "异议成立")], "rejected"),
    ("not recommended", "via_bureau", [*ACCEPTED, bureau("not_recommend", "名额有限")], "not_recommended"),
    ("rejected at re-check", "via_bureau", [*IN_RECHECK, region("reject_recheck", "条件不符")], "rejected"),
    ("rejected after review", "direct", [*DIRECT, region("reject_review", "评分靠后")], "rejected"),
    (
        "returned from submitted",
        "via_bureau",
        [*SUBMITTED, bureau("return", "补正"), applicant("resubmit")],
        "submitted",
    ),
    (
        "returned in review",
        "via_bureau",
        [*ACCEPTED, bureau("return", "补正"), applicant("resubmit")],
        "prefecture_review",
    ),
    (
        "returned at re-check",
        "via_bureau",
        [*IN_RECHECK, region("return_recheck", "补正"), applicant("resubmit")],
        "region_recheck",
    ),
    ("returned (direct)", "direct", [*SUBMITTED, region("return_direct", "补正"), applicant("resubmit")], "submitted"),
]
# How to reach each state the applicant may withdraw from.
REACH = {
    "submitted": SUBMITTED,
    "prefecture_review": ACCEPTED,
    "recommended": REVIEWED,
    "region_recheck": IN_RECHECK,
    "expert_review": RECHECKED,
    "shortlisted": [*RECHECKED, region("shortlist")],
    "returned": [*SUBMITTED, bureau("return", "补正")],
}
PATHS += [(f"withdrawn from {s}", "via_bureau", [*REACH[s], applicant("withdraw")], "withdrawn") for s in REACH]


def walk(w: World, app: Application, steps: list[tuple[str, str, str]]) -> None:
    """Take the steps as their owners would: ordinary steps through the generic action (submission guard
    included), compound ones straight through ``transition`` (their own guards are tested elsewhere)."""
    for role, action, reason in steps:
        principal = getattr(w, role)
        if action in flows.COMPOUND_ACTIONS:
            applications.transition(w.session, principal, app, action, reason)
        else:
            applications.take_action(w.session, principal, app.id, action, reason)
    w.session.commit()


def test_every_path_reaches_its_end(world: World):
    assert set(REACH) == flows.WITHDRAWABLE
    for n, (name, route, steps, final) in enumerate(PATHS):
        app = make_dossier(world, route=route, call_id=open_call(world.session, title=f"路径 {n}").id)
        walk(world, app, steps)
        assert app.state == final, name
        timeline = applications.timeline(world.session, app)
        assert [e.action for e in timeline] == ["create", *(a for _, a, _ in steps)], name
        assert [e.reason for e in timeline[1:]] == [r for _, _, r in steps], name
        assert all(e.from_state != e.to_state for e in timeline), name
        assert timeline[-1].to_state == final and app.returned_from is None, name
        if final in flows.TERMINAL:
            for role in ("applicant", "bureau", "region"):
                assert applications.available_actions(getattr(world, role), app) == [], (name, role)
        records = world.session.scalars(
            select(AuditRecord)
            .where(AuditRecord.entity_type == "applications", AuditRecord.entity_id == str(app.id))
            .order_by(AuditRecord.id)
        ).all()
        transitions = [r for r in records if r.action.startswith("transition:")]
        assert len(transitions) == len(steps), name
        assert transitions[-1].action.endswith(f"->{final}"), name


def test_a_return_goes_back_to_where_it_came_from(world: World):
    app = make_dossier(world)
    walk(world, app, [*ACCEPTED, bureau("return", "缺少场所证明")])
    assert (app.state, app.returned_from) == ("returned", "prefecture_review")
    assert applications.waiting_on(world.session, world.applicant) == [app]
    walk(world, app, [applicant("resubmit")])
    assert (app.state, app.returned_from) == ("prefecture_review", None)
    assert applications.waiting_on(world.session, world.bureau) == [app]


def test_the_direct_route_leaves_the_bureau_a_filing_copy(world: World):
    app = make_dossier(world, route="direct")
    walk(world, app, SUBMITTED)
    assert applications.get_application(world.session, world.bureau, app.id) is app
    assert applications.is_filing_copy(world.bureau, app)
    assert app not in applications.waiting_on(world.session, world.bureau)
    for t in flows.TRANSITIONS:
        if t.owner != "public":
            with pytest.raises(Forbidden):
                applications.transition(world.session, world.bureau, app, t.action, "理由")
    walk(world, app, [region("accept_direct")])
    assert app.state == "region_recheck"


# --- over HTTP ------------------------------------------------------------------------------------------


def test_refusals_over_http_change_nothing(client, world: World):
    app = make_dossier(world)
    walk(world, app, SUBMITTED)
    before = counts(world.session, app)

    def api(action: str, **body):
        return client.post(
            f"/api/v1/applications/{app.id}/actions/{action}", json=body, headers={"x-csrf-token": csrf_of(client)}
        )

    login(client, "chifeng")
    assert api("accept").status_code == 404
    login(client, "applicant")
    forbidden = api("accept")
    assert forbidden.status_code == 403 and "盟市局" in forbidden.json()["detail"]
    login(client, "baotou")
    assert api("recommend").status_code == 409
    assert api("pass_recheck").status_code == 403
    compound = api("publish")
    assert compound.status_code == 409 and "公示管理页面" in compound.json()["detail"]
    missing = api("return", reason=" ")
    assert missing.status_code == 422 and missing.json()["field"] == "reason"
    assert api("no_such_step").status_code == 422
    page = post_form(client, f"/applications/{app.id}/actions/return", {"reason": ""})
    assert page.status_code == 422 and "必须填写理由" in page.text
    assert post_form(client, f"/applications/{app.id}/actions/recommend", {}).status_code == 409
    world.session.expire_all()
    assert app.state == "submitted" and counts(world.session, app) == before

    accepted = api("accept", reason="材料齐全")
    assert accepted.status_code == 200 and accepted.json()["state"] == "prefecture_review"
    assert {a["action"] for a in accepted.json()["actions"]} == {"return", "recommend", "not_recommend"}
    assert post_form(client, f"/applications/{app.id}/actions/recommend", {}).status_code == 303
    world.session.expire_all()
    assert app.state == "recommended"
