"""Expert review: versioned score sheets, conflicts of interest, sealed independent scores, results math,
closing, decisions after review and the expert's score sheet document."""

from __future__ import annotations

import math
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ipoc.applications import service as applications
from ipoc.applications.models import Application
from ipoc.audit import service as audit
from ipoc.auth.models import User
from ipoc.auth.roles import Principal, Role
from ipoc.auth.service import principal_for
from ipoc.centers.models import Center, Revocation
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.lifecycle import recognition
from ipoc.reviews import documents as review_documents
from ipoc.reviews import service as reviews
from ipoc.reviews.models import PanelConflict, ScoreSheet
from ipoc.reviews.schemas import ConflictIn, IndicatorIn, PanelIn, ScoreIn, SheetIn, SheetRevision
from tests.conftest import csrf_of, login, make_user, post_form
from tests.exported import table
from tests.factories import make_center, make_org
from tests.worlds.reviews import _dossier, _panel, _score, make_world

# --- pure rules -------------------------------------------------------------------------------------------


def _rows(*rows: tuple[str, str, float, float]) -> list[IndicatorIn]:
    return [IndicatorIn(code=c, label=label, weight=w, max=m) for c, label, w, m in rows]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "评分表至少需要一项指标"),
        ([("A", "甲", 50, 10), ("A", "乙", 50, 10)], "指标代码“A”重复"),
        ([("A", "甲", 0, 10), ("B", "乙", 100, 10)], "指标“甲”的权重必须大于 0"),
        ([("A", "甲", 60, 10), ("B", "乙", 30, 10)], "各指标权重之和必须为 100，当前为 90"),
        ([("A", "甲", 50, 0), ("B", "乙", 50, 10)], "指标“甲”的满分必须大于 0"),
        ([("A", "", 100, 10)], "第 1 行：指标代码和指标名称都必须填写"),
    ],
)
def test_sheet_rules_are_explained_in_chinese(rows, message):
    with pytest.raises(InvalidInput, match=message) as exc:
        reviews.check_indicators(_rows(*rows))
    assert exc.value.field == "indicators"


def test_a_valid_sheet_is_stored_with_whole_numbers_kept_whole():
    stored = reviews.check_indicators(_rows(("A", "甲", 62.5, 10), ("B", "乙", 37.5, 5)))
    assert stored == [
        {"code": "A", "label": "甲", "weight": 62.5, "max": 10},
        {"code": "B", "label": "乙", "weight": 37.5, "max": 5},
    ]


def test_results_math_checked_by_hand():
    stats = reviews.spread_stats([80, 82, 78, 50])
    assert stats.n == 4 and stats.mean == 72.5 and stats.spread == 32 and (stats.min, stats.max) == (50, 82)
    # deviations 7.5, 9.5, 5.5, −22.5 → squares sum 683 → population variance 170.75
    assert stats.stdev == round(math.sqrt(170.75), 2) == 13.07
    # 50 is 30 from the others' mean (80); 82 is 12.67 from 69.33 — within the 15-point gap
    assert stats.outlier == [False, False, False, True] and stats.wide_spread
    calm = reviews.spread_stats([70, 74])
    assert calm.outlier == [False, False] and not calm.wide_spread and calm.stdev == 2
    assert reviews.spread_stats([90]).outlier == [False]


# --- a small world ----------------------------------------------------------------------------------------


def _assigned(session, expert: Principal) -> set[int]:
    return set(session.scalars(reviews.assigned_application_ids(expert)))


# --- sheets -----------------------------------------------------------------------------------------------


