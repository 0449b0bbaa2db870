"""The real app in headless Chromium: forced password change, dashboard chart, responsive layout, roles.

The server is uvicorn on a free local port over the test's own instance (SQLite and PostgreSQL);
every request the pages make must go to that server, so the UI works without any CDN.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browsing import DESKTOP, Site, serving, sync_api

pytestmark = pytest.mark.browser

NEW_PASSWORD = "NewPassw0rd2026"
PHONE = {"width": 390, "height": 844}
CHART_DATA = """() => {
  const option = echarts.getInstanceByDom(document.getElementById("orgs-chart")).getOption();
  const regions = option.xAxis[0].data;
  const bars = Object.fromEntries(regions.map((r, i) => [r, option.series.map(s => s.data[i])]));
  return {series: option.series.map(s => s.name), bars};
}"""
# resolves once ECharts' entry animation is over (or after 2 s, if it was over already)
COUNT_CHARTS = """() => Object.fromEntries([...document.querySelectorAll("[data-count-chart]")].map(node => {
  const series = echarts.getInstanceByDom(node).getOption().series[0];
  return [node.id, {type: series.type, name: series.name}];
}))"""

CHART_SETTLED = """() => new Promise(done => {
  echarts.getInstanceByDom(document.getElementById("orgs-chart")).on("finished", done);
  setTimeout(done, 2000);
})"""


# a deletion-style form, as the templates write them (data-confirm instead of onsubmit="return confirm(...)")
CONFIRM_PROBE = """() => {
  const form = document.createElement("form");
  form.method = "get"; form.action = "/dashboard"; form.dataset.confirm = "确定删除？";
  const button = document.createElement("button");
  button.type = "submit"; button.id = "confirm-probe"; button.textContent = "删除";
  form.append(button); document.querySelector("main").append(form);
}"""


@pytest.fixture
def live_server(instance) -> Iterator[str]:
    """The app with the demo data (and its forced password changes)."""
    from ipoc.db import session_scope
    from ipoc.ops import demo
    from ipoc.shell.app import create_app

    with session_scope() as s:
        assert demo.load(s), "a fresh instance has no demo data yet"
    with serving(create_app(instance)) as url:
        yield url


def _wait_for(site: Site, path: str) -> None:
    """Wait until the page is at exactly this path (and query) of the local server."""
    site.page.wait_for_url(lambda url: url == site.url(path))


def _nav_labels(page) -> list[str]:
    return [t.strip() for t in page.locator("#mainnav .navbar-nav.me-auto .nav-link").all_inner_texts()]


def _log_in(site: Site, username: str, password: str) -> None:
    page = site.page
    page.goto(site.url("/"))
    page.get_by_role("link", name="登录", exact=True).first.click()
    _wait_for(site, "/login")
    page.fill("#f-username", username)
    page.fill("#f-password", password)
    page.locator("form[action^='/login'] button[type=submit]").click()


def _submit_password_change(page, confirm: str = NEW_PASSWORD) -> None:
    from ipoc.ops.demo import DEMO_PASSWORD

    page.fill("#f-old_password", DEMO_PASSWORD)
    page.fill("#f-new_password", NEW_PASSWORD)
    page.fill("#f-confirm_password", confirm)
    page.get_by_role("button", name="保存新密码").click()


def _forced_change(site: Site, username: str) -> None:
    """Log in with the demo password and do the forced change; ends on the dashboard."""
    from ipoc.ops.demo import DEMO_PASSWORD

    page = site.page
    _log_in(site, username, DEMO_PASSWORD)
    _wait_for(site, "/account/password")
    sync_api.expect(page.get_by_test_id("forced-change")).to_be_visible()
    _submit_password_change(page)
    _wait_for(site, "/dashboard?changed=1")
    sync_api.expect(page.get_by_role("status")).to_have_text("密码已修改")


def test_admin_forced_password_change_leads_to_dashboard_with_chart(site, tmp_path):
    from ipoc.ops.demo import DEMO_PASSWORD

    page = site.page
    page.goto(site.url("/"))
    sync_api.expect(page.locator("h1")).to_have_text("内蒙古自治区产业知识产权运营中心平台")
    page.locator("main").get_by_role("link", name="登录", exact=True).click()
    _wait_for(site, "/login")
    page.fill("#f-username", "admin")
    page.fill("#f-password", DEMO_PASSWORD)
    page.locator("form[action^='/login'] button[type=submit]").click()

    _wait_for(site, "/account/password")
    notice = page.get_by_test_id("forced-change")
    sync_api.expect(notice).to_be_visible()
    sync_api.expect(notice).to_contain_text("须先修改")

    _submit_password_change(page, confirm=NEW_PASSWORD + "x")
    page.wait_for_load_state()
    assert page.url == site.url("/account/password"), "a mismatch stays on the form"
    mismatch = page.locator(".invalid-feedback[data-field=confirm_password]")
    sync_api.expect(mismatch).to_be_visible()
    sync_api.expect(mismatch).to_have_text("两次输入的新密码不一致")
    sync_api.expect(page.locator("#f-confirm_password")).to_have_class("form-control is-invalid")
    sync_api.expect(page.get_by_test_id("forced-change")).to_be_visible()

    _submit_password_change(page)
    _wait_for(site, "/dashboard?changed=1")

    title = page.get_by_test_id("dashboard-title")
    sync_api.expect(title).to_contain_text("工作台")
    sync_api.expect(title).to_contain_text("自治区局管理员")
    sync_api.expect(page.get_by_test_id("user-menu")).to_contain_text("自治区局管理员")
    sync_api.expect(page.get_by_role("status")).to_have_text("密码已修改")
    drawn = page.locator("#orgs-chart canvas, #orgs-chart svg").first
    sync_api.expect(drawn).to_be_visible()
    box = drawn.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 100, f"the chart has no real size: {box}"
    # what the chart draws is the demo data: 包头 has one verified and one pending organisation
    chart = page.evaluate(CHART_DATA)
    assert chart["series"] == ["已核验", "待核验"], chart
    assert chart["bars"]["包头市"] == [1, 1] and chart["bars"]["满洲里市"] == [0, 1], chart
    assert chart["bars"]["乌海市"] == [0, 0], chart
    counts = page.evaluate(COUNT_CHARTS)  # drawn by /static/charts.js from the same data attributes
    assert counts["centers-status-chart"] == {"type": "pie", "name": "运营中心"}, counts
    assert counts["centers-region-chart"] == {"type": "bar", "name": "运营中心"}, counts
    nav = _nav_labels(page)
    assert "用户管理" in nav and "审计日志" in nav and "单位核验" in nav, nav

    page.evaluate(CHART_SETTLED)
    shot = tmp_path / "dashboard-admin.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000, "the screenshot is empty"

    # the new password is the one that works now
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="退出登录").click()
    _wait_for(site, "/")
    _log_in(site, "admin", NEW_PASSWORD)
    _wait_for(site, "/dashboard")
    sync_api.expect(page.get_by_test_id("dashboard-title")).to_contain_text("工作台")

    site.assert_only_local_requests()
    site.assert_no_csp_violations()
    assert any(u.endswith("/static/vendor/echarts.min.js") for u in site.requests), site.requests
    assert any(u.endswith("/static/vendor/bootstrap.min.css") for u in site.requests), site.requests


def _no_horizontal_overflow(page) -> None:
    widths = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth,"
        " body: document.body.scrollWidth})"
    )
    assert widths["scroll"] <= widths["inner"] + 1, f"{page.url} scrolls sideways: {widths}"


def test_layout_fits_phone_and_desktop(site):
    page = site.page
    _forced_change(site, "admin")
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        for path, heading in (("/dashboard", "工作台"), ("/orgs", "单位名录")):
            page.goto(site.url(path))
            sync_api.expect(page.locator("main h1")).to_contain_text(heading)
            if path == "/dashboard":
                sync_api.expect(page.locator("#orgs-chart canvas, #orgs-chart svg").first).to_be_visible()
            else:
                table = page.get_by_test_id("org-table")
                sync_api.expect(table).to_contain_text("包头示例稀土新材料有限公司")
            _no_horizontal_overflow(page)
            toggler = page.locator(".navbar-toggler")
            users_link = page.locator("#mainnav").get_by_role("link", name="用户管理")
            if viewport is PHONE:
                sync_api.expect(toggler).to_be_visible()
                sync_api.expect(users_link).to_be_hidden()
                toggler.click()
                sync_api.expect(page.locator("#mainnav")).to_have_class("navbar-collapse collapse show")
                sync_api.expect(users_link).to_be_visible()
                sync_api.expect(page.locator("#mainnav").get_by_role("link", name="单位名录")).to_be_visible()
                sync_api.expect(page.get_by_test_id("user-menu")).to_be_visible()
                _no_horizontal_overflow(page)
            else:
                sync_api.expect(toggler).to_be_hidden()
                sync_api.expect(users_link).to_be_visible()
    site.assert_only_local_requests()


def test_bureau_officer_sees_review_but_not_user_admin(site):
    page = site.page
    _forced_change(site, "baotou")
    sync_api.expect(page.get_by_test_id("dashboard-title")).to_contain_text("盟市局工作人员")
    nav = _nav_labels(page)
    assert "单位核验" in nav, nav
    assert "用户管理" not in nav and "审计日志" not in nav, nav
    # the 包头 officer is asked to review the one pending 包头 registration, not the 满洲里 one
    pending = page.locator("main table")
    sync_api.expect(pending).to_contain_text("包头示例风电装备有限公司")
    sync_api.expect(pending).not_to_contain_text("满洲里示例口岸贸易有限公司")

    response = page.goto(site.url("/admin/users"))
    assert response is not None and response.status == 403
    sync_api.expect(page.get_by_test_id("error-message")).to_have_text("无权访问此页面")
    sync_api.expect(page.locator("main h1")).to_have_text("403")
    site.assert_only_local_requests()


def test_key_pages_run_under_the_content_security_policy(site):
    """No inline script is left to refuse: charts draw, list filters submit, deletions ask, Swagger UI starts."""
    page = site.page
    _forced_change(site, "admin")
    for path in ("/", "/dashboard", "/orgs", "/admin/users", "/patents/search", "/search/saved", "/patents/import"):
        response = page.goto(site.url(path))
        assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("load")
        site.assert_no_csp_violations()
    page.goto(site.url("/dashboard"))
    sync_api.expect(page.locator("#orgs-chart canvas, #orgs-chart svg").first).to_be_visible()

    page.goto(site.url("/orgs"))
    page.select_option("select[name=region_id]", label="包头市")  # data-autosubmit, handled by /static/ipoc.js
    page.wait_for_url(lambda url: "region_id=" in url)
    sync_api.expect(page.get_by_test_id("org-table")).not_to_contain_text("满洲里示例口岸贸易有限公司")

    # <form data-confirm>: asked first; dismissed, nothing is sent; accepted, the form goes
    answers = {"accept": False}
    asked: list[str] = []

    def answer(dialog) -> None:
        asked.append(dialog.message)
        dialog.accept() if answers["accept"] else dialog.dismiss()

    page.on("dialog", answer)
    page.evaluate(CONFIRM_PROBE)
    page.click("#confirm-probe")
    page.wait_for_timeout(300)
    assert asked == ["确定删除？"] and "/orgs" in page.url, (asked, page.url)
    answers["accept"] = True
    page.click("#confirm-probe")
    page.wait_for_url(lambda url: url.startswith(site.url("/dashboard")))
    assert asked == ["确定删除？", "确定删除？"]

    page.goto(site.url("/api/docs"))
    sync_api.expect(page.locator(".swagger-ui .info .title")).to_contain_text("ipoc", timeout=30_000)  # a big schema
    site.assert_no_csp_violations()
    site.assert_only_local_requests()
