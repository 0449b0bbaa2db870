"""Issue 14 point 6: every XLSX export of the app, listed from its routes (a new one is walked too), is a list an
office can use as is: a title row naming the list, the filter and the export time; a bold frozen header with an
autofilter; column widths; money a number of 万元 with two decimals; dates as dates; counts as integers; text
as text, with no visible quote and no formula. Walked on the full demo, by the region admin and the center's
staff, with the few records the demo lacks (a funding project, a plan, a notice with an objection, a panel)."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from fastapi.routing import APIRoute
from openpyxl import load_workbook
from sqlalchemy import select

from ipoc.applications.schemas import CallIn
from ipoc.applications.service import save_call
from ipoc.auth.roles import ANONYMOUS
from ipoc.db import session_scope
from ipoc.events.models import TechEvent
from ipoc.notices import service as notices
from ipoc.ops.demo_lifecycle import demo_principal
from ipoc.reviews import service as reviews
from ipoc.stock.models import StockBatch
from ipoc.transfer.models import Demand, Offer
from ipoc.web.export import MONEY_FORMAT, Sheet, Wan, xlsx_bytes
from ipoc.workdays.service import save_day
from tests.conftest import login
from tests.exported import assert_office_ready, table, title
from tests.worlds.notices import FRI, World, _objection, _published, _shortlisted
from tests.worlds.reviews import _panel, _score, make_world

NAMES = {
    "/admin/users.xlsx": "用户",
    "/orgs.xlsx": "单位名录",
    "/calls.xlsx": "申报批次",
    "/applications.xlsx": "申报材料",
    "/reviews/panels.xlsx": "评审组",
    "/reviews/panels/{panel_id}/results.xlsx": "评审结果",
    "/notices.xlsx": "公示",
    "/notices/{notice_id}/objections.xlsx": "公示异议",
    "/centers.xlsx": "运营中心",
    "/centers/national.xlsx": "国家级推荐名单",
    "/centers/{center_id}/catalogue.xlsx": "公共服务目录",
    "/centers/{center_id}/plans/{year}.xlsx": "年度工作计划",
    "/centers/{center_id}/funding.xlsx": "资金项目",
    "/demands/export": "技术需求",
    "/offers/export": "技术供给",
    "/inbox.xlsx": "对接工作台",
    "/demands/{demand_id}/matches/export": "匹配结果",
    "/offers/{offer_id}/matches/export": "匹配结果",
    "/contacts/export": "对接记录",
    "/deals/export": "技术合同",
    "/events/export": "对接活动",
    "/events/{event_id}/signups/export": "参会名单",
    "/stock/{batch_id}/report.xlsx": "存量专利盘点",
    "/admin/calendar/{year}.xlsx": "工作日历调整",
    "/reminders.xlsx": "待办事项",
}


def _walk(routes, prefix: str = ""):
    """app.routes, into the included routers."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif (inner := getattr(route, "original_router", None)) is not None:
            yield from _walk(inner.routes, prefix + route.include_context.prefix)


def export_routes(app) -> list[str]:
    return sorted(
        path for path, route in _walk(app.routes) if "GET" in route.methods and path.endswith((".xlsx", "/export"))
    )


def test_the_cell_writer_types_money_dates_and_text():
    rows = [["=1+1", Wan(1_234_567), date(2026, 1, 2), 3, "-40℃低温储能"], ["+86 471", None, None, 0, "#N/A"]]
    headers = ["名称", "金额（万元）", "签订日期", "件数", "说明"]
    content, count = xlsx_bytes([Sheet("专利交易台账", headers, rows, {"状态": "已签约", "年度": None})])
    assert count == 2
    sheet = load_workbook(io.BytesIO(content)).active
    assert re.fullmatch(
        r"专利交易台账（筛选：状态=已签约；导出时间：\d{4}-\d\d-\d\d \d\d:\d\d 北京时间）", sheet["A1"].value
    )
    formula = sheet["A3"]
    assert formula.value == "=1+1" and formula.data_type == "s", "kept as the literal text, never a formula"
    assert sheet["B3"].value == 123.4567 and sheet["B3"].number_format == MONEY_FORMAT
    assert sheet["C3"].is_date and sheet["D3"].value == 3 and sheet["D3"].number_format == "0"
    assert sheet["E3"].value == "-40℃低温储能" and sheet["A4"].value == "+86 471" and sheet["E4"].value == "#N/A"
    assert sheet["E4"].data_type == "s", "text, not an error value"
    assert sheet["A1"].font.b and [r.coord for r in sheet.merged_cells.ranges] == ["A1:E1"]
    assert sheet.column_dimensions["E"].width >= len("-40℃低温储能") + 4, "CJK characters count two"
    assert_office_ready(content, "专利交易台账")


@pytest.fixture
def ids(full_demo) -> dict[str, int]:
    """The full demo, plus what it lacks: a published notice with an objection, a closed review panel with a
    score, a calendar day."""
    with session_scope() as session:
        admin = demo_principal(session, "admin")
        window = CallIn(year=2025, title="2025年度申报", opens_on=date(2025, 6, 1), closes_on=date(2025, 8, 31))
        call = save_call(session, admin, window)
        apps = [_shortlisted(session, call, admin, "包头导出测试有限公司", "稀土新材料")]
        notice = _published(session, World(admin, demo_principal(session, "baotou"), call, apps), FRI)
        notices.file_objection(session, ANONYMOUS, notice.id, _objection(apps[0]), today=FRI)
        scored = make_world(session, n_experts=1, n_dossiers=1)
        panel = _panel(session, scored)
        _score(session, scored.experts[0], panel, scored.dossiers[0].id, 80)
        reviews.close_panel(session, scored.admin, panel.id)
        save_day(session, admin, date(2026, 10, 10), "workday", "国庆节调休")
        session.commit()
        return {
            "notice_id": notice.id,
            "panel_id": panel.id,
            "center_id": demo_principal(session, "center").center_id,
            "demand_id": session.scalar(select(Demand.id).order_by(Demand.id).limit(1)),
            "offer_id": session.scalar(select(Offer.id).order_by(Offer.id).limit(1)),
            "event_id": session.scalar(select(TechEvent.id).order_by(TechEvent.id).limit(1)),
            "batch_id": session.scalar(select(StockBatch.id).order_by(StockBatch.id).limit(1)),
        }


def test_every_xlsx_export_is_office_ready(app, client, ids):
    routes = export_routes(app)
    assert set(routes) == set(NAMES), "a new export needs its list's name here (and is then walked)"
    walked = []
    for path in routes:
        url = path.format(year=2026, **ids)
        for username in ("admin", "center"):
            login(client, username)
            response = client.get(url)
            if response.status_code == 200:
                break
        assert response.status_code == 200, (url, response.status_code)
        assert_office_ready(response, NAMES[path])
        walked.append(url)
    assert len(walked) == len(NAMES) == 25

    login(client, "admin")
    deals = client.get("/deals/export?stage=signed&year=2026")
    assert "筛选：阶段=合同签订，签订年度=2026；导出时间：" in title(deals)
    header, *rows = table(deals)
    amounts = [r[header.index("合同金额（万元）")] for r in rows]
    assert amounts and all(isinstance(a, int | float) for a in amounts), "money is a number: SUM works"
    assert_office_ready(deals, "技术合同")