def test_editing_a_sheet_adds_a_version_and_a_panel_keeps_its_own(session):
    w = make_world(session, n_experts=1, n_dossiers=1)
    two = [IndicatorIn(code="A", label="甲", weight=50, max=10), IndicatorIn(code="B", label="乙", weight=50, max=10)]
    v1 = reviews.create_sheet(session, w.admin, SheetIn(name="两项评分表", kind="recognition", indicators=two))
    panel = _panel(session, w, sheet=v1)
    changed = [
        {"code": "A", "label": "甲", "weight": 80, "max": 10},
        {"code": "B", "label": "乙", "weight": 20, "max": 10},
    ]
    v2 = reviews.revise_sheet(session, w.admin, v1.id, SheetRevision.model_validate({"indicators": changed}))
    assert (v2.name, v2.version, v2.kind) == ("两项评分表", 2, "recognition") and v2.id != v1.id
    session.refresh(v1)
    assert [i["weight"] for i in v1.indicators] == [50, 50], "the old version is untouched"
    score = reviews.save_score(session, w.experts[0], panel.id, w.dossiers[0].id, ScoreIn(items={"A": 10, "B": 0}))
    assert score.total == 50, "v1 weights (50/50), not v2's (80/20 would give 80)"
    with pytest.raises(Conflict) as exc:
        reviews.create_sheet(session, w.admin, SheetIn(name="两项评分表", kind="recognition", indicators=two))
    assert exc.value.field == "name"
    with pytest.raises(Forbidden):
        reviews.revise_sheet(session, w.experts[0], v1.id, SheetRevision(indicators=two))


def test_the_default_sheets_come_from_the_guideline_once(session):
    created = reviews.ensure_default_sheets(session)
    assert {(s.name, s.kind, s.version) for s in created} == {
        ("自治区运营中心认定评审评分表", "recognition", 1),
        ("自治区运营中心年度绩效评估表", "performance", 1),
    }
    assert all(sum(i["weight"] for i in s.indicators) == 100 for s in created)
    assert reviews.ensure_default_sheets(session) == []


# --- assignment and conflicts -----------------------------------------------------------------------------


def test_own_and_declared_organisations_are_excluded(session, client):
    w = make_world(session, n_experts=2, n_dossiers=3)
    d1, d2, d3 = w.dossiers
    own = session.get(User, w.experts[0].user_id)
    own.org_id = w.orgs[0].id  # expert1 works for the first applicant
    session.commit()
    a, b = principal_for(session, own), w.experts[1]
    # Not subjects: a dossier still at re-check, and one rejected at re-check (never reviewed).
    _dossier(session, w.call, w.orgs[2], state="region_recheck")
    early = _dossier(session, w.call, w.orgs[2], state="region_recheck")
    applications.transition(session, w.admin, early, "reject_recheck", "条件不符")
    applications.transition(session, w.admin, d3, "reject_review", "评审未通过")  # rejected after review: stays
    panel = _panel(session, w, declare=False)

    assert _assigned(session, a) == {d2.id, d3.id}, "own organisation excluded without any declaration"
    assert _assigned(session, b) == {d1.id, d2.id, d3.id}
    with pytest.raises(Conflict, match="申报利益冲突"):
        reviews.save_score(session, b, panel.id, d2.id, ScoreIn(items={"T": 80}))
    reviews.declare_conflicts(session, b, panel.id, ConflictIn(org_ids=[w.orgs[1].id], note="曾为其顾问"))
    session.commit()
    assert _assigned(session, b) == {d1.id, d3.id}
    member = next(m for m in panel.members if m.expert_id == b.user_id)
    assert member.declared_at is not None and [c.org_id for c in member.conflicts] == [w.orgs[1].id]

    with pytest.raises(NotFound):
        applications.get_application(session, a, d1.id)
    assert applications.get_application(session, a, d2.id).id == d2.id
    with pytest.raises(NotFound):
        reviews.score_form(session, b, panel.id, d2.id)
    with pytest.raises(NotFound):
        reviews.save_score(session, b, panel.id, d2.id, ScoreIn(items={"T": 80}))

    login(client, "expert1")
    assert client.get(f"/reviews/panels/{panel.id}/score/{d1.id}").status_code == 404
    listing = client.get("/reviews").text
    assert f'data-testid="subject-{d2.id}"' in listing and f'data-testid="subject-{d1.id}"' not in listing


