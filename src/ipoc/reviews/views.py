"""Pages of expert review: score sheets, panels, conflict declarations, score forms, results."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from ipoc.auth.roles import Principal, Role
from ipoc.config import get_settings
from ipoc.documents.render import document_response
from ipoc.errors import Conflict
from ipoc.lifecycle import recognition
from ipoc.reviews import documents as review_documents
from ipoc.reviews import service as reviews
from ipoc.reviews.models import PANEL_KINDS, PANEL_STATUS
from ipoc.reviews.schemas import (
    ConflictIn,
    ConflictLift,
    DecisionForm,
    MemberIn,
    PanelIn,
    ScoreIn,
    SheetIn,
    SheetRevision,
)
from ipoc.schemas import PathId
from ipoc.web.deps import DB, LoggedIn, role_required
from ipoc.web.export import xlsx_response
from ipoc.web.forms import FormResult, Posted, attempt, parse_form, refusable, see_other, submit, zh_message
from ipoc.web.templating import render

router = APIRouter()
Admin = Annotated[Principal, Depends(role_required(Role.REGION_ADMIN))]
Expert = Annotated[Principal, Depends(role_required(Role.EXPERT))]
Reviewer = Annotated[Principal, Depends(role_required(Role.REGION_ADMIN, Role.EXPERT))]

INDICATOR_FIELDS = {"code": "代码", "label": "指标", "weight": "权重", "max": "满分"}
BLANK_ROW = dict.fromkeys(INDICATOR_FIELDS, "")
KINDS = list(PANEL_KINDS.items())


def _texts(form: Any, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str)]


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _validate(model: type[BaseModel], raw: dict[str, Any], values: dict[str, Any]) -> FormResult[Any]:
    """Like ``parse_form`` for forms with repeated fields: an indicator row's error names its row, a
    score's error sits next to its indicator."""
    try:
        return FormResult(values, model.model_validate(raw), {})
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            loc, message = error["loc"], zh_message(error)
            if len(loc) >= 3 and loc[0] == "indicators" and isinstance(loc[1], int):
                key, message = "indicators", f"第 {loc[1] + 1} 行{INDICATOR_FIELDS.get(str(loc[2]), '')}：{message}"
            elif len(loc) == 2 and loc[0] == "items":
                key = f"item_{loc[1]}"
            else:
                key = str(loc[-1]) if loc else "__all__"
            errors.setdefault(key, message)
        return FormResult(values, None, errors)


# --- overview -----------------------------------------------------------------------------------------


@router.get("/reviews")
def index(request: Request, session: DB, p: Reviewer):
    """An expert's list of assigned dossiers and centers; the region admin's panels."""
    if p.role is Role.EXPERT:
        ctx = {"title": "我的评审任务", "assignments": reviews.assignments(session, p), "status": PANEL_STATUS}
        return render(request, "reviews/expert_index.html", ctx)
    ctx = {"title": "专家评审", "panels": reviews.list_panels(session, p), "kinds": PANEL_KINDS, "status": PANEL_STATUS}
    return render(request, "reviews/admin_index.html", ctx)


@router.get("/reviews/panels.xlsx")
def panels_export(session: DB, p: Admin):
    """The region admin's list of panels, as on the overview page."""
    headers = ["评审组", "类型", "申报批次 / 年度", "评分表", "评分表版本", "专家人数", "状态"]
    rows = [
        [
            panel.name,
            PANEL_KINDS[panel.kind],
            f"申报批次 #{panel.call_id}" if panel.kind == "recognition" else f"{panel.year} 年度",
            panel.sheet.name,
            panel.sheet.version,
            len(panel.members),
            PANEL_STATUS[panel.state],
        ]
        for panel in reviews.list_panels(session, p)
    ]
    return xlsx_response(
        session, title="评审组", filename="评审组.xlsx", headers=headers, rows=rows, entity_type="panels"
    )


# --- score sheets -------------------------------------------------------------------------------------


@router.get("/reviews/sheets")
def sheets(request: Request, session: DB, p: Admin):
    ctx = {"title": "评分表", "sheets": reviews.list_sheets(session, p), "kinds": PANEL_KINDS}
    return render(request, "reviews/sheets.html", ctx)


def _sheet_form(form: FormData, model: type[SheetIn | SheetRevision]) -> tuple[FormResult[Any], bool]:
    """The sheet form's rows (blank rows dropped) validated, and whether "add a row" was pressed."""
    columns = [_texts(form, name) for name in INDICATOR_FIELDS]
    rows = [dict(zip(INDICATOR_FIELDS, cells, strict=True)) for cells in zip(*columns, strict=False)]
    rows = [row for row in rows if any(cell.strip() for cell in row.values())]
    values = {"name": _text(form, "name"), "kind": _text(form, "kind"), "rows": rows}
    indicators = [{k: v for k, v in row.items() if v.strip()} for row in rows]
    raw = {"name": values["name"], "kind": values["kind"], "indicators": indicators}
    return _validate(model, raw, values), form.get("add_row") is not None


