"""A center's public service catalogue and yearly work plan (Art. 12) and its funding projects (Art. 15):
who may do what, the duty and date rules, read-only revoked centers, the public view and the figures
that pre-fill a self-evaluation. Rules through the service; pages, exports and the API over HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from ipoc.auth.roles import Principal, Role
from ipoc.catalogue import service as catalogue
from ipoc.catalogue.models import FundingProject, PlanItem, ServiceItem, WorkPlan
from ipoc.catalogue.schemas import FundingIn, PlanItemDone, PlanItemDrop, PlanItemIn, ServiceItemIn, WorkPlanIn
from ipoc.centers.models import Center
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.web.forms import field_errors
from tests.conftest import csrf_of, login, post_form
from tests.exported import table
from tests.factories import make_center, who

IN_2025 = date(2025, 11, 20)


@dataclass
class World:
    center: Center
    other: Center
    admin: Principal
    staff: Principal
    other_staff: Principal
    bureau: Principal
    other_bureau: Principal
    member: Principal


def make_world(session) -> World:
    center = make_center(session, "内蒙古自治区稀土测试知识产权运营中心", region="包头市")
    other = make_center(session, "内蒙古自治区乳业测试知识产权运营中心", region="赤峰市")
    return World(
        center=center,
        other=other,
        admin=who(session, "admin", Role.REGION_ADMIN),
        staff=who(session, "staff", Role.CENTER_STAFF, center.name),
        other_staff=who(session, "staff2", Role.CENTER_STAFF, other.name),
        bureau=who(session, "baotou", Role.BUREAU_OFFICER, "包头市"),
        other_bureau=who(session, "chifeng", Role.BUREAU_OFFICER, "赤峰市"),
        member=who(session, "member", Role.MEMBER, f"{center.name}建设单位"),
    )


WORLD = make_world  # the conftest's `world`


def _item(**over) -> ServiceItemIn:
    data = {"title": "专利导航分析", "description": "面向稀土企业的专利导航", "duties": [6], "audience": "稀土企业"}
    return ServiceItemIn(**{**data, **over})


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


# --- service catalogue --------------------------------------------------------------------------------


def test_staff_keep_the_catalogue_and_only_published_items_are_public(session, world):
    c, staff = world.center.id, world.staff
    item = catalogue.create_service_item(session, staff, c, _item(duties=[8, 1, 8]))
    hidden = catalogue.create_service_item(session, world.admin, c, _item(title="知识产权培训", duties=[8]))
    assert item.duties == [1, 8] and not item.published, "duties deduplicated and sorted; new items are unpublished"
    assert catalogue.public_view(session, c)["service_items"] == []

    catalogue.publish_service_item(session, staff, c, item.id, True)
    public = catalogue.public_view(session, c)
    assert [i.id for i in public["service_items"]] == [item.id] and hidden not in public["service_items"]
    assert public["duties"][8] == "知识产权培训与中小企业服务"
    with pytest.raises(Conflict):
        catalogue.publish_service_item(session, staff, c, item.id, True)

    catalogue.update_service_item(session, staff, c, item.id, _item(title="专利导航与预警", duties=[6]))
    assert item.title == "专利导航与预警" and item.duties == [6]
    catalogue.publish_service_item(session, staff, c, item.id, False)
    assert catalogue.public_view(session, c)["service_items"] == []
    catalogue.delete_service_item(session, staff, c, hidden.id)
    assert [i.id for i in catalogue.list_service_items(session, world.bureau, c)] == [item.id]


@pytest.mark.parametrize(
    ("duties", "message"), [([], "至少选择一项"), ([10], "职责编号 10 不存在"), ([0, 3], "职责编号 0")]
)
def test_an_item_needs_at_least_one_known_duty(duties, message):
    with pytest.raises(ValidationError, match=message):
        _item(duties=duties)


def test_who_may_read_and_manage_the_catalogue(session, world):
    c = world.center.id
    with pytest.raises(NotFound):
        catalogue.create_service_item(session, world.other_staff, c, _item())
    with pytest.raises(NotFound):
        catalogue.list_service_items(session, world.other_staff, c)
    with pytest.raises(NotFound):
        catalogue.list_service_items(session, world.other_bureau, c)
    with pytest.raises(Forbidden):
        catalogue.create_service_item(session, world.bureau, c, _item())
    for outsider in (world.member, Principal(role=Role.EXPERT, user_id=1), Principal(role=Role.ANONYMOUS)):
        with pytest.raises(NotFound):  # internal records: not public, 404 (docs/permissions.md)
            catalogue.list_service_items(session, outsider, c)
    with pytest.raises(NotFound):
        catalogue.list_service_items(session, world.admin, 999_999)
    assert _count(session, ServiceItem) == 0


# --- yearly work plan ---------------------------------------------------------------------------------


def test_a_plan_is_made_once_for_a_year_of_the_period_and_tracked_to_done(session, world):
    from ipoc.web.templating import templates

    c, staff = world.center.id, world.staff
    with pytest.raises(InvalidInput, match="2025–2028") as refused:
        catalogue.create_plan(session, staff, c, WorkPlanIn(year=2029))
    assert refused.value.field == "year"
    catalogue.create_plan(session, staff, c, WorkPlanIn(year=2025, summary="围绕稀土产业链开展服务"))
    with pytest.raises(Conflict, match="已存在"):
        catalogue.create_plan(session, world.admin, c, WorkPlanIn(year=2025))
    with pytest.raises(Forbidden):
        catalogue.create_plan(session, world.bureau, c, WorkPlanIn(year=2026))
    assert [p.year for p in catalogue.list_plans(session, world.bureau, c)] == [2025]
    with pytest.raises(InvalidInput, match="2025 年内") as refused:
        catalogue.add_plan_item(session, staff, c, 2025, PlanItemIn(title="培训", duty=8, due_on=date(2026, 1, 5)))
    assert refused.value.field == "due_on"
    with pytest.raises(ValidationError, match="职责编号 12"):
        PlanItemIn(title="培训", duty=12, due_on=date(2025, 6, 1))

    a = catalogue.add_plan_item(
        session, staff, c, 2025, PlanItemIn(title="举办专利培训", duty=8, due_on=date(2025, 6, 30))
    )
    b = catalogue.add_plan_item(
        session, staff, c, 2025, PlanItemIn(title="发布导航报告", duty=6, due_on=date(2025, 9, 1))
    )
    d = catalogue.add_plan_item(
        session, staff, c, 2025, PlanItemIn(title="组建专利池", duty=5, due_on=date(2025, 12, 1))
    )

    with pytest.raises(ValidationError, match="string_too_short"):
        PlanItemDone(done_on=date(2025, 6, 28), outcome="  ")
    with pytest.raises(ValidationError):
        PlanItemDrop(reason="")
    with pytest.raises(InvalidInput, match="不能晚于今天"):
        done = PlanItemDone(done_on=date(2025, 12, 1), outcome="培训 120 人次")
        catalogue.complete_plan_item(session, staff, c, 2025, a.id, done, today=IN_2025)
    catalogue.complete_plan_item(
        session, staff, c, 2025, a.id, PlanItemDone(done_on=date(2025, 6, 28), outcome="培训 120 人次"), today=IN_2025
    )
    catalogue.drop_plan_item(session, staff, c, 2025, d.id, PlanItemDrop(reason="企业意向不足，改在下一年度"))
    assert (a.state, a.outcome, d.state, d.outcome) == (
        "done",
        "培训 120 人次",
        "dropped",
        "企业意向不足，改在下一年度",
    )
    with pytest.raises(Conflict):
        catalogue.drop_plan_item(session, staff, c, 2025, a.id, PlanItemDrop(reason="x"))
    with pytest.raises(Conflict):
        catalogue.delete_plan_item(session, staff, c, 2025, a.id)

    assert catalogue.public_view(session, c, today=IN_2025)["plan"] is None, "an unpublished plan is not public"
    catalogue.publish_plan(session, staff, c, 2025, True)
    public = catalogue.public_view(session, c, today=IN_2025)
    assert public["plan"].year == 2025 and (public["plan_done"], public["plan_total"]) == (1, 2)
    assert catalogue.public_view(session, c, today=date(2026, 3, 1))["plan"] is None, "only the current year's"
    assert {i.id for i in public["plan"].items} == {a.id, b.id, d.id}

    # the partial E1's center page includes: published services with duty labels, the plan's progress
    shown = catalogue.create_service_item(session, staff, c, _item(duties=[6, 8]))
    catalogue.create_service_item(session, staff, c, _item(title="内部草稿"))
    catalogue.publish_service_item(session, staff, c, shown.id, True)
    html = templates.get_template("catalogue/_center_public.html").render(
        catalogue=catalogue.public_view(session, c, today=IN_2025)
    )
    assert "专利导航分析" in html and "内部草稿" not in html and "发布导航报告" in html
    assert "专利信息分析、导航、评议、评估与出口预警" in html and "知识产权培训与中小企业服务" in html
    assert "已完成 <strong>1</strong> / 2 项" in html


# --- funding projects ---------------------------------------------------------------------------------


def _funding(source: str = "region_fund", amount: str = "50", **over) -> FundingIn:
    return FundingIn(title="2025 年运营中心建设项目", year=2025, source=source, amount_wan=amount, **over)


def test_funding_is_recorded_by_whoever_pays_and_read_by_the_center(session, world):
    c = world.center.id
    region = catalogue.create_funding(session, world.admin, c, _funding(amount="12.3456"))
    assert region.amount_yuan == 123_456
    with pytest.raises(Forbidden, match="配套资金"):
        catalogue.create_funding(session, world.bureau, c, _funding("region_fund"))
    matching = catalogue.create_funding(session, world.bureau, c, _funding("league_matching", "20"))
    with pytest.raises(NotFound):
        catalogue.create_funding(session, world.other_bureau, c, _funding("league_matching"))
    with pytest.raises(Forbidden):
        catalogue.create_funding(session, world.staff, c, _funding("league_matching"))
    with pytest.raises(NotFound):
        catalogue.list_funding(session, world.member, c)
    with pytest.raises(NotFound):
        catalogue.list_funding(session, world.other_staff, c)
    with pytest.raises(Forbidden):
        catalogue.delete_funding(session, world.bureau, c, region.id)

    seen = catalogue.list_funding(session, world.staff, c)
    assert {p.id for p in seen} == {region.id, matching.id}
    totals = catalogue.funding_totals(seen)
    assert totals == {"region_fund": 123_456, "league_matching": 200_000, "other": 0, "all": 323_456}
    catalogue.delete_funding(session, world.bureau, c, matching.id)
    assert _count(session, FundingProject) == 1


@pytest.mark.parametrize(
    ("amount", "message"), [("1.23456", "最多保留 4 位小数"), ("0", "必须大于 0"), ("abc", "数字")]
)
def test_funding_amounts_are_whole_yuan_in_wan(amount, message):
    with pytest.raises(ValidationError) as refused:
        _funding(amount=amount)
    assert message in field_errors(refused.value)["amount_wan"]
    assert _funding(amount="0.0001").amount_yuan == 1


# --- read-only centers --------------------------------------------------------------------------------


def test_a_revoked_center_refuses_every_change_and_keeps_its_records(session, world):
    c, staff, admin = world.center.id, world.staff, world.admin
    item = catalogue.create_service_item(session, staff, c, _item())
    catalogue.create_plan(session, staff, c, WorkPlanIn(year=2025))
    planned = catalogue.add_plan_item(
        session, staff, c, 2025, PlanItemIn(title="培训", duty=8, due_on=date(2025, 6, 1))
    )
    project = catalogue.create_funding(session, admin, c, _funding())
    session.commit()
    world.center.state = "revoked"
    session.commit()
    before = [_count(session, m) for m in (ServiceItem, WorkPlan, PlanItem, FundingProject)]

    refusals = [
        lambda: catalogue.create_service_item(session, staff, c, _item()),
        lambda: catalogue.update_service_item(session, admin, c, item.id, _item(title="改名")),
        lambda: catalogue.publish_service_item(session, staff, c, item.id, True),
        lambda: catalogue.delete_service_item(session, staff, c, item.id),
        lambda: catalogue.create_plan(session, staff, c, WorkPlanIn(year=2026)),
        lambda: catalogue.publish_plan(session, staff, c, 2025, True),
        lambda: catalogue.add_plan_item(
            session, staff, c, 2025, PlanItemIn(title="x", duty=1, due_on=date(2025, 7, 1))
        ),
        lambda: catalogue.complete_plan_item(
            session, staff, c, 2025, planned.id, PlanItemDone(done_on=date(2025, 5, 1), outcome="完成"), today=IN_2025
        ),
        lambda: catalogue.drop_plan_item(session, staff, c, 2025, planned.id, PlanItemDrop(reason="取消")),
        lambda: catalogue.delete_plan_item(session, staff, c, 2025, planned.id),
        lambda: catalogue.create_funding(session, admin, c, _funding()),
        lambda: catalogue.create_funding(session, world.bureau, c, _funding("league_matching")),
        lambda: catalogue.delete_funding(session, admin, c, project.id),
    ]
    for refuse in refusals:
        with pytest.raises(Conflict, match="只读"):
            refuse()
        session.rollback()
    session.expire_all()
    assert [_count(session, m) for m in (ServiceItem, WorkPlan, PlanItem, FundingProject)] == before
    assert session.get(ServiceItem, item.id).title == "专利导航分析" and not session.get(ServiceItem, item.id).published
    assert session.get(PlanItem, planned.id).state == "planned"
    assert catalogue.list_service_items(session, world.bureau, c), "the records stay readable"


# --- figures ------------------------------------------------------------------------------------------


def test_center_figures_count_what_the_center_recorded_that_year(session, world):
    c = world.center.id
    session.add_all(
        [
            ServiceItem(center_id=c, title="a", duties=[1], published=True),
            ServiceItem(center_id=c, title="b", duties=[2], published=True),
            ServiceItem(center_id=c, title="c", duties=[3], published=False),
            ServiceItem(center_id=world.other.id, title="d", duties=[3], published=True),
            FundingProject(center_id=c, title="f1", year=2025, source="region_fund", amount_yuan=500_000),
            FundingProject(center_id=c, title="f2", year=2025, source="league_matching", amount_yuan=200_000),
            FundingProject(center_id=c, title="f3", year=2026, source="region_fund", amount_yuan=999),
        ]
    )
    plan = WorkPlan(center_id=c, year=2025)
    plan.items = [
        PlanItem(title="p1", duty=1, due_on=date(2025, 3, 1), state="done", done_on=date(2025, 3, 1), outcome="ok"),
        PlanItem(title="p2", duty=1, due_on=date(2025, 4, 1)),
        PlanItem(title="p3", duty=1, due_on=date(2025, 5, 1), state="dropped", outcome="取消"),
    ]
    session.add(plan)
    session.commit()
    assert catalogue.center_figures(session, c, 2025) == {
        "service_items_published": 2,
        "plan_items_total": 2,
        "plan_items_done": 1,
        "funding_projects": 2,
        "funding_yuan": 700_000,
        "ledger_conversion_yuan": 0,
        "ledger_conversion_deals": 0,
    }
    assert catalogue.center_figures(session, c, 2027) == {
        "service_items_published": 2,
        "plan_items_total": 0,
        "plan_items_done": 0,
        "funding_projects": 0,
        "funding_yuan": 0,
        "ledger_conversion_yuan": 0,
        "ledger_conversion_deals": 0,
    }


# --- pages, exports and the API -----------------------------------------------------------------------


def test_staff_manage_the_catalogue_on_its_page(client, session, world):
    c = world.center.id
    login(client, "staff")
    page = client.get(f"/centers/{c}/catalogue")
    assert page.status_code == 200 and 'data-testid="service-item-form"' in page.text
    assert "培育专利池、开展联合运营" in page.text, "the duty checkboxes carry their Chinese labels"

    none = post_form(client, f"/centers/{c}/catalogue", {"title": "专利运营咨询"})
    assert none.status_code == 422 and "至少选择一项对应的第四条职责" in none.text
    assert 'value="专利运营咨询"' in none.text, "what was typed is kept"
    unknown = post_form(client, f"/centers/{c}/catalogue", {"title": "专利运营咨询", "duty_12": "on"})
    assert unknown.status_code == 422 and "职责编号 12 不存在" in unknown.text

    done = post_form(client, f"/centers/{c}/catalogue", {"title": "专利运营咨询", "duty_3": "on", "duty_5": "on"})
    assert done.status_code == 303
    item = session.scalar(select(ServiceItem).where(ServiceItem.center_id == c))
    assert item.duties == [3, 5] and not item.published
    assert post_form(client, f"/centers/{c}/catalogue/{item.id}/publish", {"published": "true"}).status_code == 303
    edit = client.get(f"/centers/{c}/catalogue/{item.id}")
    assert 'id="f-duty_3" name="duty_3" value="on" checked' in edit.text
    changed = post_form(client, f"/centers/{c}/catalogue/{item.id}", {"title": "专利运营咨询服务", "duty_4": "on"})
    assert changed.status_code == 303
    session.expire_all()
    item = session.get(ServiceItem, item.id)
    assert (item.title, item.duties, item.published) == ("专利运营咨询服务", [4], True)

    export = client.get(f"/centers/{c}/catalogue.xlsx")
    rows = table(export)
    assert rows[0][:3] == ("服务名称", "服务内容", "对应职责") and rows[1][0] == "专利运营咨询服务"
    assert rows[1][2] == "加快推进专利产业化" and rows[1][5] == "已公布"

    assert post_form(client, f"/centers/{c}/catalogue/{item.id}/delete", {}).status_code == 303
    assert _count(session, ServiceItem) == 0


def test_the_pages_keep_out_the_wrong_people_and_a_revoked_center_is_read_only(client, session, world):
    c = world.center.id
    assert client.get(f"/centers/{c}/catalogue").headers["location"].startswith("/login")
    for username, status in (("staff2", 404), ("chifeng", 404), ("member", 404)):
        login(client, username)
        assert client.get(f"/centers/{c}/catalogue").status_code == status, username
        assert client.get(f"/centers/{c}/funding").status_code == status, username
        refused = post_form(client, f"/centers/{c}/catalogue", {"title": "越权", "duty_1": "on"})
        assert refused.status_code == status, username
    login(client, "baotou")
    page = client.get(f"/centers/{c}/catalogue")
    assert page.status_code == 200 and 'data-testid="service-item-form"' not in page.text, "the bureau only reads"
    assert _count(session, ServiceItem) == 0

    world.center.state = "revoked"
    session.commit()
    login(client, "staff")
    page = client.get(f"/centers/{c}/catalogue")
    assert page.status_code == 200 and 'data-testid="read-only"' in page.text
    assert 'data-testid="service-item-form"' not in page.text
    assert post_form(client, f"/centers/{c}/catalogue", {"title": "新服务", "duty_1": "on"}).status_code == 409
    assert post_form(client, f"/centers/{c}/plans", {"year": "2025"}).status_code == 409
    api = client.post(
        f"/api/v1/centers/{c}/service-items",
        json={"title": "新服务", "duties": [1]},
        headers={"x-csrf-token": csrf_of(client)},
    )
    assert api.status_code == 409 and "只读" in api.json()["detail"]
    assert _count(session, ServiceItem) == 0 and _count(session, WorkPlan) == 0


def test_the_plan_page_creates_tracks_and_exports_a_plan(client, session, world):
    c = world.center.id
    login(client, "staff")
    empty = client.get(f"/centers/{c}/plans/2025")
    assert 'data-testid="no-plan"' in empty.text and 'data-testid="plan-form"' in empty.text
    outside = post_form(client, f"/centers/{c}/plans", {"year": "2030"})
    assert outside.status_code == 422 and "工作计划的年度应在中心建设期内" in outside.text
    assert post_form(client, f"/centers/{c}/plans", {"year": "2025", "summary": "全年计划"}).status_code == 303

    late = post_form(client, f"/centers/{c}/plans/2025/items", {"title": "培训", "duty": "8", "due_on": "2026-01-10"})
    assert late.status_code == 422 and "计划完成日期应在 2025 年内" in late.text
    bad = post_form(client, f"/centers/{c}/plans/2025/items", {"title": "培训", "duty": "x", "due_on": "2025-13-01"})
    assert bad.status_code == 422 and "请输入整数" in bad.text and "日期格式应为 YYYY-MM-DD" in bad.text
    added = post_form(client, f"/centers/{c}/plans/2025/items", {"title": "培训", "duty": "8", "due_on": "2025-06-30"})
    assert added.status_code == 303
    item = session.scalar(select(PlanItem))

    no_outcome = post_form(client, f"/centers/{c}/plans/2025/items/{item.id}/done", {"done_on": "2025-06-28"})
    assert no_outcome.status_code == 422 and "此项为必填" in no_outcome.text
    done = {"done_on": "2025-06-28", "outcome": "培训 80 人次"}
    assert post_form(client, f"/centers/{c}/plans/2025/items/{item.id}/done", done).status_code == 303
    assert post_form(client, f"/centers/{c}/plans/2025/publish", {"published": "true"}).status_code == 303
    page = client.get(f"/centers/{c}/plans/2025")
    assert "已完成 <strong>1</strong> / 1 项" in page.text and "培训 80 人次" in page.text

    rows = table(client.get(f"/centers/{c}/plans/2025.xlsx"))
    assert rows[1][0] == "培训" and rows[1][1] == "知识产权培训与中小企业服务" and rows[1][4] == "已完成"


def test_the_funding_page_records_in_wan_and_totals_per_source(client, session, world):
    c = world.center.id
    login(client, "baotou")
    page = client.get(f"/centers/{c}/funding")
    assert '<option value="league_matching"' in page.text and '<option value="region_fund"' not in page.text
    data = {"title": "包头市配套资金", "year": "2025", "source": "region_fund", "amount_wan": "30"}
    assert post_form(client, f"/centers/{c}/funding", data).status_code == 403
    too_fine = post_form(
        client, f"/centers/{c}/funding", {**data, "source": "league_matching", "amount_wan": "0.00001"}
    )
    assert too_fine.status_code == 422 and "最多保留 4 位小数" in too_fine.text
    assert post_form(client, f"/centers/{c}/funding", {**data, "source": "league_matching"}).status_code == 303
    assert session.scalar(select(FundingProject.amount_yuan)) == 300_000

    login(client, "staff")
    page = client.get(f"/centers/{c}/funding")
    assert page.status_code == 200 and 'data-testid="funding-form"' not in page.text
    assert 'data-source="league_matching">30<' in page.text and 'data-source="all">30<' in page.text
    assert table(client.get(f"/centers/{c}/funding.xlsx"))[1][2:4] == ("盟市配套资金", 30)


def test_the_api_manages_items_plans_and_funding(client, session, world):
    c = world.center.id
    login(client, "staff")
    h = {"x-csrf-token": csrf_of(client)}
    refused = client.post(f"/api/v1/centers/{c}/service-items", json={"title": "咨询", "duties": []}, headers=h)
    assert refused.status_code == 422
    assert "至少选择一项" in refused.json()["errors"][0]["msg"]
    unknown = client.post(f"/api/v1/centers/{c}/service-items", json={"title": "咨询", "duties": [10]}, headers=h)
    assert unknown.status_code == 422 and "职责编号 10 不存在" in unknown.json()["errors"][0]["msg"]
    made = client.post(f"/api/v1/centers/{c}/service-items", json={"title": "咨询", "duties": [2, 1]}, headers=h)
    assert made.status_code == 201 and made.json()["duty_labels"] == ["促进产业知识产权协同发展", "推进产学研深度合作"]
    item_id = made.json()["id"]
    assert client.post(f"/api/v1/centers/{c}/service-items/{item_id}/publish", headers=h).json()["published"]

    assert client.post(f"/api/v1/centers/{c}/plans", json={"year": 2026}, headers=h).status_code == 201
    item = {"title": "导航", "duty": 6, "due_on": "2026-05-01"}
    assert client.post(f"/api/v1/centers/{c}/plans/2026/items", json=item, headers=h).status_code == 201
    assert [i["title"] for i in client.get(f"/api/v1/centers/{c}/plans/2026/items").json()] == ["导航"]
    assert client.post(f"/api/v1/centers/{c}/plans/2026/publish", headers=h).json()["published"] is True
    assert client.get(f"/api/v1/centers/{c}/plans/2027").status_code == 404

    assert (
        client.post(f"/api/v1/centers/{c}/funding", json={**_funding().model_dump(mode="json")}, headers=h).status_code
        == 403
    )
    login(client, "admin")
    h = {"x-csrf-token": csrf_of(client)}
    body = {"title": "自治区专项", "year": 2026, "source": "region_fund", "amount_wan": "100"}
    assert client.post(f"/api/v1/centers/{c}/funding", json=body, headers=h).json()["amount_yuan"] == 1_000_000
    login(client, "staff2")
    assert client.get(f"/api/v1/centers/{c}/funding").status_code == 404
    assert client.get(f"/api/v1/centers/{c}/service-items").status_code == 404


def test_amount_in_wan_shows_without_trailing_zeros():
    from ipoc.catalogue.views import wan

    assert [wan(v) for v in (0, 1, 123_456, 300_000, 1_000_000)] == ["0", "0.0001", "12.3456", "30", "100"]
    assert Decimal(wan(123_456)) * 10_000 == 123_456