def test_a_late_conflict_drops_drafts_but_not_a_submitted_score(session):
    w = make_world(session, n_experts=1, n_dossiers=2)
    panel = _panel(session, w)
    expert = w.experts[0]
    _score(session, expert, panel, w.dossiers[0].id, 70, submit=False)
    _score(session, expert, panel, w.dossiers[1].id, 75)
    reviews.declare_conflicts(session, expert, panel.id, ConflictIn(org_ids=[w.orgs[0].id]))
    assert reviews.my_scores(session, expert, panel.id)[0].application_id == w.dossiers[1].id
    with pytest.raises(Conflict, match="已提交"):
        reviews.declare_conflicts(session, expert, panel.id, ConflictIn(org_ids=[w.orgs[0].id, w.orgs[1].id]))


def test_performance_panels_review_the_centers_active_that_year(session):
    w = make_world(session, n_experts=2, n_dossiers=0)
    builders = [make_org(session, f"建设单位{i}") for i in range(4)]

    def center(i: int, start: date, first: int, status: str = "recognized") -> Center:
        name = f"内蒙古自治区测试{i}知识产权运营中心"
        return make_center(session, name, builder=builders[i], start=start, status=status, first_eval_year=first)

    active = center(0, date(2025, 3, 1), 2025)
    other = center(1, date(2024, 6, 1), 2024, status="rectifying")
    late = center(2, date(2026, 11, 20), 2027)  # recognised after the cut-off
    revoked = center(3, date(2024, 1, 1), 2024, status="revoked")
    session.add(Revocation(center_id=revoked.id, reason="fund_misuse", detail="挪用", decided_on=date(2025, 8, 1)))
    session.get(User, w.experts[0].user_id).org_id = builders[0].id
    sheet = next(s for s in reviews.ensure_default_sheets(session) if s.kind == "performance")
    with pytest.raises(InvalidInput) as exc:
        reviews.create_panel(session, w.admin, PanelIn(kind="performance", name="x", year=2026, sheet_id=w.sheet.id))
    assert exc.value.field == "sheet_id"
    data = PanelIn(
        kind="performance",
        name="2026年度绩效评估",
        year=2026,
        sheet_id=sheet.id,
        min_scores=1,
        expert_ids=[e.user_id for e in w.experts],
    )
    panel = reviews.create_panel(session, w.admin, data)
    session.commit()
    a = principal_for(session, session.get(User, w.experts[0].user_id))
    assert [c.id for c in reviews.subjects(session, panel)] == [active.id, other.id]
    assert late.id not in set(session.scalars(reviews.assigned_center_ids(w.experts[1])))
    assert set(session.scalars(reviews.assigned_center_ids(a))) == {other.id}
    full = {i["code"]: i["max"] for i in sheet.indicators}
    for expert in (a, w.experts[1]):
        reviews.declare_conflicts(session, expert, panel.id, ConflictIn())
    reviews.save_score(session, w.experts[1], panel.id, active.id, ScoreIn(items=full, submit=True))
    reviews.save_score(session, a, panel.id, other.id, ScoreIn(items=dict.fromkeys(full, 0), submit=True))
    reviews.close_panel(session, w.admin, panel.id)
    found = reviews.center_results(session, panel.id)
    assert [(r.subject_id, r.mean, r.rank) for r in found] == [(active.id, 100, 1), (other.id, 0, 2)]
    with pytest.raises(NotFound):
        reviews.results(session, panel.id)


# --- independence -----------------------------------------------------------------------------------------