def _sheet_page(request: Request, ctx: dict[str, Any], result: FormResult[Any] | None = None, add_row: bool = False):
    """The sheet editor: a table of indicator rows, always with one blank row more to fill in."""
    values = result.values if result else ctx.pop("values")
    values["rows"] = [*values["rows"], BLANK_ROW]
    errors = result.errors if result and not add_row else {}
    status = 422 if errors else 200
    return render(request, "reviews/sheet_form.html", {**ctx, "values": values, "errors": errors}, status_code=status)


@router.get("/reviews/sheets/new")
def new_sheet_page(request: Request, p: Admin):
    ctx = {"title": "新建评分表", "kinds": KINDS, "values": {"rows": [BLANK_ROW, BLANK_ROW], "kind": "recognition"}}
    return _sheet_page(request, ctx)


@router.post("/reviews/sheets/new")
def new_sheet(request: Request, posted: Posted, session: DB, p: Admin):
    form, add_row = _sheet_form(posted, SheetIn)
    if not add_row and form.ok and form.data is not None:
        data = form.data
        attempt(session, form, lambda: reviews.create_sheet(session, p, data))
        if form.ok:
            return see_other("/reviews/sheets")
    return _sheet_page(request, {"title": "新建评分表", "kinds": KINDS}, form, add_row)


def _edit_ctx(sheet) -> dict[str, Any]:
    return {"title": f"修改评分表：{sheet.name}", "sheet": sheet, "kind_label": PANEL_KINDS.get(sheet.kind, sheet.kind)}


@router.get("/reviews/sheets/{sheet_id}/edit")
def edit_sheet_page(sheet_id: PathId, request: Request, session: DB, p: Admin):
    sheet = reviews.get_sheet(session, p, sheet_id)
    rows = [{k: reviews.fmt(v) if k in ("weight", "max") else v for k, v in ind.items()} for ind in sheet.indicators]
    return _sheet_page(request, {**_edit_ctx(sheet), "values": {"rows": rows}})


@router.post("/reviews/sheets/{sheet_id}/edit")
def edit_sheet(sheet_id: PathId, request: Request, posted: Posted, session: DB, p: Admin):
    sheet = reviews.get_sheet(session, p, sheet_id)
    form, add_row = _sheet_form(posted, SheetRevision)
    if not add_row and form.ok and form.data is not None:
        data = form.data
        attempt(session, form, lambda: reviews.revise_sheet(session, p, sheet_id, data))
        if form.ok:
            return see_other("/reviews/sheets")
    return _sheet_page(request, _edit_ctx(sheet), form, add_row)


# --- panels -------------------------------------------------------------------------------------------


def _new_panel_ctx(session: DB, p: Principal, **extra) -> dict[str, Any]:
    sheets = [
        (s.id, f"{s.name}（第 {s.version} 版，{PANEL_KINDS.get(s.kind, s.kind)}）")
        for s in reviews.list_sheets(session, p)
    ]
    calls = [(c.id, c.title) for c in reviews.call_choices(session)]
    return {"title": "组建评审组", "kinds": KINDS, "sheets": sheets, "calls": calls, **extra}


@router.get("/reviews/panels/new")
def new_panel_page(request: Request, session: DB, p: Admin):
    values = {"kind": "recognition", "min_scores": get_settings().review_min_scores}
    return render(request, "reviews/panel_form.html", _new_panel_ctx(session, p, values=values))


@router.post("/reviews/panels/new")
def new_panel(request: Request, posted: Posted, session: DB, p: Admin):
    form, created = submit(posted, session, PanelIn, lambda data: reviews.create_panel(session, p, data))
    if created is None:
        ctx = _new_panel_ctx(session, p, errors=form.errors, values=form.values)
        return render(request, "reviews/panel_form.html", ctx, status_code=422)
    return see_other(f"/reviews/panels/{created.id}")


def _panel_page(request: Request, session: DB, p: Principal, panel_id: int, status_code: int = 200, **extra):
    """The panel as the region admin sees it (members, conflicts, progress) or as one of its experts."""
    panel = reviews.get_panel(session, p, panel_id)
    ctx = {"title": panel.name, "panel": panel, "kinds": PANEL_KINDS, "status": PANEL_STATUS, **extra}
    if p.role is Role.EXPERT:
        ctx["assignment"] = reviews.assignment(session, p, panel_id)
        return render(request, "reviews/panel_expert.html", ctx, status_code=status_code)
    ctx["progress"] = reviews.progress(session, p, panel_id)
    ctx["experts"] = [(u.id, u.display_name) for u in reviews.expert_choices(session, panel)]
    return render(request, "reviews/panel_admin.html", ctx, status_code=status_code)


