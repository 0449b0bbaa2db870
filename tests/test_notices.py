"""Public notice of the proposed list (Art. 7(3)): the window on the working-day calendar, publishing,
objections during the window only, recognition after it; the public page, its documents and the API.

Rules are tested through the service with ``today`` pinned; pages and the API over HTTP with windows
placed around the real current date.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ipoc import clock
from ipoc.applications.models import Application, ApplicationEvent, Call
from ipoc.auth import service as accounts
from ipoc.auth.models import User
from ipoc.auth.roles import ANONYMOUS, Role
from ipoc.centers.models import Center
from ipoc.config import get_settings
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.lifecycle import recognition
from ipoc.notices import documents as notice_documents
from ipoc.notices import service as notices
from ipoc.notices.models import Objection, PublicNotice
from tests.conftest import login, make_user, post_form
from tests.worlds.notices import (
    CONTACT,
    FILER_CONTACT,
    FRI,
    World,
    _cover,
    _draft,
    _fields,
    _objection,
    _published,
    _shortlisted,
    make_world,
)

WORLD = make_world  # the conftest's `world`


def _events(session, app: Application, action: str) -> list[ApplicationEvent]:
    stmt = select(ApplicationEvent).where(ApplicationEvent.application_id == app.id, ApplicationEvent.action == action)
    return list(session.scalars(stmt))


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


# --- the window ----------------------------------------------------------------------------------------


def test_window_dates_follow_the_holiday_calendar_and_the_first_day_setting(session, world, monkeypatch):
    notice = _draft(session, world, FRI)
    assert notice.ends_on == date(2025, 10, 9), "Fri 26, Sun 28 (make-up), Mon 29, Tue 30, then Thu 9 Oct"
    assert notice.window_label == "2025年9月26日至2025年10月9日（5个工作日）"
    assert "2025年9月26日至2025年10月9日（5个工作日）" in notice.body
    assert notices.proposed_name(world.apps[0]) in notice.body and "包头稀土研究院有限公司" in notice.body
    assert notice.title == "关于2025年度内蒙古自治区产业知识产权运营中心拟认定名单的公示"

    monkeypatch.setattr(get_settings(), "notice_first_day", "excluded")
    ids = [a.id for a in world.apps]
    notices.update_notice(session, world.admin, notice.id, _fields(FRI), ids, today=FRI)
    assert (notice.ends_on, notice.first_day) == (date(2025, 10, 10), "excluded"), "Sat 11 Oct 2025 is worked too"

    monkeypatch.setattr(get_settings(), "notice_first_day", "counts")
    notices.update_notice(session, world.admin, notice.id, _fields(date(2026, 9, 29)), ids, today=FRI)
    assert notice.ends_on == date(2026, 10, 10), "29, 30 Sep, 8, 9 Oct, and the make-up Saturday 10 Oct 2026"


def test_a_start_in_a_year_without_calendar_data_is_refused_on_the_start_date(session, world):
    with pytest.raises(InvalidInput) as refused:
        _draft(session, world, date(2027, 3, 1), today=date(2026, 11, 24))
    assert refused.value.field == "starts_on" and "2027" in refused.value.message
    assert "ipoc workdays load" in refused.value.message
    session.rollback()
    assert _count(session, PublicNotice) == 0
    assert all(session.get(Application, a.id).notice_id is None for a in world.apps)


def test_a_start_in_the_past_is_refused(session, world):
    with pytest.raises(InvalidInput) as refused:
        _draft(session, world, FRI, today=FRI + timedelta(days=1))
    assert refused.value.field == "starts_on"


# --- publishing ----------------------------------------------------------------------------------------


def test_a_dossier_is_on_one_notice_at_a_time_and_publishing_puts_it_on_notice(session, world):
    notice = _draft(session, world, FRI)
    assert all(a.state == "shortlisted" for a in world.apps), "a draft changes no dossier's state"
    with pytest.raises(NotFound):
        notices.get_notice(session, world.bureau, notice.id)
    with pytest.raises(InvalidInput) as refused:
        notices.create_notice(session, world.admin, world.call.id, _fields(FRI), [world.apps[0].id], today=FRI)
    assert refused.value.field == "application_ids"
    with pytest.raises(Forbidden):
        recognition.publish(session, world.bureau, notice.id, today=FRI)

    recognition.publish(session, world.admin, notice.id, today=FRI)
    assert notice.published_at is not None and notice.published_by_id == world.admin.user_id
    for app in world.apps:
        assert (app.state, app.notice_id) == ("public_notice", notice.id)
        assert len(_events(session, app, "publish")) == 1
    with pytest.raises(Conflict):
        notices.update_notice(session, world.admin, notice.id, _fields(FRI), [world.apps[0].id], today=FRI)


def test_a_deleted_draft_frees_its_dossiers(session, world):
    notice = _draft(session, world, FRI)
    notices.delete_draft(session, world.admin, notice.id)
    assert _count(session, PublicNotice) == 0 and all(a.notice_id is None for a in world.apps)
    again = _draft(session, world, FRI)
    assert {a.id for a in notices.entries(session, again)} == {a.id for a in world.apps}


# --- objections ----------------------------------------------------------------------------------------


def test_objections_are_received_during_the_window_only(session, world):
    notice = _published(session, world, FRI)
    app = world.apps[0]
    for outside in (FRI - timedelta(days=1), date(2025, 10, 10)):
        with pytest.raises(Conflict, match="公示期为2025年9月26日至2025年10月9日，当前不在公示期内"):
            notices.file_objection(session, ANONYMOUS, notice.id, _objection(app), today=outside)
    session.rollback()
    assert _count(session, Objection) == 0 and session.get(Application, app.id).state == "public_notice"

    last_day = date(2025, 10, 9)
    filed = notices.file_objection(session, ANONYMOUS, notice.id, _objection(app), today=last_day)
    assert filed.status == "open" and filed.receipt_no
    assert app.state == "objection_handling"
    [event] = _events(session, app, "object")
    assert (event.reason, event.actor_label) == ("收到异议", "社会公众")

    notices.file_objection(session, ANONYMOUS, notice.id, _objection(app, "第二条异议"), today=FRI)
    assert _count(session, Objection) == 2 and len(_events(session, app, "object")) == 1
    assert world.apps[1].state == "public_notice", "only the dossier objected to changes"


def test_a_logged_in_objector_is_not_named_on_the_dossier_timeline(session, world):
    """The applicant, its bureau and the experts read the timeline; the filer is the region admin's to know."""
    notice = _published(session, world, FRI)
    rival = accounts.principal_for(session, make_user(session, "rival", Role.EXPERT))
    notices.file_objection(session, rival, notice.id, _objection(world.apps[0]), today=FRI)
    [event] = _events(session, world.apps[0], "object")
    assert (event.actor_id, event.actor_label) == (None, "社会公众")


