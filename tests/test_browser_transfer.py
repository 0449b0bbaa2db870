"""Technology transfer through the pages only, in headless Chromium, on the full demo.

The center's staff work through the matches waiting on their desk (对接工作台): one is rejected as 领域不符,
another accepted; the accepted match becomes a contact, the contact a deal, the deal is negotiated and signed,
with wrong inputs refused on the way. The region bureau then finds the contract in the ledger of the
national list, and a member of another organisation never sees the demand's confidential detail.

The demo is loaded by the CLI, as an operator would; every later step is a click on what a page offers. Each
browser context aborts any request that would leave the local server, and the test asserts none was tried.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from ipoc.ops.demo_transfer import DEMANDS
from tests.browsing import Users, _nav, serving, sync_api
from tests.conftest import load_full_demo

pytestmark = pytest.mark.browser
expect = sync_api.expect

CENTER = "内蒙古自治区稀土新材料知识产权运营中心"
ENTERPRISE = "包头示例稀土新材料有限公司"
MATCHMAKING = "稀土新材料产业技术供需对接会（示例）"
# the demo's first demand has a confidential detail; the second is the one worked on here
SECRET_DEMAND, SECRET = DEMANDS[0]["title"], DEMANDS[0]["secret"]
SECRET_FRAGMENT = "48SH"  # a telling piece of it, should a page show it cut short
DEMAND = DEMANDS[1]["title"]
REJECTED = "201810604896.2"  # an aluminium wire, proposed on "稀土、合金" alone
ACCEPTED = "202311957236.X"
ACCEPTED_TITLE = "一种用于固态储氢的稀土镁基合金粉体及其活化方法"
SECOND_PATENT = "202010841794.X"
PROVIDER = "包头示例储氢材料有限公司"  # the accepted patent's first applicant, not a registered organisation
ESTIMATE_WAN, ESTIMATE_SHOWN = "123.4567", "123.4567 万元"  # the deal's page shows the amount to the yuan
CONTRACT_WAN, CONTRACT_SHOWN, CONTRACT_TABLE = "423.4567", "423.4567 万元", "423.46"  # tables: two decimals
# ipoc.ops.demo_deals: 180 万元 signed this year, 520 万元 last year. The national list shows the better of the
# two years, so the contract is signed for enough to lift this year above last year: 180 + 423.4567.
LEDGER_THIS_YEAR, LEDGER_THIS_YEAR_TABLE = "603.4567", "603.46"
LEDGER_PROJECTS = "3"  # the demo's two contracts and this one


class LocalUsers(Users):
    """The lifecycle test's users, whose browsers may not reach anything but the local server."""

    def anonymous(self) -> sync_api.Page:
        page = super().anonymous()
        page.context.route(lambda url: not url.startswith(self.base + "/"), lambda route: route.abort())
        return page


@pytest.fixture
def full_demo(instance) -> None:
    """``tests.conftest.full_demo`` in a thread of its own: the demo loader calls ``asyncio.run``, which refuses
    to run in this thread while Playwright's sync API keeps its event loop running here."""
    with ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(load_full_demo).result()


@pytest.fixture
def users(browser, full_demo, instance) -> Iterator[LocalUsers]:
    from ipoc.shell.app import create_app

    with serving(create_app(instance)) as url:
        u = LocalUsers(browser, url)
        yield u
        u.close()


def _inbox_row(page: sync_api.Page, application_no: str) -> sync_api.Locator:
    return page.get_by_test_id("inbox-matches").locator("tbody tr", has_text=application_no)


def _dd(scope: sync_api.Locator, term: str) -> sync_api.Locator:
    return scope.locator(f"dt:text-is('{term}') + dd")


