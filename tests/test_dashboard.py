"""Each role's dashboard: the region's charts of centers and the current call, a bureau's inbox, a center's
own status and plan, an expert's tasks; each with what is due."""

from __future__ import annotations

import html
import json
import re
from datetime import date, datetime, timedelta

from sqlalchemy import select

from ipoc import clock
from ipoc.applications.models import Application, Call
from ipoc.auth.roles import Role
from ipoc.catalogue.models import PlanItem, WorkPlan
from ipoc.centers.models import SelfEvaluation
from ipoc.events.models import TechEvent, TechEventSignup
from ipoc.matching import service as matching
from ipoc.notices.models import PublicNotice
from ipoc.reference.models import Industry
from ipoc.reviews.models import Panel, PanelMember, ScoreSheet
from ipoc.shell.dashboard import centers_by, dashboard
from tests.conftest import login, make_user
from tests.factories import make_center, make_org, who
from tests.worlds.messages import make_world

THIS_YEAR = clock.today().year
START = date(THIS_YEAR - 1, 3, 1)  # a center in the second year of its period, whatever today is


def _chart(page: str, element_id: str) -> list[list]:
    match = re.search(rf"id=\"{element_id}\"[^>]*data-chart='([^']*)'", page)
    assert match, f"{element_id} is on the page"
    return json.loads(html.unescape(match.group(1)))


def _dossier(session, call: Call, region: str, name: str, state: str) -> Application:
    org = make_org(session, name, city=region)
    region_id = org.region_id
    app = Application(
        call_id=call.id,
        org_id=org.id,
        region_id=region_id,
        industry_id=session.scalar(select(Industry.id).order_by(Industry.id).limit(1)),
        builder_type="leading_enterprise",
        route="via_bureau",
        state=state,
    )
    session.add(app)
    session.commit()
    return app


def _call(session, year: int = THIS_YEAR) -> Call:
    call = Call(year=year, title=f"{year}年度申报", opens_on=date(year, 3, 1), closes_on=date(year, 5, 31))
    session.add(call)
    session.commit()
    return call


def test_the_region_dashboard_charts_centers_by_status_region_and_industry(client, session):
    make_center(session, "内蒙古自治区稀土测试知识产权运营中心", region="包头市", start=START)
    revoked = make_center(session, "内蒙古自治区乳业测试知识产权运营中心", region="赤峰市", start=START)
    revoked.state = "revoked"
    make_center(session, "内蒙古自治区风电测试知识产权运营中心", region="包头市", start=START)
    session.commit()
    _call(session, THIS_YEAR - 1)
    call = _call(session)
    for n, state in enumerate(["submitted", "submitted", "expert_review"]):
        _dossier(session, call, "包头市", f"申报单位{n}", state)

    figures = centers_by(session)
    assert figures["status"] == [("建设期", 2), ("整改中", 0), ("已取消资格", 1), ("建设期届满", 0)]
    assert dict(figures["region"])["包头市"] == 2 and dict(figures["region"])["赤峰市"] == 1
    assert dict(figures["region"])["乌海市"] == 0, "every league/city is on the chart"
    assert sum(n for _, n in figures["industry"]) == 3

    admin = who(session, "admin", Role.REGION_ADMIN)
    ctx = dashboard(session, admin, today=date(THIS_YEAR, 6, 1))
    assert ctx["call"].id == call.id, "the current call is the latest"
    assert ctx["call_states"] == [("submitted", "已提交", 2), ("expert_review", "专家评审", 1)]

    login(client, "admin")
    page = client.get("/dashboard").text
    assert _chart(page, "centers-status-chart")[0] == ["建设期", 2]
    assert ["包头市", 2] in _chart(page, "centers-region-chart")
    assert sum(n for _, n in _chart(page, "centers-industry-chart")) == 3
    assert _chart(page, "orgs-chart"), "the registrations chart stays"
    assert 'data-testid="call-states"' in page and 'data-testid="due-list"' in page
    assert "cdn" not in page.lower()


def test_a_bureau_sees_its_inbox_and_not_another_citys_dossiers(client, session):
    call = _call(session)
    mine = _dossier(session, call, "包头市", "包头收件测试有限公司", "submitted")
    theirs = _dossier(session, call, "赤峰市", "赤峰收件测试有限公司", "submitted")
    center = make_center(session, "内蒙古自治区稀土测试知识产权运营中心", region="包头市", start=START)
    session.add(
        SelfEvaluation(center_id=center.id, year=THIS_YEAR - 1, deadline=date(THIS_YEAR - 1, 12, 31), state="submitted")
    )
    session.commit()
    make_user(session, "baotou", Role.BUREAU_OFFICER, "包头市")

    login(client, "baotou")
    page = client.get("/dashboard").text
    assert f'data-testid="inbox-application-{mine.id}"' in page and "包头收件测试有限公司" in page
    assert f'data-testid="inbox-application-{theirs.id}"' not in page and "赤峰收件测试有限公司" not in page
    assert re.search(r'data-testid="inbox-count">1<', page)
    assert re.search(r'data-testid="audit-count">1<', page) and f"审核{center.name}" in page
    assert page.count("<table") == 0, "nothing but the registrations waiting may be a table (the browser test)"


