"""What is due for each role, computed live with ``today`` pinned; the daily job that turns deadlines
30/7/1 days away (and overdue ones) into notifications exactly once; its CLI; the reminders page and API."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from typer.testing import CliRunner

from ipoc import clock
from ipoc.applications.models import Application, Call
from ipoc.auth.roles import Role
from ipoc.catalogue.models import PlanItem, WorkPlan
from ipoc.centers.models import PerformanceEvaluation, Rectification, SelfEvaluation
from ipoc.cli import app as cli_app
from ipoc.notices.models import PublicNotice
from ipoc.reference.models import Industry
from ipoc.reminders import service as reminders
from ipoc.reminders.models import Notification
from ipoc.reviews.models import Panel, PanelMember, Score, ScoreSheet
from ipoc.workdays.models import CalendarYear
from tests.conftest import login, make_user
from tests.factories import make_center, make_org, who

DUE = date(2026, 12, 31)  # the 2026 self-evaluation deadline (setting self_evaluation_deadline = 12-31)


def _notes(session, username: str) -> list[Notification]:
    from ipoc.auth.models import User

    uid = session.scalar(select(User.id).where(User.username == username))
    session.expire_all()
    return list(session.scalars(select(Notification).where(Notification.user_id == uid).order_by(Notification.id)))


def _kinds(items) -> list[str]:
    return [i.kind for i in items]


def _rectification(session, center, deadline: date) -> Rectification:
    evaluation = PerformanceEvaluation(center_id=center.id, year=2025, outcome="rectify")
    session.add(evaluation)
    session.flush()
    rect = Rectification(
        center_id=center.id, evaluation_id=evaluation.id, requirements="补齐服务目录", deadline=deadline
    )
    session.add(rect)
    session.flush()
    return rect


# --- the deadline rule and the daily job --------------------------------------------------------------


def test_a_self_evaluation_is_reminded_30_days_before_and_once_when_overdue(session, monkeypatch):
    from ipoc.config import get_settings

    center = make_center(session, "内蒙古自治区风电测试知识产权运营中心", region="包头市", start=date(2026, 1, 10))
    staff = who(session, "staff", Role.CENTER_STAFF, center.name)

    (item,) = [i for i in reminders.due_items(session, staff, date(2026, 12, 1)) if i.kind == "self_evaluation"]
    assert (item.due_on, item.days_left, item.overdue) == (DUE, 30, False)
    assert item.link == f"/centers/{center.id}"

    assert reminders.send_reminders(session, date(2026, 12, 1)) >= 1
    (note,) = _notes(session, "staff")
    assert note.due_on == DUE and "还有 30 天" in note.text and "2026 年度自我评价" in note.text
    assert reminders.send_reminders(session, date(2026, 12, 1)) == 0, "a second run the same day adds nothing"
    assert reminders.send_reminders(session, date(2026, 12, 2)) == 0, "29 days left is not a reminder day"
    assert len(_notes(session, "staff")) == 1

    late = [i for i in reminders.due_items(session, staff, date(2027, 1, 1)) if i.kind == "self_evaluation"]
    assert [(i.due_on, i.days_left, i.overdue) for i in late] == [(DUE, -1, True), (date(2027, 12, 31), 364, False)]
    reminders.send_reminders(session, date(2027, 1, 1))
    overdue = _notes(session, "staff")[-1]
    assert overdue.key.endswith(":overdue") and "已逾期 1 天" in overdue.text
    reminders.send_reminders(session, date(2027, 1, 5))
    assert len(_notes(session, "staff")) == 2, "an overdue item is notified once, not every day"

    session.add(SelfEvaluation(center_id=center.id, year=2026, deadline=DUE, state="submitted"))
    session.flush()
    assert "self_evaluation" not in _kinds(reminders.due_items(session, staff, date(2026, 12, 30)))

    monkeypatch.setattr(get_settings(), "reminder_days", "10")  # the days before come from the setting
    assert reminders.send_reminders(session, date(2027, 12, 1)) == 0
    assert reminders.send_reminders(session, date(2027, 12, 21)) == 1
    assert "还有 10 天" in _notes(session, "staff")[-1].text and "2027 年度" in _notes(session, "staff")[-1].text

    reminders.send_reminders(session, date(2029, 1, 10))  # the day after the period ends
    session.refresh(center)
    assert center.state == "cycle_ended"


# --- per role -----------------------------------------------------------------------------------------


def test_center_staff_see_returned_evaluations_rectifications_missing_plans_and_items_due(session):
    center = make_center(session, "内蒙古自治区稀土测试知识产权运营中心", region="包头市", start=date(2025, 3, 1))
    staff = who(session, "staff", Role.CENTER_STAFF, center.name)
    returned = SelfEvaluation(center_id=center.id, year=2025, deadline=date(2025, 12, 31), state="returned")
    evaluation = PerformanceEvaluation(center_id=center.id, year=2025, outcome="rectify")
    session.add_all([returned, evaluation])
    session.flush()
    rect = Rectification(
        center_id=center.id, evaluation_id=evaluation.id, requirements="补齐服务目录", deadline=date(2026, 4, 30)
    )
    session.add(rect)
    session.flush()
    today = date(2026, 3, 15)

    items = reminders.due_items(session, staff, today)
    assert _kinds(items) == ["self_evaluation", "rectification", "self_evaluation", "work_plan"]
    assert items[0].overdue and "已退回" in items[0].title and items[0].link == f"/self-evaluations/{returned.id}"
    assert items[1].link == f"/rectifications/{rect.id}" and items[1].days_left == 46
    assert items[2].due_on == date(2026, 12, 31) and items[3].due_on is None

    plan = WorkPlan(center_id=center.id, year=2026)
    plan.items = [
        PlanItem(title="专利培训", duty=8, due_on=date(2026, 4, 1)),
        PlanItem(title="导航报告", duty=6, due_on=date(2026, 9, 1)),
        PlanItem(title="已办", duty=6, due_on=date(2026, 3, 1), state="done", done_on=date(2026, 3, 1)),
    ]
    session.add(plan)
    session.flush()
    items = reminders.due_items(session, staff, today)
    assert _kinds(items) == ["self_evaluation", "plan_item", "rectification", "self_evaluation"]
    assert items[1].title == "计划事项：专利培训" and items[1].link == f"/centers/{center.id}/plans/2026"

    center.state = "revoked"
    session.flush()
    assert reminders.due_items(session, staff, today) == [], "a revoked center has nothing due"


def _center_with_submission(session, region: str, name: str, *, direct: bool = False) -> SelfEvaluation:
    center = make_center(session, name, region=region, direct=direct)
    se = SelfEvaluation(center_id=center.id, year=2025, deadline=date(2025, 12, 31), state="submitted")
    session.add(se)
    session.flush()
    return se


def _dossier(session, call: Call, region: str, state: str, route: str = "via_bureau") -> Application:
    org = make_org(session, f"{region}{state}申报单位", city=region, status="pending")
    region_id = org.region_id
    app = Application(
        call_id=call.id,
        org_id=org.id,
        region_id=region_id,
        industry_id=session.scalar(select(Industry.id).limit(1)),
        builder_type="leading_enterprise",
        route=route,
        state=state,
    )
    session.add(app)
    session.flush()
    return app


def _call(session) -> Call:
    call = Call(year=2025, title="2025年度申报", opens_on=date(2025, 6, 1), closes_on=date(2025, 8, 31))
    session.add(call)
    session.flush()
    return call


def test_bureaus_audit_their_ordinary_centers_and_the_region_the_direct_ones(session):
    ordinary = _center_with_submission(session, "包头市", "内蒙古自治区稀土测试知识产权运营中心")
    direct = _center_with_submission(session, "包头市", "内蒙古自治区风电测试知识产权运营中心", direct=True)
    elsewhere = _center_with_submission(session, "赤峰市", "内蒙古自治区乳业测试知识产权运营中心")
    call = _call(session)
    waiting = _dossier(session, call, "包头市", "submitted")
    _dossier(session, call, "赤峰市", "prefecture_review")
    _dossier(session, call, "包头市", "submitted", route="direct")  # a filing copy never waits on the bureau
    baotou = who(session, "baotou", Role.BUREAU_OFFICER, "包头市")
    admin = who(session, "admin", Role.REGION_ADMIN)
    today = date(2026, 1, 5)

    items = reminders.due_items(session, baotou, today)
    assert [(i.kind, i.link) for i in items] == [
        ("audit_self_evaluation", f"/self-evaluations/{ordinary.id}"),
        ("application", f"/applications/{waiting.id}"),
    ]
    assert items[0].overdue and items[1].due_on is None
    chifeng = who(session, "chifeng", Role.BUREAU_OFFICER, "赤峰市")
    assert [i.link for i in reminders.due_items(session, chifeng, today) if i.kind == "audit_self_evaluation"] == [
        f"/self-evaluations/{elsewhere.id}"
    ]
    audits = [i.link for i in reminders.due_items(session, admin, today) if i.kind == "audit_self_evaluation"]
    assert audits == [f"/self-evaluations/{direct.id}"]
    direct.center.state = "cycle_ended"  # the last report is audited after the period: still due
    ordinary.center.state = "revoked"  # read-only: the audit would be a 409
    session.flush()
    assert [i.kind for i in reminders.due_items(session, baotou, today)] == ["application"]
    audits = [i.link for i in reminders.due_items(session, admin, today) if i.kind == "audit_self_evaluation"]
    assert audits == [f"/self-evaluations/{direct.id}"]


def test_the_region_admin_is_told_of_ended_notices_late_rectifications_and_a_missing_calendar(session):
    admin = who(session, "admin", Role.REGION_ADMIN)
    call = _call(session)
    notice = PublicNotice(
        call_id=call.id, title="2025年度拟认定名单公示", starts_on=date(2025, 9, 26), ends_on=date(2025, 10, 9)
    )
    session.add(notice)
    session.flush()
    on_notice = _dossier(session, call, "包头市", "public_notice", route="direct")
    on_notice.notice_id = notice.id
    center = make_center(session, "内蒙古自治区稀土测试知识产权运营中心", region="包头市")
    evaluation = PerformanceEvaluation(center_id=center.id, year=2025, outcome="rectify")
    session.add(evaluation)
    session.flush()
    rect = Rectification(
        center_id=center.id, evaluation_id=evaluation.id, requirements="整改", deadline=date(2025, 10, 20)
    )
    session.add(rect)
    session.flush()

    assert reminders.due_items(session, admin, date(2025, 10, 9)) == [], "the window is still open on its last day"
    items = reminders.due_items(session, admin, date(2025, 10, 10))
    assert [(i.kind, i.link, i.due_on) for i in items] == [("recognise", f"/notices/{notice.id}", date(2025, 10, 9))]
    items = reminders.due_items(session, admin, date(2025, 10, 21))
    assert _kinds(items) == ["recognise", "rectification_decision"] and items[1].link == f"/rectifications/{rect.id}"
    center.state = "revoked"  # revoked for another reason while the rectification was open: nothing to decide
    session.flush()
    assert _kinds(reminders.due_items(session, admin, date(2025, 10, 21))) == ["recognise"]
    center.state = "rectifying"
    on_notice.state = "recognized"
    rect.state = "failed"
    session.flush()
    assert reminders.due_items(session, admin, date(2025, 10, 21)) == []

    # years far beyond any shipped chinesecalendar data: this year's is overdue, next year's asked from November
    (this_year,) = reminders.due_items(session, admin, date(2040, 10, 31))
    assert (this_year.kind, this_year.due_on, this_year.overdue) == ("calendar", date(2039, 12, 31), True)
    calendars = reminders.due_items(session, admin, date(2040, 11, 2))
    assert [(c.kind, c.due_on, c.link) for c in calendars] == [
        ("calendar", date(2039, 12, 31), "/admin/calendar"),
        ("calendar", date(2040, 12, 31), "/admin/calendar"),
    ]
    assert "2041" in calendars[1].title
    session.add(CalendarYear(year=2041, source="国办发明电〔2040〕X号"))
    session.flush()
    assert len(reminders.due_items(session, admin, date(2040, 11, 2))) == 1, "a loaded year is no longer due"


def test_an_expert_is_due_to_score_the_subjects_of_open_panels(session):
    expert = who(session, "expert", Role.EXPERT)
    call = _call(session)
    app = _dossier(session, call, "包头市", "expert_review", route="direct")
    sheet = ScoreSheet(name="认定评审表", indicators=[{"code": "A1", "label": "基础", "weight": 100, "max": 100}])
    session.add(sheet)
    session.flush()
    panel = Panel(kind="recognition", name="2025 认定评审组", call_id=call.id, sheet_id=sheet.id)
    session.add(panel)
    session.flush()
    session.add(PanelMember(panel_id=panel.id, expert_id=expert.user_id, declared_at=datetime(2025, 9, 1)))
    session.flush()

    (item,) = reminders.due_items(session, expert, date(2025, 9, 2))
    assert item.kind == "score" and item.link == f"/reviews/panels/{panel.id}/score/{app.id}"
    assert item.title.startswith("2025 认定评审组：")
    score = Score(panel_id=panel.id, expert_id=expert.user_id, application_id=app.id, items={"A1": 80}, total=80)
    session.add(score)
    session.flush()
    assert len(reminders.due_items(session, expert, date(2025, 9, 2))) == 1, "a draft score is not done"
    score.submitted_at = datetime(2025, 9, 3)
    session.flush()
    assert reminders.due_items(session, expert, date(2025, 9, 4)) == []


# --- the CLI, the page and the API --------------------------------------------------------------------


def test_the_cli_sends_and_prints_the_count(instance, session):
    center = make_center(session, "内蒙古自治区风电测试知识产权运营中心", region="包头市", start=date(2026, 1, 10))
    make_user(session, "staff", Role.CENTER_STAFF, center.name)
    env = {
        "IPOC_DATA_DIR": str(instance.data_dir),
        "IPOC_DATABASE_URL": instance.database_url,
        "IPOC_SECRET_KEY": instance.secret_key,
    }
    runner = CliRunner()
    first = runner.invoke(cli_app, ["reminders", "send", "--today", "2026-12-01"], env=env)
    assert first.exit_code == 0 and first.output.strip() == "1 reminder(s) created", first.output
    again = runner.invoke(cli_app, ["reminders", "send", "--today", "2026-12-01"], env=env)
    assert again.output.strip() == "0 reminder(s) created"
    assert runner.invoke(cli_app, ["reminders", "send", "--today", "2026/12/01"], env=env).exit_code == 2
    helptext = runner.invoke(cli_app, ["reminders", "send", "--help"], env=env).output
    assert "cron" in helptext


def test_the_reminders_page_lists_due_items_and_reminders_land_in_the_message_centre(client, session):
    this_year = clock.today().year
    center = make_center(
        session, "内蒙古自治区稀土测试知识产权运营中心", region="包头市", start=date(this_year - 1, 3, 1)
    )
    staff = make_user(session, "staff", Role.CENTER_STAFF, center.name)
    make_user(session, "staff2", Role.CENTER_STAFF, center.name)
    assert reminders.send_reminders(session) == 2, "last year's overdue self-evaluation, told to both"
    session.add(Notification(user_id=staff.id, key="k1", text="请报送自我评价", link=f"/centers/{center.id}"))
    session.commit()

    assert client.get("/reminders").headers["location"].startswith("/login")
    assert client.get("/api/v1/reminders/due").status_code == 401
    login(client, "staff")
    page = client.get("/reminders")
    assert page.status_code == 200 and 'data-testid="due-list"' in page.text
    assert 'data-overdue="1"' in page.text, f"last year's self-evaluation ({this_year - 1}) is overdue"
    assert 'href="/messages?category=reminder"' in page.text

    due = client.get("/api/v1/reminders/due").json()
    assert due[0]["kind"] == "self_evaluation" and due[0]["overdue"] is True and due[0]["kind_label"] == "自我评价"
    told = client.get("/api/v1/messages", params={"category": "reminder"}).json()
    assert [m["text"][:5] for m in told] == ["【已逾期 "] and told[0]["category_label"] == "期限提醒"
    assert told[0]["due_on"] == f"{this_year - 1}-12-31"
    decisions = client.get("/api/v1/messages", params={"category": "decision"}).json()
    assert [m["text"] for m in decisions] == ["请报送自我评价"]
    assert 'data-category="reminder"' in client.get("/messages?category=reminder").text