def _review_matches(users: LocalUsers) -> tuple[sync_api.Page, str]:
    """On the desk: one match rejected as 领域不符 leaves it, another is accepted; (page on it, its id)."""
    page = users.log_in("center")
    _nav(page, "对接工作台")
    page.wait_for_url(users.url("/inbox"))
    rows = page.get_by_test_id("inbox-matches").locator("tbody tr")
    waiting = rows.count()
    assert waiting >= 2, "the demo leaves matches waiting for review"
    row = _inbox_row(page, REJECTED)
    expect(row).to_contain_text(f"需求：{DEMAND}")
    confidence = re.fullmatch(r"(\d\.\d\d)（([高中低])）", row.locator("td").nth(3).inner_text().strip())
    assert confidence, row.inner_text()
    reasons_listed = row.locator("td").nth(4).inner_text().strip()
    row.get_by_role("link", name="审核").click()
    page.wait_for_url(re.compile(r"/matches/\d+$"))
    rejected_url = page.url
    expect(page.get_by_test_id("match-status")).to_have_text("待审核")
    detail = page.get_by_test_id("match-detail")
    expect(_dd(detail, "置信度")).to_have_text(f"{confidence[2]}（{confidence[1]}）")
    reasons = page.get_by_test_id("match-reasons").locator("li")
    expect(reasons.first).to_contain_text("命中关键词：")
    assert "；".join(t.strip() for t in reasons.all_inner_texts()) == reasons_listed

    decision = page.locator("[data-testid^=decision-]")
    decision.get_by_role("button", name="否决").click()  # no reason given
    expect(page.locator(".invalid-feedback[data-field=reason]")).to_have_text(
        "否决匹配必须说明理由（选择理由，选“其他”时填写说明）"
    )
    expect(page.get_by_test_id("match-status")).to_have_text("待审核")
    decision.get_by_label("否决理由").select_option(label="领域不符")
    decision.locator("input[name=note]").fill("铝合金导线，与储氢无关")
    decision.get_by_role("button", name="否决").click()
    page.wait_for_url(rejected_url)
    expect(page.get_by_test_id("match-status")).to_have_text("已否决")
    expect(_dd(detail, "处理意见")).to_have_text("领域不符：铝合金导线，与储氢无关")
    expect(page.locator("[data-testid^=decision-]")).to_have_count(0)

    _nav(page, "对接工作台")
    page.wait_for_url(users.url("/inbox"))
    expect(_inbox_row(page, REJECTED)).to_have_count(0)
    expect(rows).to_have_count(waiting - 1)
    _inbox_row(page, ACCEPTED).get_by_role("link", name="审核").click()
    page.wait_for_url(re.compile(r"/matches/\d+$"))
    match_id = page.url.rsplit("/", 1)[1]
    expect(_dd(page.get_by_test_id("match-detail"), "匹配对象（专利）")).to_contain_text(ACCEPTED_TITLE)
    page.locator(f"[data-testid=decision-{match_id}]").get_by_role("button", name="采纳").click()
    page.wait_for_url(users.url(f"/matches/{match_id}"))
    expect(page.get_by_test_id("match-status")).to_have_text("已采纳")
    return page, match_id


def _record_contact(users: LocalUsers, page: sync_api.Page, match_id: str, today: str) -> None:
    """From the accepted match, the contact form comes pre-filled with the demand and both parties."""
    demand_path = _dd(page.get_by_test_id("match-detail"), "匹配来源").get_by_role("link").get_attribute("href")
    assert demand_path and re.fullmatch(r"/demands/\d+", demand_path), demand_path
    page.get_by_test_id("contact-link").click()
    page.wait_for_url(users.url(f"/contacts/new?match_id={match_id}"))
    expect(page.get_by_test_id("contact-source")).to_have_text(
        f"来源：推荐匹配 #{match_id}（需求、供给与双方已按匹配预填）"
    )
    form = page.get_by_test_id("contact-form")
    expect(form.locator("input[name=match_id]")).to_have_value(match_id)
    expect(form.locator("input[name=demand_id]")).to_have_value(demand_path.rsplit("/", 1)[1])
    expect(form.locator("#f-subject")).to_have_value(f"{DEMAND} — {ACCEPTED_TITLE}")
    expect(form.locator("#f-seeker_org_id")).to_have_value(ENTERPRISE)  # by name, never the internal number
    expect(form.locator("#f-seeker_name")).to_have_value("")
    expect(form.locator("#f-provider_org_id")).to_have_value("")
    expect(form.locator("#f-provider_name")).to_have_value(PROVIDER)
    expect(form.locator("#f-contacted_on")).to_have_value(today)
    form.locator("#f-channel").select_option(label="上门走访")
    form.locator("#f-notes").fill("走访储氢材料公司，对方同意许可，先行洽谈许可费。")
    form.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r"/contacts/\d+$"))
    expect(page.get_by_test_id("contact-status")).to_have_text("跟进中")
    detail = page.get_by_test_id("contact-detail")
    expect(_dd(detail, "来源")).to_have_text(f"推荐匹配 #{match_id}")
    expect(_dd(detail, "技术需求").get_by_role("link")).to_have_attribute("href", demand_path)
    expect(_dd(detail, "专利")).to_have_text(f"{ACCEPTED} {ACCEPTED_TITLE}")
    expect(_dd(detail, "需求方")).to_have_text(ENTERPRISE)
    expect(_dd(detail, "供给方")).to_have_text(PROVIDER)
    expect(_dd(detail, "对接日期")).to_have_text(f"{today}（上门走访）")


