"""Export of the remaining lists to XLSX (issue 4 point 12): each export holds exactly the rows the caller
sees on the page, the objections (with the filers' contacts) are the region admin's only, and every
export is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from ipoc import clock
from ipoc.applications.schemas import CallIn
from ipoc.applications.service import save_call
from ipoc.audit.models import AuditRecord
from ipoc.auth.roles import ANONYMOUS, Principal, Role
from ipoc.auth.service import principal_for
from ipoc.notices import service as notices
from ipoc.notices.models import PublicNotice
from ipoc.notices.schemas import NoticeFields
from ipoc.reminders.service import due_items
from ipoc.reviews import service as reviews
from ipoc.reviews.schemas import PanelIn, SheetIn
from ipoc.workdays.service import save_day
from tests.conftest import login, make_user
from tests.exported import table
from tests.worlds.notices import CONTACT, FILER_CONTACT, FRI, World, _objection, _published, _shortlisted
from tests.worlds.reviews import ONE_INDICATOR


@dataclass
class Lists:
    admin: Principal
    notice: PublicNotice
    draft: PublicNotice


@pytest.fixture
def lists(session) -> Lists:
    """A past and a future call, a published notice with an objection, a draft notice, a panel, a day."""
    admin = principal_for(session, make_user(session, "region", Role.REGION_ADMIN))
    bureau = principal_for(session, make_user(session, "baotou", Role.BUREAU_OFFICER, "包头市"))
    make_user(session, "expert", Role.EXPERT)
    call = save_call(
        session, admin, CallIn(year=2025, title="2025年度申报", opens_on=date(2025, 6, 1), closes_on=date(2025, 8, 31))
    )
    later = clock.today() + timedelta(days=30)
    save_call(session, admin, CallIn(year=later.year, title="下一批次", opens_on=later, closes_on=later))
    apps = [
        _shortlisted(session, call, admin, "包头稀土研究院有限公司", "稀土新材料"),
        _shortlisted(session, call, admin, "包头风电装备集团有限公司", "风电装备"),
    ]
    extra = _shortlisted(session, call, admin, "包头乳业有限公司", "乳业")
    notice = _published(session, World(admin, bureau, call, apps), FRI)
    notices.file_objection(session, ANONYMOUS, notice.id, _objection(apps[0]), today=FRI)
    start = date(2025, 10, 20)
    fields = NoticeFields(starts_on=start, contact=CONTACT)
    draft = notices.create_notice(session, admin, call.id, fields, [extra.id], today=start)
    sheet = reviews.create_sheet(
        session, admin, SheetIn(name="综合评分表", kind="recognition", indicators=ONE_INDICATOR)
    )
    reviews.create_panel(
        session, admin, PanelIn(kind="recognition", name="认定评审组", call_id=call.id, sheet_id=sheet.id)
    )
    save_day(session, admin, date(2025, 10, 11), "workday", "国庆节调休")
    session.commit()
    return Lists(admin, notice, draft)


def _rows(response) -> list[list]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    return [list(r) for r in table(response)]


def _day(d: date) -> datetime:
    """How a date cell reads back from the workbook."""
    return datetime.combine(d, time())


def _exports(session, entity_type: str) -> list[AuditRecord]:
    stmt = select(AuditRecord).where(AuditRecord.action == "export", AuditRecord.entity_type == entity_type)
    return list(session.scalars(stmt))


def test_calls_export_shows_a_future_call_to_the_region_admin_only(client, session, lists):
    login(client, "baotou")
    assert 'href="/calls.xlsx"' in client.get("/calls").text
    rows = _rows(client.get("/calls.xlsx"))
    assert rows[0] == ["年度", "批次", "申报开始日期", "申报截止日期", "状态", "说明"]
    assert [r[1] for r in rows[1:]] == ["2025年度申报"] and rows[1][4] == "已截止"
    login(client, "region")
    assert {r[1]: r[4] for r in _rows(client.get("/calls.xlsx"))[1:]} == {
        "2025年度申报": "已截止",
        "下一批次": "未发布",
    }
    first, second = sorted(_exports(session, "calls"), key=lambda r: r.id)
    assert '"rows":1' in first.meta_json and '"rows":2' in second.meta_json


def test_notices_export_is_public_and_shows_drafts_to_the_region_admin_only(client, session, lists):
    public = _rows(client.get("/notices.xlsx"))
    assert public[0][0] == "标题" and [r[4] for r in public[1:]] == ["已发布"]
    assert public[1][1:4] == [_day(lists.notice.starts_on), _day(lists.notice.ends_on), 5]
    assert FILER_CONTACT not in str(public), "the public list never carries a filer's contact"
    assert 'href="/notices.xlsx"' in client.get("/notices").text
    login(client, "region")
    assert sorted(r[4] for r in _rows(client.get("/notices.xlsx"))[1:]) == ["已发布", "草稿"]
    assert len(_exports(session, "public_notices")) == 2


def test_objections_export_is_the_region_admins_only_and_carries_the_filer_contact(client, session, lists):
    url = f"/notices/{lists.notice.id}/objections.xlsx"
    assert client.get(url).status_code == 403
    assert client.get(f"/notices/{lists.draft.id}/objections.xlsx").status_code == 404
    login(client, "baotou")
    assert client.get(url).status_code == 403
    assert client.get(f"/notices/{lists.draft.id}/objections.xlsx").status_code == 404
    assert _exports(session, "objections") == [], "a refused export leaves no export record"

    login(client, "region")
    assert f'href="{url}"' in client.get(f"/notices/{lists.notice.id}").text
    rows = _rows(client.get(url))
    assert rows[0][:4] == ["回执编号", "异议对象", "异议人", "联系方式"] and len(rows) == 2
    assert rows[1][2:4] == ["王五", FILER_CONTACT] and rows[1][6] == "待处理"
    assert rows[1][1] == notices.proposed_name(notices.entries(session, lists.notice)[0])
    [record] = _exports(session, "objections")
    assert '"rows":1' in record.meta_json and record.actor_id == lists.admin.user_id


def test_reminders_export_is_the_callers_due_list(client, session, lists):
    login(client, "region")
    assert 'href="/reminders.xlsx"' in client.get("/reminders").text
    rows = _rows(client.get("/reminders.xlsx"))
    expected = due_items(session, lists.admin)
    assert rows[0] == ["类别", "事项", "截止日期", "剩余天数", "是否逾期"]
    assert [r[1] for r in rows[1:]] == [d.title for d in expected]
    ended = next(r for r in rows[1:] if r[1].startswith("公示期已满"))
    assert ended[2] == _day(lists.notice.ends_on) and ended[4] == "是"
    assert len(_exports(session, "due_items")) == 1


def test_panels_export_is_the_region_admins_list(client, session, lists):
    login(client, "expert")
    assert client.get("/reviews/panels.xlsx").status_code == 403
    login(client, "region")
    assert 'href="/reviews/panels.xlsx"' in client.get("/reviews").text
    rows = _rows(client.get("/reviews/panels.xlsx"))
    assert rows[0][0] == "评审组"
    assert rows[1][:2] + rows[1][3:] == ["认定评审组", "认定评审", "综合评分表", 1, 0, "评审中"]
    assert len(rows) == 2 and len(_exports(session, "panels")) == 1


def test_calendar_export_lists_a_years_overrides_for_the_region_admin(client, session, lists):
    login(client, "baotou")
    assert client.get("/admin/calendar/2025.xlsx").status_code == 403
    login(client, "region")
    assert 'href="/admin/calendar/2025.xlsx"' in client.get("/admin/calendar?year=2025").text
    rows = _rows(client.get("/admin/calendar/2025.xlsx"))
    assert rows == [["日期", "星期", "类型", "备注"], [_day(date(2025, 10, 11)), "星期六", "调休上班", "国庆节调休"]]
    assert _rows(client.get("/admin/calendar/2024.xlsx")) == [["日期", "星期", "类型", "备注"]]
    assert client.get("/admin/calendar/1800.xlsx").status_code == 422
    assert len(_exports(session, "calendar_days")) == 2