@router.get("/reviews/panels/{panel_id}")
def panel_page(panel_id: PathId, request: Request, session: DB, p: Reviewer):
    return _panel_page(request, session, p, panel_id)


@router.post("/reviews/panels/{panel_id}/members")
def add_member(panel_id: PathId, request: Request, posted: Posted, session: DB, p: Admin):
    form = parse_form(posted, MemberIn)
    if form.ok and form.data is not None:
        expert_id = form.data.expert_id
        attempt(session, form, lambda: reviews.add_member(session, p, panel_id, expert_id))
    if form.errors:
        return _panel_page(request, session, p, panel_id, 422, errors=form.errors, values=form.values)
    return see_other(f"/reviews/panels/{panel_id}")


@router.post("/reviews/panels/{panel_id}/members/{member_id}/remove")
def remove_member(panel_id: PathId, member_id: PathId, session: DB, p: Admin):
    reviews.remove_member(session, p, panel_id, member_id)
    return see_other(f"/reviews/panels/{panel_id}")


@router.post("/reviews/panels/{panel_id}/close")
def close_panel(panel_id: PathId, request: Request, session: DB, p: Admin):
    """Refused with the list of subjects still unscored; the panel page says which."""
    try:
        with refusable(session):
            reviews.close_panel(session, p, panel_id)
    except Conflict as exc:
        return _panel_page(request, session, p, panel_id, exc.status_code, errors={"__all__": exc.message})
    return see_other(f"/reviews/panels/{panel_id}/results")


# --- the expert's declaration and scores --------------------------------------------------------------


def _conflicts_page(request: Request, session: DB, p: Principal, panel_id: int, status_code: int = 200, **extra):
    panel, member = reviews.own_member(session, p, panel_id)
    involved, others = reviews.conflict_choices(session, panel)
    ctx = {"title": f"利益冲突申报：{panel.name}", "panel": panel, "member": member, "involved": involved}
    ctx |= {"others": others, "declared": {c.org_id for c in member.conflicts}, **extra}
    ctx.setdefault("values", {"org_ids": {str(c.org_id) for c in member.conflicts}, "note": member.conflict_note})
    return render(request, "reviews/conflicts.html", ctx, status_code=status_code)


@router.get("/reviews/panels/{panel_id}/conflicts")
def conflicts_page(panel_id: PathId, request: Request, session: DB, p: Expert):
    return _conflicts_page(request, session, p, panel_id)


@router.post("/reviews/panels/{panel_id}/conflicts")
def declare_conflicts(panel_id: PathId, request: Request, posted: Posted, session: DB, p: Expert):
    org_ids = _texts(posted, "org_id")
    values = {"org_ids": set(org_ids), "note": _text(posted, "note")}
    result = _validate(ConflictIn, {"org_ids": org_ids, "note": values["note"]}, values)
    if result.ok and result.data is not None:
        data = result.data
        attempt(session, result, lambda: reviews.declare_conflicts(session, p, panel_id, data))
    if result.errors:
        return _conflicts_page(request, session, p, panel_id, result.status, errors=result.errors, values=values)
    return see_other(f"/reviews/panels/{panel_id}")


@router.post("/reviews/panels/{panel_id}/experts/{expert_id}/conflicts/{org_id}/lift")
def lift_conflict(
    panel_id: PathId, expert_id: PathId, org_id: PathId, request: Request, posted: Posted, session: DB, p: Admin
):
    """The region bureau lifts an expert's declared conflict, with a reason (kept in the audit trail)."""
    form, lifted = submit(
        posted, session, ConflictLift, lambda data: reviews.lift_conflict(session, p, panel_id, expert_id, org_id, data)
    )
    if lifted is None:
        errors = {"__all__": "解除回避未办理：" + "；".join(form.errors.values())}
        return _panel_page(request, session, p, panel_id, form.status, errors=errors)
    return see_other(f"/reviews/panels/{panel_id}")


def _score_page(request: Request, session: DB, p: Principal, panel_id: int, subject_id: int, status_code=200, **extra):
    panel, subject, score = reviews.score_form(session, p, panel_id, subject_id)
    ctx: dict[str, Any] = {"title": f"评分：{reviews.subject_label(subject)}", "panel": panel, "subject": subject}
    ctx |= {"label": reviews.subject_label(subject), "score": score, "fmt": reviews.fmt, **extra}
    if "values" not in ctx and score is not None:
        ctx["values"] = {f"item_{k}": reviews.fmt(v) for k, v in score.items.items()} | {"comment": score.comment}
    return render(request, "reviews/score_form.html", ctx, status_code=status_code)


