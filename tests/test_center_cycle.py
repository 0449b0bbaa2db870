"""The yearly cycle of a center (Art. 10): self-evaluation years and deadlines, the audit by the right
bureau (the region bureau for direct applicants, with a read-only copy to the league/city bureau),
return and resubmission, late submission, performance outcomes, rectification and its failure."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from ipoc import clock
from ipoc.audit import service as audit
from ipoc.auth.roles import Role
from ipoc.centers import service as centers
from ipoc.centers.models import Center, Rectification, Revocation, SelfEvaluation
from ipoc.centers.schemas import EvaluationIn, SelfEvaluationIn
from ipoc.db import utcnow
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.lifecycle import cycle
from ipoc.reviews.models import Panel, PanelMember, Score, ScoreSheet
from tests.conftest import login, make_user, post_form, token
from tests.factories import recognised_center, who

TODAY = date(2026, 6, 1)


@pytest.fixture
def roles(session):
    """A center recognised on 2026-03-02 in 包头市 and the people around it."""
    center = recognised_center(session)
    return {
        "center": center,
        "staff": who(session, "staff", Role.CENTER_STAFF, str(center.id)),
        "bureau": who(session, "bt", Role.BUREAU_OFFICER, "包头市"),
        "other_bureau": who(session, "cf", Role.BUREAU_OFFICER, "赤峰市"),
        "admin": who(session, "admin1", Role.REGION_ADMIN),
    }


def _filed(session, r, year: int = 2026, today: date = TODAY) -> SelfEvaluation:
    ev = cycle.start_self_evaluation(session, r["staff"], r["center"].id, year, today)
    centers.save_self_evaluation(session, r["staff"], ev.id, SelfEvaluationIn(summary="总体情况良好"))
    return cycle.submit_self_evaluation(session, r["staff"], ev.id, today)


def test_evaluation_years_and_deadlines(session, instance):
    on_time = recognised_center(session, date(2026, 3, 2))
    assert centers.evaluation_years(on_time) == [2026, 2027, 2028]
    assert [r.deadline for r in centers.year_rows(session, on_time, TODAY)] == [
        date(2026, 12, 31),
        date(2027, 12, 31),
        date(2028, 12, 31),
    ]
    late = recognised_center(session, date(2026, 11, 20), term="乳业")
    assert late.first_eval_year == 2027 and centers.evaluation_years(late) == [2027, 2028, 2029]
    assert centers.deadline_for(late, 2029) == date(2029, 11, 19), "never after the period's end"
    instance.self_evaluation_deadline = "12-15"
    assert centers.deadline_for(late, 2028) == date(2028, 12, 15), "the setting decides"


def test_the_staff_files_only_the_years_of_the_period(session, roles):
    center, staff = roles["center"], roles["staff"]
    for year in (2025, 2027):  # before the first year; not begun yet
        with pytest.raises(InvalidInput):
            cycle.start_self_evaluation(session, staff, center.id, year, TODAY)
    with pytest.raises(Forbidden):
        cycle.start_self_evaluation(session, roles["bureau"], center.id, 2026, TODAY)
    with pytest.raises(NotFound):
        cycle.start_self_evaluation(session, roles["other_bureau"], center.id, 2026, TODAY)
    ev = cycle.start_self_evaluation(session, staff, center.id, 2026, TODAY)
    assert ev.deadline == date(2026, 12, 31) and ev.state == "draft"
    assert {"service_items_published", "plan_items_done"} <= set(ev.figures), "pre-filled from the catalogue"
    with pytest.raises(Conflict):
        cycle.start_self_evaluation(session, staff, center.id, 2026, TODAY)
    with pytest.raises(InvalidInput) as exc:
        cycle.submit_self_evaluation(session, staff, ev.id, TODAY)
    assert exc.value.field == "summary" and ev.state == "draft"


def test_an_ordinary_center_is_audited_by_its_bureau(session, roles):
    ev = _filed(session, roles)
    assert ev.state == "submitted" and ev.submitted_on == TODAY and not ev.late
    assert centers.audit_role(roles["admin"], roles["center"]) is None
    with pytest.raises(Forbidden):
        centers.audit_self_evaluation(session, roles["admin"], ev.id, approve=True, note="")
    with pytest.raises(NotFound):
        centers.audit_self_evaluation(session, roles["other_bureau"], ev.id, approve=True, note="")
    with pytest.raises(Forbidden):
        centers.audit_self_evaluation(session, roles["staff"], ev.id, approve=True, note="")
    centers.audit_self_evaluation(session, roles["bureau"], ev.id, approve=True, note="")
    assert ev.state == "audited" and ev.audited_by_id == roles["bureau"].user_id
    with pytest.raises(Conflict):
        centers.audit_self_evaluation(session, roles["bureau"], ev.id, approve=False, note="再看看")


def test_the_last_report_is_audited_after_the_period_has_ended(session, roles):
    """The last year's report falls due at the end of the period, so its audit comes after it."""
    earlier = _filed(session, roles, 2027, date(2027, 12, 20))
    ev = _filed(session, roles, 2028, date(2028, 12, 20))
    centers.close_ended_periods(session, date(2029, 3, 2))
    assert roles["center"].state == "cycle_ended"
    with pytest.raises(Conflict):
        centers.audit_self_evaluation(session, roles["bureau"], ev.id, approve=False, note="请补充")
    assert ev.state == "submitted"
    centers.audit_self_evaluation(session, roles["bureau"], ev.id, approve=True, note="")
    assert ev.state == "audited"
    roles["center"].state = "revoked"
    with pytest.raises(Conflict):
        centers.audit_self_evaluation(session, roles["bureau"], earlier.id, approve=True, note="")
    assert earlier.state == "submitted"