# --- recognition ---------------------------------------------------------------------------------------


def test_recognition_waits_for_the_window_and_for_open_objections(session, world):
    notice = _published(session, world, FRI)
    clean, objected = world.apps
    notices.file_objection(session, ANONYMOUS, notice.id, _objection(objected), today=FRI)
    with pytest.raises(Conflict, match="公示期至2025年10月9日，期满后方可认定"):
        recognition.recognise(session, world.admin, clean.id, today=date(2025, 10, 9))
    with pytest.raises(Forbidden):
        recognition.recognise(session, world.bureau, clean.id, today=date(2025, 10, 10))
    with pytest.raises(Conflict, match="异议未处理"):
        recognition.recognise(session, world.admin, objected.id, today=date(2025, 10, 10))
    assert _count(session, Center) == 0 and clean.state == "public_notice"

    center = recognition.recognise(session, world.admin, clean.id, today=date(2025, 10, 10))
    assert center.name == "内蒙古自治区稀土新材料知识产权运营中心" and center.application_id == clean.id
    assert center.recognised_on == date(2025, 10, 10) and clean.state == "recognized"
    [event] = _events(session, clean, "recognize")
    assert event.reason == "公示期满无异议，正式认定"

    [objection] = session.scalars(select(Objection))
    with pytest.raises(InvalidInput):
        notices.resolve_objection(session, world.admin, objection.id, "dismissed", "  ")
    notices.resolve_objection(session, world.admin, objection.id, "dismissed", "经核实，该单位办公场所符合要求")
    with pytest.raises(Conflict):
        notices.resolve_objection(session, world.admin, objection.id, "upheld", "再次处理")
    recognition.recognise(session, world.admin, objected.id, today=date(2025, 10, 10))
    assert objected.state == "recognized"
    assert _events(session, objected, "recognize")[0].reason == (
        f"公示期间收到异议1件，经核查，{objection.receipt_no}号异议不成立，正式认定"
    )


