"""XLSX export (safe and audited) and the editable reference data."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from ipoc.audit.models import AuditRecord
from ipoc.reference.models import Industry, Region
from ipoc.web.export import CUT_MARKER, EXCEL_CELL_LIMIT, Sheet, safe_cell, xlsx_bytes
from tests.conftest import login, post_form
from tests.exported import table


@pytest.mark.parametrize("text", ["=1+1", "+cmd", "-2", "@SUM(A1)", "\t=x", "\r=x"])
def test_formula_like_text_is_neutralised(text):
    assert safe_cell(text) == "'" + text


def test_long_text_is_cut_with_a_visible_marker():
    cell = safe_cell("专" * 40_000)
    assert len(cell) == EXCEL_CELL_LIMIT and cell.endswith(CUT_MARKER)
    content, count = xlsx_bytes([Sheet("t", ["a"], [["专" * 40_000], [42]])])
    sheet = load_workbook(io.BytesIO(content)).active
    assert count == 2 and sheet["A3"].value.endswith(CUT_MARKER) and sheet["A4"].value == 42


def _sheet(response):
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    return [list(r) for r in table(response)]


def test_anonymous_export_has_no_registration_details_and_is_audited(client, demo):
    rows = _sheet(client.get("/orgs.xlsx"))
    assert rows[0][:4] == ["单位名称", "类型", "盟市", "状态"]
    assert all(r[4] is None for r in rows[1:]) and len(rows) == 5  # four verified demo organisations
    record = demo.scalars(select(AuditRecord).where(AuditRecord.action == "export")).one()
    assert record.entity_type == "organisations" and '"rows":4' in record.meta_json


def test_an_officer_exports_details_of_their_own_area_only(client, demo):
    login(client, "baotou")
    rows = {r[0]: r for r in _sheet(client.get("/orgs.xlsx"))[1:]}
    assert rows["包头示例风电装备有限公司"][4] and rows["赤峰示例乳业有限公司"][4] is None


def test_the_admin_exports_users(client, demo):
    login(client, "admin")
    rows = _sheet(client.get("/admin/users.xlsx"))
    assert rows[0][0] == "用户名" and {r[0] for r in rows[1:]} >= {"admin", "baotou", "member"}


def test_the_admin_edits_an_industry_and_form_errors_are_shown(client, demo):
    login(client, "admin")
    industry = demo.scalars(select(Industry)).first()
    bad = post_form(
        client, f"/industries?edit={industry.id}", {"name": industry.name, "naming_term": "稀土分中心", "category": "x"}
    )
    assert bad.status_code == 422 and "分中心" in bad.text and "请从列表中选择" in bad.text
    data = {
        "name": industry.name,
        "naming_term": industry.naming_term,
        "category": "优势特色",
        "source": "2026 年自治区政府工作报告",
        "active": "true",
    }
    assert post_form(client, f"/industries?edit={industry.id}", data).status_code == 303
    demo.refresh(industry)
    assert industry.category == "优势特色" and industry.source == "2026 年自治区政府工作报告"


def test_only_the_admin_edits_reference_data(client, demo):
    login(client, "baotou")
    assert post_form(client, "/industries", {"name": "x"}).status_code == 403
    assert client.put("/api/v1/industries/1", json={}).status_code == 403


def test_the_separately_addressed_cities_setting(client, demo):
    login(client, "admin")
    manzhouli = demo.scalar(select(Region).where(Region.name == "满洲里市"))
    assert post_form(client, f"/regions/{manzhouli.id}", {"acts_as_recommender": "false"}).status_code == 303
    demo.refresh(manzhouli)
    assert not manzhouli.acts_as_recommender
    baotou = demo.scalar(select(Region).where(Region.name == "包头市"))
    response = post_form(client, f"/regions/{baotou.id}", {"acts_as_recommender": "false"})
    assert response.status_code == 422 and "始终负责" in response.text
    assert "transition" not in "".join(
        r.action for r in demo.scalars(select(AuditRecord).where(AuditRecord.entity_type == "regions"))
    )
    assert demo.scalars(select(AuditRecord).where(AuditRecord.entity_type == "regions")).one().entity_id == str(
        manzhouli.id
    )


def test_the_all_option_of_a_filter_means_no_filter(client, demo):
    everyone = client.get("/orgs")
    assert client.get("/orgs?region_id=").text.count("<tr>") == everyone.text.count("<tr>") > 2
    assert client.get("/orgs?region_id=abc").status_code == 422