def test_scores_are_sealed_until_the_panel_closes(session, client, app):
    w = make_world(session, n_experts=2, n_dossiers=2)
    panel = _panel(session, w)
    d1 = w.dossiers[0]
    login(client, "expert1")
    draft = post_form(
        client, f"/reviews/panels/{panel.id}/score/{d1.id}", {"item_T": "87.5", "comment": "很好", "action": "save"}
    )
    assert draft.status_code == 200 and "已保存" in draft.text
    done = post_form(
        client, f"/reviews/panels/{panel.id}/score/{d1.id}", {"item_T": "87.5", "comment": "很好", "action": "submit"}
    )
    assert done.status_code == 303
    score_id = client.get(f"/api/v1/reviews/panels/{panel.id}/scores").json()[0]["id"]
    assert client.get(f"/api/v1/reviews/panels/{panel.id}/scores").json()[0]["total"] == 87.5
    again = post_form(client, f"/reviews/panels/{panel.id}/score/{d1.id}", {"item_T": "10", "action": "submit"})
    assert again.status_code == 422 and "评分已提交" in again.text

    other = TestClient(app, base_url="http://testserver", follow_redirects=False)
    login(other, "expert2")
    assert other.get(f"/api/v1/reviews/panels/{panel.id}/scores").json() == []
    assert other.get(f"/api/v1/reviews/panels/{panel.id}/results").status_code == 409
    assert other.get(f"/reviews/panels/{panel.id}/results").status_code == 409
    assert other.get(f"/reviews/scores/{score_id}.pdf").status_code == 404
    assert "87.5" not in other.get(f"/reviews/panels/{panel.id}").text
    assert "87.5" not in other.get(f"/reviews/panels/{panel.id}/score/{d1.id}").text
    assert "87.5" not in other.get("/api/v1/reviews/assignments").text

    admin = TestClient(app, base_url="http://testserver", follow_redirects=False)
    login(admin, "region")
    page = admin.get(f"/reviews/panels/{panel.id}").text
    assert "1 / 2" in page and "87.5" not in page
    progress = admin.get(f"/api/v1/reviews/panels/{panel.id}").json()["members"]
    assert [(m["expert_name"], m["submitted"], m["assigned"]) for m in progress] == [
        ("expert1", 1, 2),
        ("expert2", 0, 2),
    ]
    assert "87.5" not in admin.get(f"/api/v1/reviews/panels/{panel.id}").text
    assert admin.get(f"/api/v1/reviews/panels/{panel.id}/results").status_code == 409
    assert admin.get(f"/reviews/scores/{score_id}.pdf").status_code == 409
    assert "87.5" not in admin.get("/admin/audit").text, "the audit trail does not leak the values either"


# --- closing, results, decisions --------------------------------------------------------------------------


def test_close_is_refused_until_every_subject_is_scored_then_results_are_ranked(session):
    w = make_world(session, n_experts=4, n_dossiers=3)
    panel = _panel(session, w)
    d1, d2, d3 = w.dossiers
    for expert, points in zip(w.experts, (80, 82, 78, 50), strict=True):
        _score(session, expert, panel, d1.id, points)
    for expert in w.experts[:2]:
        _score(session, expert, panel, d2.id, 72.5)
    _score(session, w.experts[3], panel, d3.id, 40, submit=False)  # a draft does not count
    with pytest.raises(Conflict, match="包头申报单位3") as exc:
        reviews.close_panel(session, w.admin, panel.id)
    assert "包头申报单位1" not in exc.value.message
    session.rollback()
    _score(session, w.experts[0], panel, d3.id, 60)
    with pytest.raises(Forbidden):
        reviews.close_panel(session, w.experts[0], panel.id)
    found = reviews.close_panel(session, w.admin, panel.id)
    session.commit()

    assert [(r.subject_id, r.mean, r.rank) for r in found] == [(d1.id, 72.5, 1), (d2.id, 72.5, 1), (d3.id, 60, 3)]
    first = found[0]
    assert (first.n, first.stdev, first.min, first.max, first.spread) == (4, 13.07, 50, 82, 32)
    assert first.wide_spread and first.outliers == ["expert4"]
    assert [t.outlier for t in first.totals] == [False, False, False, True]
    session.refresh(d1)
    session.refresh(d3)
    assert (d1.expert_score, d1.expert_rank, d3.expert_score, d3.expert_rank) == (72.5, 1, 60.0, 3)

    _, seen = reviews.panel_results(session, w.experts[1], panel.id)
    assert [t.label for t in seen[0].totals] == ["专家1", "本人（expert2）", "专家3", "专家4"]
    with pytest.raises(Conflict, match="评审已结束"):
        reviews.save_score(session, w.experts[3], panel.id, d3.id, ScoreIn(items={"T": 41}))
    with pytest.raises(Conflict):
        reviews.close_panel(session, w.admin, panel.id)