def test_an_upheld_objection_rejects_the_dossier(session, world):
    notice = _published(session, world, FRI)
    app = world.apps[0]
    objection = notices.file_objection(session, ANONYMOUS, notice.id, _objection(app), today=FRI)
    with pytest.raises(Forbidden):
        notices.resolve_objection(session, world.bureau, objection.id, "upheld", "情况属实")
    notices.resolve_objection(session, world.admin, objection.id, "upheld", "经核实，该单位无固定办公场所")
    assert app.state == "rejected" and objection.status == "upheld"
    assert _events(session, app, "reject_objection")[0].reason == "经核实，该单位无固定办公场所"
    with pytest.raises(Conflict):
        recognition.recognise(session, world.admin, app.id, today=date(2025, 10, 10))
    assert _count(session, Center) == 0


def test_recognising_a_whole_notice_reports_each_skipped_dossier(session, world):
    twin = _shortlisted(session, world.call, world.admin, "包头第二稀土有限公司", "稀土新材料")
    world.apps.append(twin)
    notice = _published(session, world, FRI)
    objected = world.apps[1]
    notices.file_objection(session, ANONYMOUS, notice.id, _objection(objected), today=FRI)

    report = recognition.recognise_all(session, world.admin, notice.id, today=date(2025, 10, 10))
    assert [a.id for a, _center in report.recognised] == [world.apps[0].id]
    skipped = dict((a.id, why) for a, why in report.skipped)
    assert "异议未处理" in skipped[objected.id]
    assert "已被其他运营中心使用" in skipped[twin.id], "the same industry gives the same name"
    assert (objected.state, twin.state) == ("objection_handling", "public_notice")
    assert _count(session, Center) == 1


# --- pages, documents and the API ----------------------------------------------------------------------


def _live(session, w: World) -> PublicNotice:
    """A notice published today, so that its window contains the real current date."""
    _cover(session, clock.today().year)
    _cover(session, (clock.today() + timedelta(days=14)).year)
    return _published(session, w, clock.today())


def test_anyone_objects_on_the_page_and_the_filer_stays_private(client, session, world):
    notice = _live(session, world)
    listing = client.get("/notices")
    assert notice.title in listing.text
    page = client.get(f"/notices/{notice.id}")
    assert page.status_code == 200 and notice.window_label in page.text
    assert "内蒙古自治区风电装备知识产权运营中心" in page.text and 'data-testid="objection-form"' in page.text

    app = world.apps[1]
    data = {"application_id": str(app.id), "filer_name": "王五", "filer_contact": FILER_CONTACT, "content": "短"}
    refused = post_form(client, f"/notices/{notice.id}/objections", data)
    assert refused.status_code == 422 and 'data-field="content"' in refused.text
    filed = post_form(client, f"/notices/{notice.id}/objections", {**data, "content": "该单位研发人员不足，材料不实"})
    assert filed.status_code == 200
    objection = session.scalar(select(Objection))
    assert objection.receipt_no in filed.text
    session.refresh(app)
    assert app.state == "objection_handling"

    for text in (client.get(f"/notices/{notice.id}").text, client.get(f"/api/v1/notices/{notice.id}").text):
        assert FILER_CONTACT not in text and "材料不实" not in text
    login(client, "region")
    admin_page = client.get(f"/notices/{notice.id}").text
    assert FILER_CONTACT in admin_page and "材料不实" in admin_page


def test_an_objection_after_the_window_is_refused_over_http(client, session, world):
    notice = _published(session, world, FRI)
    data = {"application_id": str(world.apps[0].id), "filer_name": "王五", "filer_contact": FILER_CONTACT}
    page = client.get(f"/notices/{notice.id}").text
    assert 'data-testid="objection-closed"' in page and 'data-testid="objection-form"' not in page
    refused = post_form(client, f"/notices/{notice.id}/objections", {**data, "content": "公示期满后提出的异议"})
    assert refused.status_code == 422 and "当前不在公示期内" in refused.text
    assert _count(session, Objection) == 0