def _make_deal(users: LocalUsers, page: sync_api.Page, today: str) -> None:
    """The contact becomes a deal at intention, with an estimated amount and two patents."""
    contact_path = page.url.removeprefix(users.base)
    page.get_by_test_id("contact-actions").get_by_role("link", name="转为交易").click()
    page.wait_for_url(users.url(f"/deals/new?contact_id={contact_path.rsplit('/', 1)[1]}"))
    form = page.get_by_test_id("deal-form")
    expect(form.locator("#f-title")).to_have_value(f"{DEMAND} — {ACCEPTED_TITLE}")
    expect(form.locator("#f-provider_name")).to_have_value(PROVIDER)
    expect(form.locator("#f-seeker_org_id")).to_have_value(ENTERPRISE)  # by name, never the internal number
    expect(form.locator("#f-application_nos")).to_have_value(ACCEPTED)
    expect(form.locator("#f-intention_on")).to_have_value(today)
    form.locator("#f-mode").select_option(label="普通许可")
    form.locator("#f-amount_wan").fill(ESTIMATE_WAN)
    form.locator("#f-application_nos").fill(f"{ACCEPTED}，{SECOND_PATENT}")
    form.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r"/deals/\d+$"))
    expect(page.get_by_test_id("deal-stage")).to_have_text("意向")
    detail = page.get_by_test_id("deal-detail")
    expect(_dd(detail, "运营中心")).to_have_text(CENTER)
    expect(_dd(detail, "交易方式")).to_have_text("普通许可")
    expect(_dd(detail, "转让方/许可方")).to_have_text(PROVIDER)
    expect(_dd(detail, "受让方/被许可方")).to_have_text(ENTERPRISE)
    expect(page.get_by_test_id("deal-amount")).to_have_text(ESTIMATE_SHOWN)
    expect(_dd(detail, "来源对接").get_by_role("link")).to_have_attribute("href", contact_path)
    patents = page.get_by_test_id("deal-patents").locator("li")
    expect(patents).to_have_count(2)
    expect(patents.first).to_contain_text(f"{ACCEPTED} {ACCEPTED_TITLE}")
    expect(patents.nth(1)).to_contain_text(SECOND_PATENT)


def _negotiate_and_sign(page: sync_api.Page, today: str, tomorrow: str, contract_no: str) -> None:
    """洽谈, then 合同签订; a missing contract number and a future date are refused and change nothing."""
    timeline = page.get_by_test_id("deal-timeline").locator("li")
    negotiate = page.get_by_test_id("step-negotiate")
    negotiate.locator("#f-negotiation_on").fill(today)
    negotiate.get_by_role("button", name="进入洽谈").click()
    expect(page.get_by_test_id("deal-stage")).to_have_text("洽谈")
    expect(timeline).to_have_count(2)

    sign = page.get_by_test_id("step-sign")
    sign.locator("#f-signed_on").fill(tomorrow)
    sign.locator("#f-amount_wan").fill(CONTRACT_WAN)
    sign.get_by_role("button", name="合同签订").click()
    expect(sign.locator(".invalid-feedback[data-field=contract_no]")).to_have_text("请填写合同编号")
    expect(sign.locator("#f-contract_no")).to_have_class(re.compile(r"\bis-invalid\b"))
    sign.locator("#f-contract_no").fill(contract_no)
    sign.get_by_role("button", name="合同签订").click()
    expect(sign.locator(".invalid-feedback[data-field=signed_on]")).to_have_text("合同签订日期不能晚于今天")
    expect(sign.locator("#f-signed_on")).to_have_value(tomorrow)
    expect(sign.locator(".invalid-feedback[data-field=contract_no]")).to_have_count(0)
    # the refused steps left the deal as it was
    expect(page.get_by_test_id("deal-stage")).to_have_text("洽谈")
    expect(page.get_by_test_id("deal-amount")).to_have_text(ESTIMATE_SHOWN)
    expect(_dd(page.get_by_test_id("deal-detail"), "合同编号")).to_have_text("—")
    expect(timeline).to_have_count(2)

    sign.locator("#f-signed_on").fill(today)
    sign.get_by_role("button", name="合同签订").click()
    page.wait_for_url(re.compile(r"/deals/\d+$"))
    expect(page.get_by_test_id("deal-stage")).to_have_text("合同签订")
    detail = page.get_by_test_id("deal-detail")
    expect(page.get_by_test_id("deal-amount")).to_have_text(CONTRACT_SHOWN)
    expect(_dd(detail, "合同编号")).to_have_text(contract_no)
    expect(_dd(detail, "合同签订日期")).to_have_text(today)
    expect(timeline).to_have_count(3)
    for entry, stage in zip(timeline.all(), ("意向", "洽谈", "合同签订"), strict=True):
        expect(entry).to_contain_text(f"{today}：{stage} 登记于 {today}")
    expect(page.get_by_test_id("step-sign")).to_have_count(0)
    expect(page.get_by_test_id("step-record")).to_be_visible()
    expect(page.get_by_test_id("form-error")).to_have_count(0)