def test_a_direct_center_is_audited_by_the_region_and_copied_to_its_bureau(client, session):
    center = recognised_center(session, date(2026, 3, 2), route="direct")
    r = {"center": center, "staff": who(session, "staff", Role.CENTER_STAFF, str(center.id))}
    ev = _filed(session, r)
    session.commit()
    bureau = token(session, "bt", Role.BUREAU_OFFICER, "包头市")
    assert client.get(f"/api/v1/self-evaluations/{ev.id}", headers=bureau).status_code == 200, "the copy"
    acting = client.post(f"/api/v1/self-evaluations/{ev.id}/audit", json={"approve": True}, headers=bureau)
    assert acting.status_code == 403
    other = token(session, "cf", Role.BUREAU_OFFICER, "赤峰市")
    assert client.get(f"/api/v1/self-evaluations/{ev.id}", headers=other).status_code == 404
    session.expire_all()
    assert session.get(SelfEvaluation, ev.id).state == "submitted", "nothing changed"
    admin = token(session, "admin1", Role.REGION_ADMIN)
    done = client.post(f"/api/v1/self-evaluations/{ev.id}/audit", json={"approve": True}, headers=admin)
    assert done.status_code == 200 and done.json()["status"] == "audited"


def test_return_and_resubmit(session, roles):
    ev = _filed(session, roles)
    with pytest.raises(InvalidInput) as exc:
        centers.audit_self_evaluation(session, roles["bureau"], ev.id, approve=False, note="  ")
    assert exc.value.field == "note" and ev.state == "submitted"
    with pytest.raises(Conflict):
        centers.save_self_evaluation(session, roles["staff"], ev.id, SelfEvaluationIn(summary="改"))
    centers.audit_self_evaluation(session, roles["bureau"], ev.id, approve=False, note="请补充转化数据")
    assert ev.state == "returned" and ev.audit_note == "请补充转化数据"
    data = SelfEvaluationIn(summary="总体情况良好", conversion_amount_yuan=1_200_000, conversion_projects=3)
    centers.save_self_evaluation(session, roles["staff"], ev.id, data)
    cycle.submit_self_evaluation(session, roles["staff"], ev.id, date(2027, 2, 1))
    assert ev.state == "submitted" and ev.submitted_on == TODAY, "the first submission counts for the deadline"
    assert not ev.late
    centers.audit_self_evaluation(session, roles["bureau"], ev.id, approve=True, note="同意")
    assert (ev.state, ev.conversion_amount_yuan) == ("audited", 1_200_000)


def test_a_late_submission_is_accepted_and_marked(session, roles):
    [row] = [r for r in centers.year_rows(session, roles["center"], date(2027, 1, 5)) if r.year == 2026]
    assert row.evaluation is None and row.overdue
    ev = _filed(session, roles, today=date(2027, 1, 5))
    assert ev.state == "submitted" and ev.late
    [row] = [r for r in centers.year_rows(session, roles["center"], date(2027, 1, 5)) if r.year == 2026]
    assert row.overdue