def test_a_center_sees_its_status_period_evaluation_plan_and_what_is_due(client, session):
    center = make_center(session, "内蒙古自治区稀土测试知识产权运营中心", region="包头市", start=START)
    plan = WorkPlan(center_id=center.id, year=THIS_YEAR, published=True)
    plan.items = [
        PlanItem(title="培训", duty=8, due_on=date(THIS_YEAR, 1, 2), state="done", done_on=date(THIS_YEAR, 1, 2)),
        PlanItem(title="导航", duty=6, due_on=date(THIS_YEAR, 12, 30)),
    ]
    session.add(plan)
    session.commit()
    make_user(session, "staff", Role.CENTER_STAFF, center.name)

    login(client, "staff")
    page = client.get("/dashboard").text
    assert re.search(r'data-testid="center-status">建设期<', page)
    assert f"建设期：{START} 至 {center.period_end}" in page
    assert re.search(r'data-testid="self-evaluation-state">尚未填报<', page)
    assert re.search(r'data-testid="plan-progress">已完成 1 / 2 项<', page)
    assert 'data-kind="self_evaluation" data-overdue="1"' in page, "last year's self-evaluation is overdue"


def test_an_expert_sees_how_many_subjects_wait_for_a_score(client, session):
    expert = make_user(session, "expert", Role.EXPERT)
    login(client, "expert")
    assert "目前没有分配给您的评审任务" in client.get("/dashboard").text

    call = _call(session)
    _dossier(session, call, "包头市", "评审测试有限公司", "expert_review")
    sheet = ScoreSheet(name="认定评审表", indicators=[{"code": "A1", "label": "基础", "weight": 100, "max": 100}])
    session.add(sheet)
    session.flush()
    panel = Panel(kind="recognition", name="认定评审组", call_id=call.id, sheet_id=sheet.id)
    session.add(panel)
    session.flush()
    session.add(PanelMember(panel_id=panel.id, expert_id=expert.id, declared_at=datetime(THIS_YEAR, 1, 1)))
    session.commit()
    page = client.get("/dashboard").text
    assert re.search(r'data-testid="expert-to-score">有 <strong>1</strong> 项评审任务待您打分', page)
    assert 'href="/reviews"' in page


def test_a_member_sees_its_records_with_their_states(client, session):
    owner, people, dossier, match, deal = make_world(session)
    matching.decide(session, people["staff"], match.id, "forward")
    event = TechEvent(kind="roadshow", title="稀土专利路演", state="open", place="包头", organisers="运营中心",
                      starts_at=datetime(THIS_YEAR + 1, 5, 1, 9))  # fmt: skip
    session.add(event)
    session.flush()
    session.add(TechEventSignup(event_id=event.id, org_id=owner.id, org_name=owner.name, person_name="张三",
                                phone="13800000000", role="seeker"))  # fmt: skip
    session.commit()

    login(client, "owner")
    page = client.get("/dashboard").text
    rows = re.findall(
        r'<a href="([^"]+)">([^<]+)</a>\s*<span class="badge[^"]*" data-testid="record-state">([^<]+)<', page
    )
    assert (f"/applications/{dossier.id}", "2026年度申报 · " + dossier.industry.name, "已提交") in rows
    assert (f"/demands/{match.demand_id}", "高温稳定的钕铁硼永磁体", "已发布") in rows
    assert (f"/matches/{match.id}", f"专利匹配 #{match.id}", "已转交") in rows
    assert (f"/deals/{deal.id}", "永磁体工艺转让", "意向") in rows
    assert (f"/events/{event.id}", "稀土专利路演", "报名中") in rows
    assert "技术供给" in page and len(rows) == 5
    for link, _title, _state in rows:
        assert client.get(link).status_code == 200, link
    login(client, "other")
    assert 'data-testid="record-state"' not in client.get("/dashboard").text, "another organisation has none"


def test_the_home_page_shows_current_public_records_only(client, session):
    today = clock.today()
    open_call = _call(session)
    open_call.title, open_call.opens_on, open_call.closes_on = "开放中的申报批次", today, today + timedelta(days=30)
    later = Call(
        year=THIS_YEAR + 1,
        title="尚未开始的批次",
        opens_on=today + timedelta(days=60),
        closes_on=today + timedelta(days=90),
    )
    session.add(later)
    session.flush()
    shown = PublicNotice(call_id=open_call.id, title="当前公示名单", starts_on=today - timedelta(days=1),
                         ends_on=today + timedelta(days=5), published_at=datetime(THIS_YEAR, 1, 1))  # fmt: skip
    draft = PublicNotice(
        call_id=open_call.id, title="未发布的公示草稿", starts_on=today, ends_on=today + timedelta(days=5)
    )
    ended = PublicNotice(call_id=open_call.id, title="已结束的公示", starts_on=today - timedelta(days=20),
                         ends_on=today - timedelta(days=10), published_at=datetime(THIS_YEAR, 1, 1))  # fmt: skip
    center = make_center(session, "内蒙古自治区稀土测试知识产权运营中心", region="包头市", start=START)
    revoked = make_center(session, "内蒙古自治区乳业撤销测试知识产权运营中心", region="赤峰市", start=START)
    revoked.state = "revoked"
    soon = clock.beijing_now().replace(microsecond=0) + timedelta(days=10)
    where = {"kind": "roadshow", "place": "包头", "organisers": "运营中心", "starts_at": soon}
    public = TechEvent(title="公开的专利路演", state="open", **where)
    members = TechEvent(title="会员专场对接会", state="open", public=False, **where)
    drafted = TechEvent(title="尚未发布的活动", state="draft", **where)
    session.add_all([shown, draft, ended, public, members, drafted])
    session.commit()

    page = client.get("/").text
    for fact in ("当前公示名单", f'href="/notices/{shown.id}"', "开放中的申报批次", center.name, "公开的专利路演"):
        assert fact in page, fact
    for hidden in (
        "未发布的公示草稿",
        "已结束的公示",
        "尚未开始的批次",
        revoked.name,
        "会员专场对接会",
        "尚未发布的活动",
    ):
        assert hidden not in page, hidden
    assert (
        client.get(f"/events/{public.id}").status_code == 200 and client.get(f"/centers/{center.id}").status_code == 200
    )