def test_a_draft_is_found_by_the_region_admin_only(client, session, world):
    notice = _draft(session, world, date(2026, 9, 29), today=date(2026, 9, 29))
    session.commit()
    for path in (f"/notices/{notice.id}", f"/notices/{notice.id}.pdf", f"/api/v1/notices/{notice.id}"):
        assert client.get(path).status_code == 404
    assert notice.title not in client.get("/notices").text
    login(client, "baotou")
    assert client.get(f"/notices/{notice.id}").status_code == 404
    login(client, "region")
    page = client.get(f"/notices/{notice.id}")
    assert page.status_code == 200 and 'data-testid="notice-draft"' in page.text


def test_the_notice_downloads_as_pdf_and_docx(client, session, world):
    notice = _published(session, world, FRI)
    pdf = client.get(f"/notices/{notice.id}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment;")
    docx = client.get(f"/notices/{notice.id}.docx")
    assert docx.status_code == 200 and docx.content.startswith(b"PK")
    assert (
        docx.headers["content-disposition"].startswith("attachment;")
        and "filename*=UTF-8''" in docx.headers["content-disposition"]
    )
    doc = notice_documents.notice_document(session, notice.id)
    table = next(s.table for s in doc.annexes if s.table)  # the list is the notice's 附件
    assert table.headers == ["序号", "拟认定名称", "建设主体", "所属产业", "所在盟市"]
    assert table.rows[0][:3] == ["1", "内蒙古自治区稀土新材料知识产权运营中心", "包头稀土研究院有限公司"]
    assert table.rows[0][4] == "包头市" and doc.date_line == "2025年9月26日"


def test_the_recognition_decision_says_how_each_objection_was_decided(client, session, world):
    """Art. 7(3): the public decision states the objections received and each one's outcome by receipt
    number (not the filer or the content); one without objections says so."""
    notice = _published(session, world, FRI)
    clean, objected = world.apps
    first, second = (
        notices.file_objection(session, ANONYMOUS, notice.id, _objection(objected, why), today=FRI)
        for why in ("该单位不具备固定办公场所", "该单位专职人员不足五人")
    )
    for objection in (first, second):
        notices.resolve_objection(session, world.admin, objection.id, "dismissed", "经核实，异议不成立")
    recognised = recognition.recognise_all(session, world.admin, notice.id, today=date(2025, 10, 10)).recognised
    session.commit()
    centers = {app.id: center for app, center in recognised}

    def decision(app: Application) -> str:
        response = client.get(f"/centers/{centers[app.id].id}/decision.docx")
        assert response.status_code == 200
        return zipfile.ZipFile(io.BytesIO(response.content)).read("word/document.xml").decode()

    said = decision(objected)
    assert (
        f"并于2025年9月26日至2025年10月9日（5个工作日）向社会公示，公示期间收到异议2件，经核查，"
        f"{first.receipt_no}号异议不成立；{second.receipt_no}号异议不成立。决定认定包头风电装备集团有限公司"
    ) in said
    assert "公示期满无异议" not in said and "王五" not in said and "固定办公场所" not in said
    assert "向社会公示，公示期满无异议。决定认定包头稀土研究院有限公司" in decision(clean)


def _past_world(session, w: World) -> World:
    """Another call's dossier, for a notice whose window is long over."""
    call = Call(year=2024, title="2024年度申报", opens_on=date(2024, 6, 1), closes_on=date(2024, 8, 31))
    session.add(call)
    session.flush()
    app = _shortlisted(session, call, w.admin, "呼和浩特乳业集团有限公司", "乳业")
    session.commit()
    return World(w.admin, w.bureau, call, [app])