def test_the_cycle_over_the_web(client, session):
    this_year = clock.today().year
    center = recognised_center(session, date(this_year, 1, 2))
    make_user(session, "staff", Role.CENTER_STAFF, str(center.id))
    make_user(session, "bt", Role.BUREAU_OFFICER, "包头市")
    login(client, "staff")
    started = post_form(client, f"/centers/{center.id}/self-evaluations", {"year": str(this_year)})
    assert started.status_code == 303
    path = started.headers["location"]
    empty = post_form(client, f"{path}/submit", {})
    assert empty.status_code == 422 and "总体情况" in empty.text
    fields = {"summary": "全年开展服务 12 次", "conversion_amount_yuan": "5000000", "conversion_projects": "2"}
    assert post_form(client, path, fields).status_code == 303
    assert post_form(client, f"{path}/submit", {}).status_code == 303
    login(client, "bt")
    page = client.get(path)
    assert page.status_code == 200 and 'data-testid="audit-form"' in page.text and "500 万元（自报）" in page.text
    returned = post_form(client, f"{path}/audit", {"approve": "false"})
    assert returned.status_code == 422 and "意见" in returned.text
    assert post_form(client, f"{path}/audit", {"approve": "true", "note": "同意"}).status_code == 303
    session.expire_all()
    ev = session.scalar(select(SelfEvaluation))
    assert ev.state == "audited" and ev.conversion_amount_yuan == 5_000_000
    center_page = client.get(f"/centers/{center.id}")
    assert f'data-testid="year-{this_year}"' in center_page.text and "审核通过" in center_page.text
    assert client.get(f"{path}.docx").status_code == 200


# --- performance evaluation, rectification --------------------------------------------------------------


def test_outcomes_of_the_performance_evaluation(session, roles):
    center, admin = roles["center"], roles["admin"]
    with pytest.raises(Forbidden):
        cycle.evaluate(session, roles["bureau"], center.id, EvaluationIn(year=2026, outcome="pass"), TODAY)
    with pytest.raises(InvalidInput):
        cycle.evaluate(session, admin, center.id, EvaluationIn(year=2026, outcome="rectify"), TODAY)
    no_time = EvaluationIn(year=2026, outcome="rectify", requirements="补齐", deadline=TODAY)
    with pytest.raises(InvalidInput) as exc:
        cycle.evaluate(session, admin, center.id, no_time, TODAY)
    assert exc.value.field == "deadline"
    ev = cycle.evaluate(session, admin, center.id, EvaluationIn(year=2026, outcome="showcase"), TODAY)
    assert ev.outcome_label.startswith("优秀") and center.state == "recognized"
    with pytest.raises(Conflict):
        cycle.evaluate(session, admin, center.id, EvaluationIn(year=2026, outcome="pass"), TODAY)
    rectify = EvaluationIn(year=2027, outcome="rectify", requirements="补齐人才队伍", deadline=date(2027, 9, 1))
    cycle.evaluate(session, admin, center.id, rectify, date(2027, 6, 1))
    rect = session.scalar(select(Rectification))
    assert center.state == "rectifying" and rect.state == "open" and rect.deadline == date(2027, 9, 1)


def _rectifying(session, r, deadline: date = date(2026, 9, 1)) -> Rectification:
    data = EvaluationIn(year=2026, outcome="rectify", requirements="补齐人才队伍", deadline=deadline)
    cycle.evaluate(session, r["admin"], r["center"].id, data, TODAY)
    return session.scalar(select(Rectification))


def test_a_passed_rectification_returns_the_center_to_its_period(session, roles):
    rect = _rectifying(session, roles)
    with pytest.raises(Conflict):
        centers.decide_rectification(session, roles["admin"], rect.id, passed=True, note="", today=TODAY)
    with pytest.raises(Forbidden):
        centers.report_rectification(session, roles["bureau"], rect.id, "已整改")
    centers.report_rectification(session, roles["staff"], rect.id, "已引进 5 名专职人员")
    assert rect.state == "reported" and rect.reported_at is not None
    with pytest.raises(Forbidden):
        centers.decide_rectification(session, roles["bureau"], rect.id, passed=True, note="", today=TODAY)
    centers.decide_rectification(session, roles["admin"], rect.id, passed=True, note="整改到位", today=TODAY)
    assert rect.state == "passed" and roles["center"].state == "recognized"


def test_a_failed_rectification_revokes_the_status(session, roles):
    rect = _rectifying(session, roles)
    centers.report_rectification(session, roles["staff"], rect.id, "部分整改")
    with pytest.raises(InvalidInput):
        centers.decide_rectification(session, roles["admin"], rect.id, passed=False, note="", today=TODAY)
    assert roles["center"].state == "rectifying"
    centers.decide_rectification(session, roles["admin"], rect.id, passed=False, note="人才队伍仍未到位", today=TODAY)
    revocation = session.scalar(select(Revocation))
    assert rect.state == "failed" and roles["center"].state == "revoked"
    assert revocation.reason == "failed_rectification" and revocation.reason_label == "整改不合格"
    assert "人才队伍仍未到位" in revocation.detail and revocation.decided_on == TODAY
    with pytest.raises(Conflict, match="只读"):
        centers.require_active(roles["center"])


