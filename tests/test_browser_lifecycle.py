"""One dossier from draft to recognised center, through the pages only, in headless Chromium.

Each user works in a browser context of their own; the clock of the whole process (the uvicorn thread
included) is pinned to a Tuesday in the call's window, then moved past the five-working-day notice.
Only the call is set up in the database; every other step is a user's click on what the page offers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.browsing import Users, _nav, serving, sync_api

time_machine = pytest.importorskip("time_machine", reason="time-machine pins the clock of the server thread")

pytestmark = pytest.mark.browser
expect = sync_api.expect

BEIJING = ZoneInfo("Asia/Shanghai")
# A Tuesday: the notice runs 24, 25, 26, 27 and 30 November (5 working days, the first day counting).
NOTICE_DAY = datetime(2026, 11, 24, 9, 0, tzinfo=BEIJING)
AFTER_NOTICE = datetime(2026, 12, 1, 9, 0, tzinfo=BEIJING)
CALL_TITLE = "2026年度自治区产业知识产权运营中心申报"
CENTER = "内蒙古自治区乳业知识产权运营中心"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
NUMERALS = "一二三四五"
SCORES = {"A1": "18", "A2": "17", "A3": "9", "A4": "18", "A5": "17", "A6": "8"}  # 87 in all
TIMELINE = [
    "创建申报草稿",
    "提交申报",
    "受理并审核资格",
    "择优推荐",
    "开始复核",
    "复核通过，提交专家评审",
    "列入拟认定名单",
    "发布公示",
    "正式认定",
]


@pytest.fixture
def call_server(instance, demo) -> Iterator[tuple[str, int]]:
    """The app with the demo orgs and logins and one call open around the notice day; (url, call id)."""
    from ipoc.applications.schemas import CallIn
    from ipoc.applications.service import save_call
    from ipoc.auth import service as accounts
    from ipoc.auth.models import User
    from ipoc.shell.app import create_app

    admin = accounts.principal_for(demo, demo.query(User).filter_by(username="admin").one())
    data = CallIn(year=2026, title=CALL_TITLE, opens_on=date(2026, 11, 1), closes_on=date(2026, 11, 30))
    call_id = save_call(demo, admin, data).id
    demo.commit()
    with serving(create_app(instance)) as url:
        yield url, call_id


@pytest.fixture
def users(browser, call_server) -> Iterator[Users]:
    u = Users(browser, call_server[0])
    yield u
    u.close()


def _act(page: sync_api.Page, action: str, state: str) -> None:
    """Take a step offered on the dossier page and see the dossier in its new state."""
    page.get_by_test_id(f"action-{action}").get_by_role("button").click()
    expect(page.get_by_test_id("state")).to_have_text(state)


def _apply(users: Users, call_id: int, tmp_path) -> int:
    """The applicant drafts the dossier, is told what evidence is missing, uploads it, submits."""
    page = users.log_in("dairy")
    _nav(page, "申报")
    page.get_by_test_id(f"apply-{call_id}").click()
    page.wait_for_url(users.url(f"/applications/new?call_id={call_id}"))
    form = page.get_by_test_id("application-form")
    expect(form.locator("#f-call_id")).to_have_value(str(call_id))
    expect(form.locator("#f-route")).to_have_value("via_bureau")
    form.locator("#f-builder_type").select_option(label="行业龙头企业")
    form.locator("#f-industry_id").select_option(label="乳业及食品加工（优势特色）")
    form.locator("#f-construction_plan").fill("三年内建成乳业专利数据库和高价值专利培育体系。")
    form.locator("#f-team").fill("专职人员 6 名，其中专利代理师 2 名。")
    form.locator("#f-team_size").fill("6")
    form.locator("#f-funds_yuan").fill("1500000")
    form.locator("#f-funds_note").fill("企业自筹")
    for n in range(1, 6):
        form.locator(f"#f-condition_{n}").fill(f"条件{NUMERALS[n - 1]}的情况说明。")
    page.get_by_test_id("save").click()
    page.wait_for_url(re.compile(r"/applications/\d+$"))
    app_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_test_id("state")).to_have_text("草稿")
    expect(page.get_by_text("150.00 万元（企业自筹）")).to_be_visible()

    page.get_by_test_id("action-submit").get_by_role("button", name="提交申报").click()
    refusal = page.get_by_test_id("form-error")
    expect(refusal).to_contain_text("不能提交")
    for numeral in NUMERALS:
        expect(refusal).to_contain_text(f"条件（{numeral}）缺少证明材料")
    expect(refusal).not_to_contain_text("情况说明")
    expect(refusal).not_to_contain_text("建设方案")
    expect(page.get_by_test_id("state")).to_have_text("草稿")

    for n in range(1, 6):
        evidence = tmp_path / f"condition-{n}.pdf"
        evidence.write_bytes(PDF)
        upload = page.get_by_test_id(f"upload-condition:{n}")
        upload.locator("input[type=file]").set_input_files(evidence)
        upload.get_by_role("button", name="上传").click()
        expect(page.get_by_test_id(f"condition-{n}").get_by_role("link", name=evidence.name)).to_be_visible()
    page.get_by_test_id("action-submit").get_by_role("button", name="提交申报").click()
    page.wait_for_url(users.url(f"/applications/{app_id}"))
    expect(page.get_by_test_id("state")).to_have_text("已提交")
    expect(page.get_by_test_id("form-error")).to_have_count(0)
    expect(page.get_by_test_id("edit")).to_have_count(0)
    users.done(page)
    return app_id


def _recommend(users: Users, app_id: int) -> None:
    """The city bureau finds the dossier in its inbox, accepts it and recommends it."""
    page = users.log_in("chifeng")
    _nav(page, "申报")
    row = page.get_by_test_id("inbox").get_by_test_id(f"app-{app_id}")
    expect(row).to_contain_text("赤峰示例乳业有限公司")
    expect(row).to_contain_text("已提交")
    row.get_by_role("link", name=f"#{app_id}").click()
    page.wait_for_url(users.url(f"/applications/{app_id}"))
    _act(page, "accept", "盟市局资格审核")
    _act(page, "recommend", "盟市局已推荐")
    users.done(page)


def _recheck_and_form_panel(users: Users, app_id: int) -> int:
    """The region bureau re-checks the dossier, sends it to review and forms a panel with one expert."""
    page = users.log_in("admin")
    page.goto(users.url(f"/applications/{app_id}"))
    _act(page, "start_recheck", "自治区局复核")
    _act(page, "pass_recheck", "专家评审")
    expect(page.get_by_test_id("actions")).to_contain_text("“列入拟认定名单”在专家评审结果页面办理。")

    _nav(page, "专家评审")
    page.get_by_test_id("new-panel").click()
    page.wait_for_url(users.url("/reviews/panels/new"))
    page.fill("#f-name", "2026年度认定评审组")
    expect(page.locator("#f-kind")).to_have_value("recognition")
    page.locator("#f-sheet_id").select_option(label="自治区运营中心认定评审评分表（第 1 版，认定评审）")
    page.locator("#f-call_id").select_option(label=CALL_TITLE)
    expect(page.locator("#f-min_scores")).to_have_value("3")  # the setting's default; this panel has one expert
    page.fill("#f-min_scores", "1")
    page.get_by_role("button", name="组建").click()
    page.wait_for_url(re.compile(r"/reviews/panels/\d+$"))
    panel_id = int(page.url.rsplit("/", 1)[1])
    page.locator("#f-expert_id").select_option(label="评审专家")
    page.get_by_role("button", name="添加", exact=True).click()
    progress = page.get_by_test_id("progress-table")
    expect(progress).to_contain_text("评审专家")
    expect(progress).to_contain_text("未申报")
    expect(progress.get_by_test_id("progress-count")).to_have_text("0 / 1")
    users.done(page)
    return panel_id


def _score(users: Users, app_id: int, panel_id: int) -> None:
    """The expert declares no conflict, scores every indicator and submits."""
    page = users.log_in("expert")
    _nav(page, "专家评审")
    assignment = page.get_by_test_id(f"assignment-{panel_id}")
    expect(assignment.get_by_test_id(f"subject-{app_id}")).to_contain_text("赤峰示例乳业有限公司")
    assignment.get_by_test_id("declare-link").click()
    page.wait_for_url(users.url(f"/reviews/panels/{panel_id}/conflicts"))
    expect(page.get_by_test_id("involved-orgs")).to_contain_text("赤峰示例乳业有限公司")
    page.get_by_test_id("declare").click()
    page.wait_for_url(users.url(f"/reviews/panels/{panel_id}"))
    expect(page.get_by_test_id("declaration")).to_contain_text("申报利益冲突：")
    expect(page.get_by_test_id("declaration")).to_contain_text("无")

    page.get_by_test_id(f"subject-{app_id}").get_by_role("link", name="评分", exact=True).click()
    page.wait_for_url(users.url(f"/reviews/panels/{panel_id}/score/{app_id}"))
    inputs = page.get_by_test_id("score-table").locator("input")
    expect(inputs).to_have_count(len(SCORES))
    for code, points in SCORES.items():
        page.fill(f"#f-item_{code}", points)
    page.fill("#f-comment", "条件齐备，建设方案可行。")
    page.get_by_test_id("submit-score").click()
    page.wait_for_url(users.url(f"/reviews/panels/{panel_id}"))
    assert users.asked[-1] == "提交后评分即为最终结果，不能再修改。确定提交？"
    expect(page.get_by_test_id(f"subject-{app_id}").get_by_test_id("score-state")).to_have_text("已提交（87 分）")
    users.done(page)


def _shortlist(users: Users, app_id: int, panel_id: int) -> sync_api.Page:
    """The region bureau closes the panel and puts the dossier on the proposed list; stays logged in."""
    page = users.log_in("admin")
    page.goto(users.url(f"/reviews/panels/{panel_id}"))
    expect(page.get_by_test_id("progress-count")).to_have_text("1 / 1")
    page.get_by_test_id("close-panel").click()
    page.wait_for_url(users.url(f"/reviews/panels/{panel_id}/results"))
    assert users.asked[-1] == "结束后不能再评分，评分结果将公开。确定结束评审？"
    result = page.get_by_test_id(f"result-{app_id}")
    expect(result.get_by_test_id("rank")).to_have_text("1")
    expect(result.get_by_test_id("mean")).to_have_text("87")
    result.get_by_test_id("shortlist").click()
    expect(result).to_contain_text("拟认定名单")
    expect(result.get_by_test_id("shortlist")).to_have_count(0)
    page.goto(users.url(f"/applications/{app_id}"))
    expect(page.get_by_test_id("state")).to_have_text("拟认定名单")
    expect(page.get_by_text("平均分 87.00，批次内第 1 名")).to_be_visible()
    return page


def _publish(users: Users, page: sync_api.Page, app_id: int, call_id: int) -> int:
    """The region bureau drafts and publishes the notice; recognising within the window is refused."""
    _nav(page, "公示")
    page.get_by_test_id("new-notice").click()
    page.get_by_test_id("notice-calls").get_by_role("link", name=CALL_TITLE).click()
    page.wait_for_url(users.url(f"/notices/new?call_id={call_id}"))
    form = page.get_by_test_id("notice-form")
    candidate = form.locator(f"#app-{app_id}")
    expect(form.locator(f"label[for=app-{app_id}]")).to_contain_text(CENTER)
    candidate.check()
    expect(form.locator("#f-starts_on")).to_have_value("2026-11-24")
    form.locator("#f-starts_on").fill("2026-11-24")
    form.get_by_role("button", name="保存草稿").click()
    page.wait_for_url(re.compile(r"/notices/\d+$"))
    notice_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_test_id("notice-draft")).to_be_visible()
    expect(page.get_by_test_id("notice-window")).to_have_text("2026年11月24日至2026年11月30日（5个工作日）")

    page.get_by_test_id("publish").click()
    page.wait_for_url(users.url(f"/notices/{notice_id}"))
    expect(page.get_by_test_id("notice-draft")).to_have_count(0)
    entry = page.get_by_test_id(f"entry-{app_id}")
    expect(entry).to_contain_text(CENTER)
    expect(entry).to_contain_text("公示中")
    window_message = "公示期至2026年11月30日，期满后方可认定"
    expect(entry.get_by_test_id(f"problem-{app_id}")).to_have_text(window_message)
    expect(entry.get_by_test_id(f"recognise-{app_id}")).to_have_count(0)
    page.get_by_test_id("recognise-all").click()
    report = page.get_by_test_id("recognition-report")
    expect(report).to_contain_text("已认定 0 个")
    expect(report).to_contain_text(f"赤峰示例乳业有限公司：{window_message}")
    expect(page.get_by_test_id(f"entry-{app_id}")).to_contain_text("公示中")
    users.done(page)

    public = users.anonymous()
    public.goto(users.url("/"))
    _nav(public, "公示")
    public.get_by_test_id(f"notice-{notice_id}").click()
    public.wait_for_url(users.url(f"/notices/{notice_id}"))
    expect(public.get_by_test_id("notice-window")).to_contain_text("2026年11月30日")
    public_entry = public.get_by_test_id(f"entry-{app_id}")
    expect(public_entry).to_contain_text(CENTER)
    expect(public_entry).not_to_contain_text("公示中")  # the state column is the bureau's
    expect(public.get_by_test_id("objection-form")).to_be_visible()
    users.done(public)
    return notice_id


def _recognise(users: Users, app_id: int, notice_id: int) -> None:
    """After the window: the region bureau recognises; the dossier, its timeline and the center show it."""
    page = users.log_in("admin")
    page.goto(users.url(f"/notices/{notice_id}"))
    expect(page.get_by_test_id("objection-closed")).to_be_visible()
    page.get_by_test_id(f"recognise-{app_id}").click()
    entry = page.get_by_test_id(f"entry-{app_id}")
    expect(entry).to_contain_text("已认定")
    assert users.asked[-1] == "正式认定后将设立运营中心，不能撤回。确定认定？"
    entry.get_by_role("link", name="已认定").click()
    page.wait_for_url(users.url(f"/applications/{app_id}"))
    expect(page.get_by_test_id("state")).to_have_text("已认定")
    steps = page.get_by_test_id("timeline").locator("li > .fw-semibold")
    expect(steps).to_have_text(TIMELINE)
    expect(page.get_by_test_id("timeline")).to_contain_text("公示期满无异议，正式认定")
    expect(page.get_by_test_id("actions")).to_have_count(0)
    users.done(page)

    public = users.anonymous()
    public.goto(users.url("/"))
    _nav(public, "运营中心")
    row = public.get_by_test_id("center-table").locator("tr", has_text=CENTER)
    expect(row).to_contain_text("建设期")
    expect(row).to_contain_text("2026-12-01 至 2029-11-30")
    row.get_by_role("link", name=CENTER).click()
    facts = public.get_by_test_id("center-public")
    expect(public.get_by_test_id("center-name")).to_have_text(CENTER)
    expect(public.get_by_test_id("center-status")).to_have_text("建设期")
    expect(facts).to_contain_text("赤峰示例乳业有限公司")
    expect(facts).to_contain_text("经盟市局推荐")
    expect(facts.locator("dt:has-text('认定日期') + dd")).to_have_text("2026-12-01")
    expect(facts.locator("dt:has-text('建设周期') + dd")).to_have_text("2026-12-01 至 2029-11-30")
    users.done(public)


def test_a_dossier_goes_from_draft_to_recognised_center(users, call_server, tmp_path):
    call_id = call_server[1]
    with time_machine.travel(NOTICE_DAY, tick=True) as traveller:
        app_id = _apply(users, call_id, tmp_path)
        _recommend(users, app_id)
        panel_id = _recheck_and_form_panel(users, app_id)
        _score(users, app_id, panel_id)
        admin = _shortlist(users, app_id, panel_id)
        notice_id = _publish(users, admin, app_id, call_id)
        traveller.move_to(AFTER_NOTICE)
        _recognise(users, app_id, notice_id)
    assert not users.server_errors, f"pages answered 5xx: {users.server_errors}"
    foreign = [u for u in users.requests if not u.startswith(users.base + "/")]
    assert not foreign, f"requests left the local server (CDN?): {foreign}"