def test_after_close_an_expert_sees_no_result_of_a_subject_they_had_to_avoid(session):
    w = make_world(session, n_experts=2, n_dossiers=2)
    d1, d2 = w.dossiers
    session.get(User, w.experts[0].user_id).org_id = w.orgs[0].id  # expert1 works for the first applicant
    session.commit()
    own = principal_for(session, session.get(User, w.experts[0].user_id))
    panel = _panel(session, w)
    _score(session, w.experts[1], panel, d1.id, 66)
    _score(session, w.experts[1], panel, d2.id, 70)
    _score(session, own, panel, d2.id, 74)
    reviews.close_panel(session, w.admin, panel.id)
    session.commit()
    assert [r.subject_id for r in reviews.panel_results(session, own, panel.id)[1]] == [d2.id]
    assert {r.subject_id for r in reviews.panel_results(session, w.experts[1], panel.id)[1]} == {d1.id, d2.id}
    assert {r.subject_id for r in reviews.panel_results(session, w.admin, panel.id)[1]} == {d1.id, d2.id}


def test_out_of_range_scores_name_the_indicator_and_scoring_after_close_is_409(session, client):
    w = make_world(session, n_experts=1, n_dossiers=1)
    sheet = next(s for s in reviews.ensure_default_sheets(session) if s.kind == "recognition")
    panel = _panel(session, w, sheet=sheet)
    d1 = w.dossiers[0]
    login(client, "expert1")
    client.headers["x-csrf-token"] = csrf_of(client)
    url = f"/api/v1/reviews/panels/{panel.id}/scores/{d1.id}"
    bad = client.put(url, json={"items": {"A1": 25}})
    assert (
        bad.status_code == 422 and bad.json()["field"] == "item_A1" and "产业代表性与规划举措" in bad.json()["detail"]
    )
    assert "0 到 20" in bad.json()["detail"]
    page = post_form(client, f"/reviews/panels/{panel.id}/score/{d1.id}", {"item_A3": "-1", "action": "save"})
    assert page.status_code == 422 and "“场所与办公条件（第五条第三项）”的得分应在 0 到 10 之间" in page.text
    both = post_form(
        client, f"/reviews/panels/{panel.id}/score/{d1.id}", {"item_A1": "25", "item_A3": "-1", "action": "submit"}
    )
    errors = dict(re.findall(r'data-field="(item_\w+)">([^<]*)<', both.text))
    assert errors["item_A1"] == "“产业代表性与规划举措（第五条第一项）”的得分应在 0 到 20 之间"
    assert errors["item_A3"] == "“场所与办公条件（第五条第三项）”的得分应在 0 到 10 之间"
    assert len(errors) == 6 and errors["item_A2"].startswith("请为“"), "every indicator's problem at once"
    partial = client.put(url, json={"items": {"A1": 18}, "submit": True})
    assert partial.status_code == 422 and partial.json()["field"] == "item_A2"
    full = {i["code"]: i["max"] - 1 for i in sheet.indicators}
    assert client.put(url, json={"items": full, "submit": True}).json()["total"] == 94  # Σ (weight − 1)
    session.expire_all()
    reviews.close_panel(session, w.admin, panel.id)
    session.commit()
    assert client.put(url, json={"items": full}).status_code == 409