def test_an_overdue_rectification_without_report_can_be_failed_directly(session, roles):
    rect = _rectifying(session, roles, deadline=date(2026, 9, 1))
    with pytest.raises(Conflict, match="整改期限"):
        centers.decide_rectification(
            session, roles["admin"], rect.id, passed=False, note="未整改", today=date(2026, 9, 1)
        )
    assert rect.state == "open" and roles["center"].state == "rectifying"
    centers.decide_rectification(
        session, roles["admin"], rect.id, passed=False, note="逾期未整改", today=date(2026, 9, 2)
    )
    assert rect.state == "failed" and roles["center"].state == "revoked"


def test_periods_that_passed_end_the_cycle(client, session):
    ending = recognised_center(session, date(2023, 1, 10))
    running = recognised_center(session, date(2023, 1, 11), term="乳业")
    assert centers.close_ended_periods(session, date(2026, 1, 10)) == [ending]
    assert (ending.state, running.state) == ("cycle_ended", "recognized")
    with pytest.raises(Conflict):
        centers.require_active(ending)
    session.commit()
    assert client.get("/centers").status_code == 200  # the list closes what has passed since
    session.expire_all()
    assert session.get(Center, running.id).state == "cycle_ended"


def test_the_score_comes_from_the_performance_panel_and_its_experts_read_the_self_evaluations(session, roles):
    center, admin = roles["center"], roles["admin"]
    ev = _filed(session, roles)
    sheet = ScoreSheet(name="绩效评估表", kind="performance", indicators=[])
    session.add(sheet)
    session.flush()
    panel = Panel(kind="performance", name="2026 年度绩效评估", year=2026, sheet_id=sheet.id, state="open")
    session.add(panel)
    session.flush()
    experts = [who(session, f"expert{i}", Role.EXPERT) for i in (1, 2)]
    for expert, total in zip(experts, (80.0, 91.0), strict=True):
        session.add(PanelMember(panel_id=panel.id, expert_id=expert.user_id))
        session.add(
            Score(panel_id=panel.id, expert_id=expert.user_id, center_id=center.id, total=total, submitted_at=utcnow())
        )
    session.flush()
    assert centers.get_self_evaluation(session, experts[0], ev.id) == ev
    with pytest.raises(NotFound):
        centers.get_rectification(session, experts[0], -1)
    outsider = who(session, "expert9", Role.EXPERT)
    with pytest.raises(NotFound):
        centers.get_self_evaluation(session, outsider, ev.id)
    data = EvaluationIn(year=2026, outcome="pass", panel_id=panel.id)
    with pytest.raises(InvalidInput, match="尚未结束"):
        cycle.evaluate(session, admin, center.id, data, TODAY)
    panel.state = "closed"
    session.flush()
    assert cycle.evaluate(session, admin, center.id, data, TODAY).score == 85.5
    assert cycle.performance_panels(session) == [panel]


def test_rectification_over_the_web(client, session):
    this_year = clock.today().year
    center = recognised_center(session, date(this_year, 1, 2))
    make_user(session, "admin1", Role.REGION_ADMIN)
    make_user(session, "staff", Role.CENTER_STAFF, str(center.id))
    login(client, "admin1")
    page = client.get(f"/centers/{center.id}")
    assert 'data-testid="evaluate-form"' in page.text and 'data-testid="revoke-link"' in page.text
    form = {"year": str(this_year), "outcome": "rectify", "requirements": "补齐人才队伍"}
    refused = post_form(client, f"/centers/{center.id}/evaluations", form)
    assert refused.status_code == 422 and "整改期限" in refused.text
    deadline = (clock.today().replace(day=1) + timedelta(days=95)).isoformat()
    assert post_form(client, f"/centers/{center.id}/evaluations", {**form, "deadline": deadline}).status_code == 303
    rect = session.scalar(select(Rectification))
    assert 'data-testid="decide-form"' not in client.get(f"/rectifications/{rect.id}").text, "nothing to decide yet"
    assert client.get("/centers/national").status_code == 200 and client.get("/centers/new").status_code == 200
    login(client, "staff")
    assert 'data-testid="report-form"' in client.get(f"/rectifications/{rect.id}").text
    assert post_form(client, f"/rectifications/{rect.id}/report", {"report": "已引进专职人员"}).status_code == 303
    assert client.get("/centers/national").status_code == 403
    login(client, "admin1")
    assert 'data-testid="decide-form"' in client.get(f"/rectifications/{rect.id}").text
    assert post_form(client, f"/rectifications/{rect.id}/decide", {"passed": "true", "note": "到位"}).status_code == 303
    session.expire_all()
    assert session.get(Center, center.id).state == "recognized"
    reasons = [r.meta_json for r in audit.history(session, "centers", center.id) if r.action.startswith("transition")]
    assert len(reasons) == 2 and "补齐人才队伍" in reasons[0] and "到位" in reasons[1]
