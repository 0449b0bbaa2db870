"""Recognised centers: naming (Art. 8), no sub-centers (Art. 13), the construction period, revocation with
evidence (Arts. 11, 18) and its read-only aftermath, the national list (Art. 14), who sees what, and the
recognition decision as PDF/DOCX."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from openpyxl import load_workbook
from pydantic import ValidationError
from sqlalchemy import func, select

from ipoc.auth.roles import ANONYMOUS, Role
from ipoc.centers import service as centers
from ipoc.centers.models import (
    Center,
    PerformanceEvaluation,
    Rectification,
    Revocation,
    SelfEvaluation,
)
from ipoc.centers.schemas import CenterRegistration, EvaluationIn, SelfEvaluationIn
from ipoc.deals.models import Deal
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.files import service as files
from ipoc.files.models import Attachment
from ipoc.lifecycle import cycle, ranking
from ipoc.money import wan
from ipoc.uploads import Upload
from tests.conftest import login, make_user, post_form, token
from tests.factories import PDF, application, industry, org_named, recognised_center, revoke, who

SUB_CENTER = "运营中心不得自行设立分中心（第十三条）"


# --- naming and creation (Arts. 8, 13) ------------------------------------------------------------------


def test_the_name_comes_from_the_naming_term_and_the_dossier(session):
    app = application(session, term="新能源", route="direct")
    center = centers.create_from_application(session, app, date(2026, 3, 2))
    assert industry(session, "新能源").name == "新能源（风光氢储）", "display name differs from the naming term"
    assert center.name == "内蒙古自治区新能源知识产权运营中心"
    assert (center.builder_org_id, center.region_id, center.industry_id) == (app.org_id, app.region_id, app.industry_id)
    assert center.application_id == app.id and center.direct and center.state == "recognized"


def test_a_name_in_use_conflicts_until_its_center_is_revoked(session):
    first = recognised_center(session)
    with pytest.raises(Conflict):
        recognised_center(session, org_name="另一家新能源企业")
    session.rollback()
    admin = who(session, "admin1", Role.REGION_ADMIN)
    revoke(session, admin, first)
    session.commit()
    second = recognised_center(session, org_name="另一家新能源企业")
    assert second.name == first.name and first.state == "revoked" and second.state == "recognized"


def test_sub_centers_are_refused_by_name_and_by_parent(session):
    with pytest.raises(InvalidInput, match="第十三条"):
        centers.check_center_name(session, "内蒙古自治区新能源知识产权运营中心包头分中心")
    base = {"industry_id": 1, "builder_org_id": 1, "region_id": 1, "recognised_on": "2024-05-01"}
    for key in ("parent_center_id", "parent"):
        with pytest.raises(ValidationError, match=SUB_CENTER):
            CenterRegistration.model_validate({**base, key: 1})
    with pytest.raises(ValidationError, match="extra"):
        CenterRegistration.model_validate({**base, "whatever": 1})


def test_manual_registration_refuses_sub_centers_and_changes_nothing(client, session):
    admin = token(session, "admin1", Role.REGION_ADMIN)
    builder = org_named(session, "包头测试新能源有限公司")
    session.commit()
    body = {
        "industry_id": industry(session, "稀土新材料").id,
        "builder_org_id": builder.id,
        "region_id": builder.region_id,
        "recognised_on": "2024-05-01",
    }
    refused = client.post("/api/v1/centers", json={**body, "parent_center_id": 1}, headers=admin)
    assert refused.status_code == 422 and SUB_CENTER in refused.text
    named = {**body, "name": "内蒙古自治区稀土新材料知识产权运营中心分中心"}
    assert SUB_CENTER in client.post("/api/v1/centers", json=named, headers=admin).text
    bureau = token(session, "bt", Role.BUREAU_OFFICER, "包头市")
    assert client.post("/api/v1/centers", json=body, headers=bureau).status_code == 403
    login(client, "admin1")
    form = {k: str(v) for k, v in body.items()}
    page = post_form(client, "/centers/new", {**form, "parent_center_id": "1"})
    assert page.status_code == 422 and SUB_CENTER in page.text
    assert session.scalar(select(func.count(Center.id))) == 0
    done = post_form(client, "/centers/new", {**form, "direct": "true"})
    assert done.status_code == 303
    center = session.scalar(select(Center))
    assert done.headers["location"] == f"/centers/{center.id}" and center.direct
    assert center.name == "内蒙古自治区稀土新材料知识产权运营中心"
    assert (center.period_start, center.period_end) == (date(2024, 5, 1), date(2027, 4, 30))
    again = client.post("/api/v1/centers", json=body, headers=admin)
    assert again.status_code == 409, "the name is in use"


@pytest.mark.parametrize(
    ("recognised", "end"),
    [
        (date(2026, 3, 2), date(2029, 3, 1)),
        (date(2024, 2, 29), date(2027, 2, 28)),
        (date(2025, 1, 1), date(2027, 12, 31)),
    ],
)
def test_the_construction_period_is_three_years(recognised, end):
    fields = centers.period_fields(recognised)
    assert (fields["period_start"], fields["period_end"]) == (recognised, end)


@pytest.mark.parametrize(
    ("recognised", "first"),
    [(date(2026, 11, 20), 2027), (date(2026, 3, 1), 2026), (date(2026, 10, 1), 2026), (date(2026, 10, 2), 2027)],
)
def test_a_late_recognition_starts_evaluating_the_next_year(recognised, first):
    assert centers.period_fields(recognised)["first_eval_year"] == first


# --- revocation (Arts. 11, 18) ------------------------------------------------------------------------


def test_revocation_without_evidence_is_refused(session):
    center = recognised_center(session)
    admin = who(session, "admin1", Role.REGION_ADMIN)
    with pytest.raises(InvalidInput) as exc:
        revoke(session, admin, center, files_=[Upload.of_bytes("", b"")])
    assert exc.value.field == "evidence"
    with pytest.raises(InvalidInput):
        revoke(session, admin, center, reason="failed_rectification")
    with pytest.raises(Forbidden):
        revoke(session, who(session, "bt", Role.BUREAU_OFFICER, "包头市"), center)
    session.rollback()
    assert center.state == "recognized" and session.scalar(select(func.count(Revocation.id))) == 0


def test_revocation_over_the_web_keeps_evidence_for_insiders_only(client, session):
    center = recognised_center(session)
    make_user(session, "admin1", Role.REGION_ADMIN)
    login(client, "admin1")
    page = client.get(f"/centers/{center.id}/revoke")
    token_ = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"reason": "data_falsification", "detail": "年度报告数据造假", "csrf_token": token_}
    refused = client.post(f"/centers/{center.id}/revoke", data=form, files={"evidence": ("", b"", "application/pdf")})
    assert refused.status_code == 422 and "证据" in refused.text
    session.expire_all()
    assert session.get(Center, center.id).state == "recognized"
    done = client.post(
        f"/centers/{center.id}/revoke", data=form, files={"evidence": ("核查报告.pdf", PDF, "application/pdf")}
    )
    assert done.status_code == 303
    session.expire_all()
    revocation = session.scalar(select(Revocation))
    assert session.get(Center, center.id).state == "revoked" and revocation.reason == "data_falsification"
    att = session.scalar(select(Attachment).where(Attachment.owner_type == "revocation"))
    assert att.owner_id == revocation.id and att.filename == "核查报告.pdf"
    assert files.get_attachment(session, who(session, "bt", Role.BUREAU_OFFICER, "包头市"), att.id) == att
    for outsider in (ANONYMOUS, who(session, "cf", Role.BUREAU_OFFICER, "赤峰市")):
        with pytest.raises(NotFound):
            files.get_attachment(session, outsider, att.id)
    client.post("/logout", data={"csrf_token": token_})
    public = client.get(f"/centers/{center.id}")
    assert public.status_code == 200 and 'data-testid="revoked-banner"' in public.text
    assert "已取消资格：数据造假" in public.text and str(revocation.decided_on) in public.text
    assert "年度报告数据造假" not in public.text, "the detail is internal"


def _snapshot(session, center_id: int) -> list[tuple]:
    session.expire_all()
    rows: list[tuple] = [(session.get(Center, center_id).state,)]
    for model in (SelfEvaluation, PerformanceEvaluation, Rectification, Revocation, Attachment):
        rows += [tuple(getattr(r, c.key) for c in model.__table__.columns) for r in session.scalars(select(model))]
    return rows


def test_a_revoked_center_is_read_only(client, session):
    today = date(2026, 6, 1)
    center = recognised_center(session, date(2025, 3, 1))
    staff = who(session, "staff", Role.CENTER_STAFF, str(center.id))
    admin = who(session, "admin1", Role.REGION_ADMIN)
    submitted = cycle.start_self_evaluation(session, staff, center.id, 2025, today)
    centers.save_self_evaluation(session, staff, submitted.id, SelfEvaluationIn(summary="总体情况"))
    cycle.submit_self_evaluation(session, staff, submitted.id, today)
    draft = cycle.start_self_evaluation(session, staff, center.id, 2026, today)
    data = EvaluationIn(year=2025, outcome="rectify", requirements="补齐人才队伍", deadline=date(2026, 9, 1))
    cycle.evaluate(session, admin, center.id, data, today)
    rect = session.scalar(select(Rectification))
    revoke(session, admin, center)
    session.commit()
    heads = {
        "staff": token(session, "staff_t", Role.CENTER_STAFF, str(center.id)),
        "bureau": token(session, "bt", Role.BUREAU_OFFICER, "包头市"),
        "admin": token(session, "admin_t", Role.REGION_ADMIN),
    }
    before = _snapshot(session, center.id)
    attempts = [
        ("staff", f"/api/v1/centers/{center.id}/self-evaluations", {"year": 2027}),
        ("staff", f"/api/v1/self-evaluations/{draft.id}/submit", None),
        ("bureau", f"/api/v1/self-evaluations/{submitted.id}/audit", {"approve": True}),
        ("admin", f"/api/v1/centers/{center.id}/evaluations", {"year": 2026, "outcome": "pass"}),
        ("staff", f"/api/v1/rectifications/{rect.id}/report", {"report": "已整改"}),
        ("admin", f"/api/v1/rectifications/{rect.id}/decide", {"passed": True}),
    ]
    for role, path, body in attempts:
        answer = client.post(path, json=body, headers=heads[role])
        assert answer.status_code == 409, (path, answer.text)
        assert answer.json()["detail"] == centers.READ_ONLY
    saved = client.put(f"/api/v1/self-evaluations/{draft.id}", json={"summary": "改"}, headers=heads["staff"])
    assert saved.status_code == 409
    again = client.post(
        f"/api/v1/centers/{center.id}/revoke",
        data={"reason": "fund_misuse", "detail": "再次"},
        files={"evidence": ("e.pdf", PDF, "application/pdf")},
        headers=heads["admin"],
    )
    assert again.status_code == 409
    make_user(session, "staff_web", Role.CENTER_STAFF, str(center.id))
    login(client, "staff_web")
    web = post_form(client, f"/self-evaluations/{draft.id}", {"summary": "改"})
    assert web.status_code == 409 and centers.READ_ONLY in web.text
    assert post_form(client, f"/centers/{center.id}/self-evaluations", {"year": "2026"}).status_code == 409
    assert _snapshot(session, center.id) == before


# --- the national recommendation list (Art. 14) -------------------------------------------------------


def _audited(session, center: Center, year: int, amount: int, projects: int) -> None:
    session.add(
        SelfEvaluation(
            center_id=center.id,
            year=year,
            deadline=date(year, 12, 31),
            state="audited",
            conversion_amount_yuan=amount,
            conversion_projects=projects,
        )
    )
    session.commit()


def _contracts(session, center: Center, signed: dict[int, tuple[int, int]], stage: str = "signed") -> None:
    """Ledger rows: per signing year, (total amount in yuan, number of contracts)."""
    for year, (amount, n) in signed.items():
        for i in range(n):
            day = date(year, 6, 1)
            session.add(
                Deal(center_id=center.id, title=f"合同{year}-{i}", mode="transfer", state=stage, rights_state="passed",
                     amount_yuan=amount if i == 0 else 0, signed_on=day, intention_on=day, last_step_on=day)
            )  # fmt: skip
    session.commit()


@pytest.mark.parametrize(
    ("signed", "eligible", "year"),
    [
        ({2024: (6_000_000, 1), 2025: (4_999_999, 1)}, False, 2025),
        ({2024: (0, 1), 2025: (5_000_000, 1)}, True, 2025),
        ({2025: (1, 1), 2026: (4_999_999, 1)}, False, 2026),
        ({2025: (4_999_999, 1), 2026: (5_000_000, 1)}, True, 2026),
        ({2024: (0, 4), 2025: (0, 5)}, False, 2025),
        ({2024: (0, 5), 2025: (0, 5)}, True, 2025),
    ],
)
def test_the_national_threshold_boundaries(session, signed, eligible, year):
    """From the deal ledger (domain-rules §1): the better of the last full year and this year so far, or
    every counted contract; the self-reported figures are only shown beside them."""
    center = recognised_center(session, date(2024, 3, 1))
    _contracts(session, center, signed)
    _contracts(session, center, {2026: (9_000_000, 20)}, stage="negotiation")  # not signed: never counted
    _audited(session, center, 2025, 9_000_000, 20)  # self-reported: shown, never counted
    [row] = ranking.national_ranking(session, who(session, "admin1", Role.REGION_ADMIN), today=date(2026, 11, 30))
    assert row.eligible is eligible and row.conversion_year == year and row.source == "台账"
    assert row.conversion_projects == sum(n for _, n in signed.values())
    assert (row.reported_amount_yuan, row.reported_year, row.reported_projects) == (9_000_000, 2025, 20)
    assert wan(4_999_999) == "499.9999" and wan(5_000_000) == "500"


def test_the_national_list_puts_showcases_first_then_scores(client, session):
    made = {}
    for term, outcome, score in [("新能源", "pass", 90.0), ("风电装备", "showcase", 70.0), ("种业", "pass", 95.0)]:
        made[term] = recognised_center(session, date(2025, 3, 1), term=term)
        session.add(PerformanceEvaluation(center_id=made[term].id, year=2025, outcome=outcome, score=score))
    made["乳业"] = recognised_center(session, date(2025, 3, 1), term="乳业")
    gone = recognised_center(session, date(2025, 3, 1), term="绒毛纺织")
    gone.state = "revoked"
    ended = recognised_center(session, date(2025, 3, 1), term="现代煤化工")
    ended.state = "cycle_ended"
    session.commit()
    rows = ranking.national_ranking(session, who(session, "admin1", Role.REGION_ADMIN))
    assert [r.center.id for r in rows] == [made[t].id for t in ("风电装备", "种业", "新能源", "乳业")] + [gone.id]
    assert rows[-1].bars == ("已取消资格",) and not rows[-1].eligible, "revoked: shown last, 不符合"
    with pytest.raises(Forbidden):
        ranking.national_ranking(session, who(session, "bt", Role.BUREAU_OFFICER, "包头市"))
    admin = token(session, "admin_t", Role.REGION_ADMIN)
    listed = client.get("/api/v1/centers/national", headers=admin).json()
    assert [r["center_id"] for r in listed] == [r.center.id for r in rows]
    sheet = client.get("/centers/national.xlsx", headers=admin)
    assert sheet.status_code == 200 and sheet.content[:2] == b"PK"


def test_a_barred_center_is_never_recommended_whatever_its_figures(client, session):
    """Art. 10/14: a center under rectification, ordered to rectify by its latest evaluation (even one
    since passed) or revoked is 不符合 with the reason, ranked after every unbarred center, on the page,
    the XLSX export and the API alike; its ledger figures are still shown."""
    admin = who(session, "admin1", Role.REGION_ADMIN)
    today = date(2026, 11, 30)
    best, ordinary, passed, revoked = (
        recognised_center(session, date(2025, 3, 1), term=t) for t in ("新能源", "种业", "风电装备", "乳业")
    )
    for center in (best, ordinary, passed, revoked):
        _contracts(session, center, {2025: (9_000_000, 12)})
    session.add(PerformanceEvaluation(center_id=ordinary.id, year=2025, outcome="pass", score=60.0))
    session.add(PerformanceEvaluation(center_id=best.id, year=2025, outcome="showcase", score=99.0))
    rectify = {"outcome": "rectify", "requirements": "补齐专职人员", "deadline": date(2027, 3, 31)}
    cycle.evaluate(session, admin, best.id, EvaluationIn(year=2026, **rectify), today)
    cycle.evaluate(session, admin, passed.id, EvaluationIn(year=2026, **rectify), today)
    [rect] = session.scalars(select(Rectification).where(Rectification.center_id == passed.id))
    centers.report_rectification(session, who(session, "staff", Role.CENTER_STAFF, str(passed.id)), rect.id, "已补齐")
    centers.decide_rectification(session, admin, rect.id, passed=True, note="整改到位", today=today)
    revoke(session, admin, revoked, today=date(2026, 5, 6))
    session.commit()

    rows = ranking.national_ranking(session, admin, today=today)
    assert rows[0].center.id == ordinary.id and {r.center.id for r in rows[1:]} == {best.id, passed.id, revoked.id}
    assert rows[0].eligible and rows[0].reasons == []
    by_id = {r.center.id: r for r in rows}
    assert by_id[best.id].bars == (
        "责令限期整改中（整改期限2027年3月31日，整改中）",
        "最近一次绩效评估（2026年度）结论为责令限期整改",
    )
    assert by_id[passed.id].bars == ("最近一次绩效评估（2026年度）结论为责令限期整改",)
    assert by_id[revoked.id].bars == ("已取消资格（严重失信，2026年5月6日）",)
    for center in (best, passed, revoked):
        row = by_id[center.id]
        assert row.meets_threshold and not row.eligible and row.reasons == list(row.bars)

    headers = token(session, "admin_t", Role.REGION_ADMIN)
    listed = {r["center_id"]: r for r in client.get("/api/v1/centers/national", headers=headers).json()}
    assert listed[best.id]["status"] == "rectifying" and listed[best.id]["eligible"] is False
    assert listed[best.id]["threshold_met"] is True and listed[best.id]["reasons"] == list(by_id[best.id].bars)
    assert listed[ordinary.id]["eligible"] is True and listed[ordinary.id]["reasons"] == []
    page = client.get("/centers/national", headers=headers).text
    first_row = page.split('data-testid="national-row"')[1]
    assert ordinary.name in first_row and "符合" in first_row and "不符合" not in first_row
    best_row = next(part for part in page.split('data-testid="national-row"')[1:] if best.name in part)
    assert "不符合" in best_row and "责令限期整改中（整改期限2027年3月31日，整改中）" in best_row
    sheet = load_workbook(io.BytesIO(client.get("/centers/national.xlsx", headers=headers).content)).active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(r for r in cells if "不符合原因" in r)
    exported = {r[header.index("运营中心")]: r for r in cells[cells.index(header) + 1 :]}
    assert exported[revoked.name][header.index("是否符合推荐条件")] == "不符合"
    assert exported[revoked.name][header.index("不符合原因")] == "已取消资格（严重失信，2026年5月6日）"
    assert exported[revoked.name][header.index("状态")] == "已取消资格"
    assert exported[ordinary.name][header.index("是否符合推荐条件")] == "符合"


# --- who sees what ------------------------------------------------------------------------------------


def test_anyone_sees_the_public_page_without_internal_data(client, session):
    center = recognised_center(session, date(2025, 3, 1))
    staff = who(session, "staff", Role.CENTER_STAFF, str(center.id))
    ev = cycle.start_self_evaluation(session, staff, center.id, 2025, date(2025, 6, 1))
    centers.save_self_evaluation(session, staff, ev.id, SelfEvaluationIn(summary="内部总结XYZ"))
    session.commit()
    page = client.get(f"/centers/{center.id}")
    assert page.status_code == 200 and center.name in page.text and "public-catalogue" in page.text
    assert 'data-testid="self-evaluations"' not in page.text and 'data-testid="history"' not in page.text
    data = client.get(f"/api/v1/centers/{center.id}").json()
    assert data["name"] == center.name and data["self_evaluations"] is None and data["evaluations"] is None
    assert client.get(f"/self-evaluations/{ev.id}").status_code == 404
    assert client.get(f"/self-evaluations/{ev.id}.pdf").status_code == 404
    listed = client.get("/centers")
    assert listed.status_code == 200 and center.name in listed.text
    assert client.get("/centers?status=&region_id=&industry_id=").status_code == 200
    other_center = recognised_center(session, term="乳业")
    for name, role, scope in [
        ("cf", Role.BUREAU_OFFICER, "赤峰市"),
        ("member", Role.MEMBER, str(org_named(session, "包头测试新能源有限公司").id)),
        ("other_staff", Role.CENTER_STAFF, str(other_center.id)),
        ("expert", Role.EXPERT, None),
    ]:
        headers = token(session, name, role, scope)
        assert client.get(f"/api/v1/self-evaluations/{ev.id}", headers=headers).status_code == 404, name
        assert client.get(f"/api/v1/centers/{center.id}", headers=headers).json()["self_evaluations"] is None
    own = client.get(f"/api/v1/centers/{center.id}", headers=token(session, "bt", Role.BUREAU_OFFICER, "包头市"))
    assert [e["summary"] for e in own.json()["self_evaluations"]] == ["内部总结XYZ"]


def test_the_recognition_decision_prints_as_pdf_and_docx(client, session):
    center = recognised_center(session, term="稀土新材料")
    pdf = client.get(f"/centers/{center.id}/decision.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"].startswith("attachment")
    docx = client.get(f"/centers/{center.id}/decision.docx")
    assert docx.status_code == 200
    text = zipfile.ZipFile(io.BytesIO(docx.content)).read("word/document.xml").decode()
    for expected in (
        center.name,
        "第八条",
        "第十条",
        "2026年3月2日至2029年3月1日",
        "内蒙古自治区市场监督管理局（知识产权局）",
    ):
        assert expected in text, expected
    assert client.get(f"/centers/{center.id}/decision.txt").status_code == 422