def test_shortlisting_needs_a_closed_panel_with_a_score(session, client):
    w = make_world(session, n_experts=1, n_dossiers=2)
    panel = _panel(session, w)
    d1, d2 = w.dossiers
    _score(session, w.experts[0], panel, d1.id, 80)
    _score(session, w.experts[0], panel, d2.id, 55)
    with pytest.raises(Conflict, match="尚无已结束的专家评审结果"):
        recognition.shortlist(session, w.admin, d1.id)
    with pytest.raises(Forbidden):
        recognition.shortlist(session, w.officer, d1.id)
    reviews.close_panel(session, w.admin, panel.id)
    late = _dossier(session, w.call, w.orgs[0])  # reached review after the panel closed: no score
    session.commit()
    with pytest.raises(Conflict):
        recognition.shortlist(session, w.admin, late.id)
    with pytest.raises(Forbidden):
        recognition.shortlist(session, w.experts[0], d1.id)

    login(client, "region")
    results = client.get(f"/reviews/panels/{panel.id}/results").text
    assert results.index(f'data-testid="result-{d1.id}"') < results.index(f'data-testid="result-{d2.id}"')
    path = f"/reviews/panels/{panel.id}/decide"
    assert post_form(client, f"{path}/{d1.id}", {"action": "shortlist"}).status_code == 303
    refused = post_form(client, f"{path}/{d2.id}", {"action": "reject_review"})
    assert refused.status_code == 422 and "必须填写理由" in refused.text
    assert post_form(client, f"{path}/{d2.id}", {"action": "reject_review", "reason": "得分靠后"}).status_code == 303
    session.expire_all()
    assert (session.get(Application, d1.id).state, session.get(Application, d2.id).state) == ("shortlisted", "rejected")
    api = client.post(
        f"/api/v1/reviews/applications/{d1.id}/shortlist", json={}, headers={"x-csrf-token": csrf_of(client)}
    )
    assert api.status_code == 409  # already taken
    rows = table(client.get(f"/reviews/panels/{panel.id}/results.xlsx"))
    assert (
        rows[0][:4] == ("排名", "评审对象", "专家人数", "平均分") and rows[1][3] == 80 and "expert1：80" in rows[1][-1]
    )