def test_the_admin_drafts_publishes_and_recognises_on_the_pages(client, session, world):
    _cover(session, clock.today().year)
    login(client, "region")
    form = client.get(f"/notices/new?call_id={world.call.id}")
    assert form.status_code == 200 and f'value="{world.apps[0].id}"' in form.text
    data = {"starts_on": date(clock.today().year + 6, 3, 1).isoformat(), "contact": CONTACT}
    data["application_ids"] = [str(a.id) for a in world.apps]
    refused = post_form(client, f"/notices/new?call_id={world.call.id}", data)
    assert (
        refused.status_code == 422 and "工作日历尚未载入" in refused.text and 'data-field="starts_on"' in refused.text
    )
    assert _count(session, PublicNotice) == 0

    created = post_form(
        client, f"/notices/new?call_id={world.call.id}", {**data, "starts_on": clock.today().isoformat()}
    )
    assert created.status_code == 303
    notice_id = int(created.headers["location"].rsplit("/", 1)[1])
    assert post_form(client, f"/notices/{notice_id}/publish", {}).status_code == 303
    session.expire_all()
    assert all(session.get(Application, a.id).state == "public_notice" for a in world.apps)

    early = post_form(client, f"/notices/{notice_id}/recognise/{world.apps[0].id}", {})
    assert early.status_code == 409 and "期满后方可认定" in early.text
    session.expire_all()
    assert _count(session, Center) == 0

    past = _published(session, _past_world(session, world), FRI)
    done = post_form(client, f"/notices/{past.id}/recognise", {})
    assert done.status_code == 200 and 'data-testid="recognition-report"' in done.text
    session.expire_all()
    assert _count(session, Center) == 1


def test_the_api_serves_the_public_and_the_region_admin(app, session, world):
    _cover(session, clock.today().year)
    _cover(session, (clock.today() + timedelta(days=14)).year)
    admin_user = session.get(User, world.admin.user_id)
    _token, plaintext = accounts.create_token(session, admin_user, "test")
    bureau_user = session.get(User, world.bureau.user_id)
    _token2, bureau_plain = accounts.create_token(session, bureau_user, "test")
    session.commit()
    admin = {"Authorization": f"Bearer {plaintext}"}
    with TestClient(app) as http:
        body = {"call_id": world.call.id, "application_ids": [a.id for a in world.apps], "contact": CONTACT}
        assert http.post("/api/v1/notices", json=body).status_code == 401
        created = http.post("/api/v1/notices", json=body, headers=admin)
        assert created.status_code == 201 and created.json()["published_at"] is None
        notice_id = created.json()["id"]
        assert http.get(f"/api/v1/notices/{notice_id}").status_code == 404
        assert http.post(f"/api/v1/notices/{notice_id}/publish", headers=admin).status_code == 200

        public = http.get(f"/api/v1/notices/{notice_id}").json()
        assert public["open_for_objections"] and "objections" not in public
        assert public["entries"][0]["proposed_name"] == "内蒙古自治区稀土新材料知识产权运营中心"
        assert [n["id"] for n in http.get("/api/v1/notices").json()] == [notice_id]

        objection = {"application_id": world.apps[0].id, "filer_name": "王五", "filer_contact": FILER_CONTACT}
        objection["content"] = "该单位人员不足"
        receipt = http.post(f"/api/v1/notices/{notice_id}/objections", json=objection)
        assert receipt.status_code == 201 and "filer_contact" not in receipt.json() and receipt.json()["receipt_no"]

        after = http.get(f"/api/v1/notices/{notice_id}").json()["entries"]
        assert {(e["state"], e["state_label"]) for e in after} == {(None, None)}, "an objection is not public"
        as_admin = http.get(f"/api/v1/notices/{notice_id}", headers=admin).json()
        assert as_admin["entries"][0]["state"] == "objection_handling"
        [listed] = as_admin["objections"]
        assert listed["filer_contact"] == FILER_CONTACT
        resolve = {"outcome": "upheld", "resolution": "情况属实"}
        bureau = {"Authorization": f"Bearer {bureau_plain}"}
        assert http.post(f"/api/v1/objections/{listed['id']}/resolve", json=resolve, headers=bureau).status_code == 403
        assert http.post(f"/api/v1/objections/{listed['id']}/resolve", json=resolve, headers=admin).status_code == 200
        path = f"/api/v1/notices/{notice_id}/recognise/{world.apps[1].id}"
        assert http.post(path, headers=bureau).status_code == 403
        early = http.post(path, headers=admin)
        assert early.status_code == 409 and "期满后方可认定" in early.json()["detail"]
    session.expire_all()
    assert session.get(Application, world.apps[0].id).state == "rejected"