@router.get("/reviews/panels/{panel_id}/score/{subject_id}")
def score_page(panel_id: PathId, subject_id: PathId, request: Request, session: DB, p: Expert):
    return _score_page(request, session, p, panel_id, subject_id)


@router.post("/reviews/panels/{panel_id}/score/{subject_id}")
def save_score(panel_id: PathId, subject_id: PathId, request: Request, posted: Posted, session: DB, p: Expert):
    values = {k: v for k, v in posted.items() if isinstance(v, str) and k != "csrf_token"}
    items = {k.removeprefix("item_"): v for k, v in values.items() if k.startswith("item_") and v.strip()}
    raw = {"items": items, "comment": values.get("comment", ""), "submit": values.get("action") == "submit"}
    result = _validate(ScoreIn, raw, values)
    if result.data is not None:  # every indicator's problem at once, not the first one only
        panel = reviews.score_form(session, p, panel_id, subject_id)[0]
        result.errors |= reviews.item_problems(panel.sheet, result.data.items, complete=result.data.submit)
    if result.ok and result.data is not None:
        data = result.data
        attempt(session, result, lambda: reviews.save_score(session, p, panel_id, subject_id, data))
    if result.errors:
        return _score_page(request, session, p, panel_id, subject_id, 422, errors=result.errors, values=values)
    if raw["submit"]:
        return see_other(f"/reviews/panels/{panel_id}")
    return _score_page(request, session, p, panel_id, subject_id, flash="评分已保存（尚未提交，可继续修改）")


@router.get("/reviews/scores/{score_id}.{fmt}")
def score_document(score_id: PathId, fmt: str, session: DB, p: LoggedIn):
    """The expert's score sheet to print and sign, as PDF or DOCX: 404 for anyone but its expert and the
    region admin."""
    score = reviews.score_for_document(session, p, score_id)
    return document_response(review_documents.score_sheet_document(session, score.id), fmt, f"专家评分表-{score.id}")


# --- results and decisions ----------------------------------------------------------------------------


def _results_page(request: Request, session: DB, p: Principal, panel_id: int, status_code: int = 200, **extra):
    panel, found = reviews.panel_results(session, p, panel_id)
    ctx = {"title": f"评审结果：{panel.name}", "panel": panel, "results": found, "kinds": PANEL_KINDS}
    ctx |= {"fmt": reviews.fmt, "is_admin": p.role is Role.REGION_ADMIN, **extra}
    return render(request, "reviews/results.html", ctx, status_code=status_code)


@router.get("/reviews/panels/{panel_id}/results")
def results_page(panel_id: PathId, request: Request, session: DB, p: Reviewer):
    return _results_page(request, session, p, panel_id)


def _expert_cells(result: reviews.Result) -> list[str]:
    totals = "；".join(f"{t.label}：{reviews.fmt(t.total)}" for t in result.totals)
    return ["、".join(result.outliers), totals]


@router.get("/reviews/panels/{panel_id}/results.xlsx")
def results_export(panel_id: PathId, session: DB, p: Reviewer):
    panel, found = reviews.panel_results(session, p, panel_id)
    headers = [
        "排名",
        "评审对象",
        "专家人数",
        "平均分",
        "标准差",
        "最高分",
        "最低分",
        "极差",
        "分歧较大",
        "偏离专家",
        "各专家得分",
    ]
    rows = [
        [
            r.rank,
            r.label,
            r.n,
            r.mean,
            r.stdev,
            r.max,
            r.min,
            r.spread,
            "是" if r.wide_spread else "否",
            *_expert_cells(r),
        ]
        for r in found
    ]
    return xlsx_response(
        session,
        title=f"评审结果：{panel.name}",
        filename=f"评审结果-{panel.name}.xlsx",
        headers=headers,
        rows=rows,
        entity_type="panels",
    )


@router.post("/reviews/panels/{panel_id}/decide/{application_id}")
def decide(panel_id: PathId, application_id: PathId, request: Request, posted: Posted, session: DB, p: Admin):
    """Shortlist or reject a reviewed dossier from the ranked list."""
    form = parse_form(posted, DecisionForm)
    if form.ok and form.data is not None:
        data = form.data
        decide_on = recognition.shortlist if data.action == "shortlist" else recognition.reject_after_review
        attempt(session, form, lambda: decide_on(session, p, application_id, data.reason))
    if form.errors:
        errors = {"__all__": "；".join(form.errors.values())}
        return _results_page(request, session, p, panel_id, form.status, errors=errors, values=form.values)
    return see_other(f"/reviews/panels/{panel_id}/results")