def _national_list(users: LocalUsers, year: int) -> None:
    """The region bureau: the contract counts in this year's ledger, on the national list and the deal list."""
    page = users.log_in("admin")
    _nav(page, "运营中心")
    page.get_by_test_id("national-link").click()
    page.wait_for_url(users.url("/centers/national"))
    row = page.get_by_test_id("national-row").filter(has_text=CENTER)
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("national-source")).to_have_text("台账")
    expect(row.get_by_test_id("national-ledger-amount")).to_have_text(f"{LEDGER_THIS_YEAR}（{year} 年）")
    expect(row.get_by_test_id("national-ledger-projects")).to_have_text(LEDGER_PROJECTS)

    _nav(page, "技术合同")
    filters = page.get_by_test_id("deal-filters")
    filters.get_by_label("合同签订年度").fill(str(year))
    filters.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(rf"/deals\?.*year={year}"))
    expect(page.get_by_test_id("deal-totals")).to_have_text(
        f"共 2 项交易，其中已签订合同 2 项，合同金额合计 {LEDGER_THIS_YEAR_TABLE} 万元。"
    )
    expect(page.get_by_test_id("deal-list").locator("tr", has_text=ACCEPTED_TITLE)).to_contain_text(CONTRACT_TABLE)

    # the bureau may read the confidential detail: the string the member must never see is the right one
    _nav(page, "技术需求")
    page.get_by_test_id("demand-list").get_by_role("link", name=SECRET_DEMAND).click()
    expect(page.get_by_test_id("demand-confidential")).to_contain_text(SECRET)
    users.done(page)


def _member_never_sees_the_secret(users: LocalUsers) -> None:
    """Another organisation's member reads the demands and events, never the confidential detail."""

    def no_secret(page: sync_api.Page) -> None:
        page.wait_for_load_state()
        html = page.content()
        assert SECRET not in html and SECRET_FRAGMENT not in html, f"the confidential detail leaks on {page.url}"

    page = users.log_in("dairy")
    no_secret(page)
    _nav(page, "技术需求")
    page.wait_for_url(users.url("/demands"))
    demands = page.get_by_test_id("demand-list")
    expect(demands).to_contain_text(SECRET_DEMAND)
    expect(demands).to_contain_text(DEMAND)
    no_secret(page)
    demands.get_by_role("link", name=SECRET_DEMAND).click()
    page.wait_for_url(re.compile(r"/demands/\d+$"))
    expect(page.get_by_test_id("demand-public")).to_contain_text(ENTERPRISE)
    expect(page.get_by_test_id("demand-confidential")).to_have_count(0)
    expect(page.get_by_test_id("demand-matches-link")).to_have_count(0)
    no_secret(page)
    _nav(page, "对接活动")
    page.wait_for_url(users.url("/events"))
    no_secret(page)
    page.get_by_test_id("events-upcoming").get_by_role("link", name=MATCHMAKING).click()
    page.wait_for_url(re.compile(r"/events/\d+$"))
    expect(page.get_by_test_id("event-items")).to_contain_text(SECRET_DEMAND)
    no_secret(page)
    users.done(page)


def test_a_match_becomes_a_signed_contract_in_the_ledger(users):
    from ipoc import clock

    today = clock.today()
    page, match_id = _review_matches(users)
    _record_contact(users, page, match_id, today.isoformat())
    _make_deal(users, page, today.isoformat())
    contract_no = f"NMG-XK-{today.year}-0101"
    _negotiate_and_sign(page, today.isoformat(), (today + timedelta(days=1)).isoformat(), contract_no)
    users.done(page)
    _national_list(users, today.year)
    _member_never_sees_the_secret(users)

    assert not users.server_errors, f"pages answered 5xx: {users.server_errors}"
    foreign = [u for u in users.requests if not u.startswith(users.base + "/")]
    assert not foreign, f"requests tried to leave the local server (CDN?): {foreign}"