def test_only_its_expert_and_the_region_admin_download_a_score_sheet(session, client, app):
    w = make_world(session, n_experts=2, n_dossiers=1)
    make_user(session, "member1", Role.MEMBER, "包头申报单位1")
    panel = _panel(session, w)
    score = _score(session, w.experts[0], panel, w.dossiers[0].id, 66.5)
    _score(session, w.experts[1], panel, w.dossiers[0].id, 70)
    doc = review_documents.score_sheet_document(session, score.id)
    table = doc.sections[1].table
    assert table.rows[0][1:] == ["综合评价", "100", "100", "66.5", "66.5"] and table.rows[-1][-1] == "66.5"
    assert doc.signatures[0][0] == "评审专家（签字）" and "expert1" in doc.sections[0].paragraphs[1]

    login(client, "expert1")
    pdf = client.get(f"/reviews/scores/{score.id}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(f"/reviews/scores/{score.id}.txt").status_code == 422
    for name in ("expert2", "officer", "member1"):
        other = TestClient(app, base_url="http://testserver", follow_redirects=False)
        login(other, name)
        assert other.get(f"/reviews/scores/{score.id}.docx").status_code == 404, name
    reviews.close_panel(session, w.admin, panel.id)
    session.commit()
    login(client, "region")
    docx = client.get(f"/reviews/scores/{score.id}.docx")
    assert docx.status_code == 200 and docx.content.startswith(b"PK")


def test_the_admin_edits_sheets_and_forms_a_panel_through_the_pages(session, client):
    w = make_world(session, n_experts=1, n_dossiers=1)
    login(client, "region")
    assert "自治区运营中心认定评审评分表" in client.get("/reviews/sheets").text
    rows = {"name": "新评分表", "kind": "recognition", "code": ["A", "B", ""], "label": ["甲", "乙", ""]}
    bad = post_form(client, "/reviews/sheets/new", {**rows, "weight": ["60", "30", ""], "max": ["10", "10", ""]})
    assert bad.status_code == 422 and "各指标权重之和必须为 100，当前为 90" in bad.text
    typo = post_form(client, "/reviews/sheets/new", {**rows, "weight": ["60", "四十", ""], "max": ["10", "10", ""]})
    assert typo.status_code == 422 and "第 2 行权重：请输入数字" in typo.text
    more = post_form(
        client, "/reviews/sheets/new", {**rows, "weight": ["60", "40", ""], "max": ["10", "10", ""], "add_row": "1"}
    )
    assert more.status_code == 200 and more.text.count('name="code"') == 3
    ok = post_form(client, "/reviews/sheets/new", {**rows, "weight": ["60", "40", ""], "max": ["10", "10", ""]})
    assert ok.status_code == 303
    v1 = session.scalar(select(ScoreSheet).where(ScoreSheet.name == "新评分表"))
    edit = {"code": ["A", "B"], "label": ["甲", "乙"], "weight": ["50", "50"], "max": ["10", "5"]}
    assert post_form(client, f"/reviews/sheets/{v1.id}/edit", edit).status_code == 303
    versions = session.scalars(
        select(ScoreSheet).where(ScoreSheet.name == "新评分表").order_by(ScoreSheet.version)
    ).all()
    assert [(s.version, s.indicators[1]["max"]) for s in versions] == [(1, 10), (2, 5)]

    assert re.search(r'name="min_scores"\s+type="text" value="3"', client.get("/reviews/panels/new").text)  # setting
    form = {"name": "认定评审第一组", "kind": "recognition", "sheet_id": str(versions[1].id), "min_scores": "1"}
    assert "认定评审须选择申报批次" in post_form(client, "/reviews/panels/new", form).text
    created = post_form(client, "/reviews/panels/new", {**form, "call_id": str(w.call.id)})
    assert created.status_code == 303
    panel_url = created.headers["location"]
    assert post_form(client, f"{panel_url}/members", {"expert_id": str(w.experts[0].user_id)}).status_code == 303
    assert post_form(client, f"{panel_url}/members", {"expert_id": str(w.admin.user_id)}).status_code == 422
    refused = post_form(client, f"{panel_url}/close", {})
    assert refused.status_code == 409 and "包头申报单位1" in refused.text

    login(client, "expert1")
    assert f"{panel_url}/conflicts" in client.get("/reviews").text
    assert post_form(client, f"{panel_url}/conflicts", {"note": "无"}).status_code == 303
    url = f"{panel_url}/score/{w.dossiers[0].id}"
    assert post_form(client, url, {"item_A": "10", "item_B": "5", "action": "submit"}).status_code == 303
    assert "已提交（100 分）" in client.get("/reviews").text
    login(client, "region")
    assert post_form(client, f"{panel_url}/close", {}).status_code == 303
    page = client.get(f"{panel_url}/results").text
    assert 'data-testid="shortlist"' in page and "expert1：100" in page


# --- integrity: conflicts lifted only by the bureau, a minimum of valid scores, confirmations ----------------


def test_a_declared_conflict_is_lifted_only_by_the_region_bureau_with_a_reason(session, client, app):
    w = make_world(session, n_experts=1, n_dossiers=2)
    panel = _panel(session, w, declare=False)
    d1, org1 = w.dossiers[0], w.orgs[0]
    url = f"/reviews/panels/{panel.id}"
    lift = f"{url}/experts/{w.experts[0].user_id}/conflicts/{org1.id}/lift"
    login(client, "expert1")
    assert post_form(client, f"{url}/conflicts", {"org_id": str(org1.id), "note": "曾任其顾问"}).status_code == 303
    page = client.get(f"{url}/conflicts").text
    assert f'<input type="hidden" name="org_id" value="{org1.id}">' in page and "不能由本人撤回" in page
    withdrawn = post_form(client, f"{url}/conflicts", {"note": "撤回"})  # the declared organisation left out
    assert withdrawn.status_code == 403 and "已申报的回避不能由专家本人撤回（包头申报单位1）" in withdrawn.text
    client.headers["x-csrf-token"] = csrf_of(client)
    assert client.put(f"/api/v1{url}/conflicts", json={"org_ids": []}).status_code == 403
    assert client.post(f"/api/v1{lift}", json={"reason": "本人认为无冲突"}).status_code == 403
    assert post_form(client, lift, {"reason": "本人认为无冲突"}).status_code == 403
    assert client.get(f"{url}/score/{d1.id}").status_code == 404
    assert client.put(f"/api/v1{url}/scores/{d1.id}", json={"items": {"T": 90}}).status_code == 404
    assert 'data-confirm="提交后评分即为最终结果' in client.get(f"{url}/score/{w.dossiers[1].id}").text

    admin = TestClient(app, base_url="http://testserver", follow_redirects=False)
    login(admin, "region")
    assert 'data-confirm="解除后该专家将评审包头申报单位1' in admin.get(url).text
    blank = post_form(admin, lift, {"reason": " "})
    assert blank.status_code == 422 and "解除回避未办理：此项为必填" in blank.text
    conflict_id = session.scalar(select(PanelConflict.id).where(PanelConflict.org_id == org1.id))
    assert post_form(admin, lift, {"reason": "经核实，该专家顾问关系已于2024年终止"}).status_code == 303
    record = audit.history(session, "panel_conflicts", conflict_id)[-1]
    assert (record.action, record.actor_id) == ("delete", w.admin.user_id)
    reason = "自治区局解除回避（包头申报单位1）：经核实，该专家顾问关系已于2024年终止"
    assert audit.decode(record)["meta"]["reason"] == reason
    assert post_form(admin, lift, {"reason": "再次"}).status_code == 404  # nothing left to lift
    assert client.get(f"{url}/score/{d1.id}").status_code == 200, "lifted: the dossier is the expert's again"


def test_a_panel_closes_only_with_its_minimum_of_valid_scores_per_dossier(session, client):
    w = make_world(session, n_experts=3, n_dossiers=2)
    panel = _panel(session, w, min_scores=None)  # the setting: 3
    d1, d2 = w.dossiers
    for expert in w.experts:
        _score(session, expert, panel, d1.id, 70)
        _score(session, expert, panel, d2.id, 80)
    # The third expert turns out to work for the first applicant: their score of it is no valid score.
    session.get(User, w.experts[2].user_id).org_id = w.orgs[0].id
    session.commit()
    login(client, "region")
    page = client.get(f"/reviews/panels/{panel.id}").text
    assert "至少有 3 份有效评分" in page and 'data-confirm="结束后不能再评分' in page
    refused = post_form(client, f"/reviews/panels/{panel.id}/close", {})
    assert refused.status_code == 409
    named = refused.text.split("以下评审对象的有效评分不足 3 份，不能结束评审：")[1].split("<")[0]
    assert named.startswith("包头申报单位1（") and named.endswith("（2 份）") and "包头申报单位2" not in named
    session.get(User, w.experts[2].user_id).org_id = None
    session.commit()
    assert post_form(client, f"/reviews/panels/{panel.id}/close", {}).status_code == 303
    assert [r.n for r in reviews.results(session, panel.id)] == [3, 3]
