"""Pages of the stock domain: batches, intake (upload or paste) with its report, rows with filters and
screening marks, overrides, grouping into a draft offer, and the inventory report; the rules live in
service.py."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from ipoc.auth.roles import Principal, Role
from ipoc.centers.models import ACTIVE_STATUSES, Center
from ipoc.errors import DomainError, InvalidInput, PayloadTooLarge
from ipoc.orgs.models import Organisation, OrgState
from ipoc.patents.ipc import IPC_SECTIONS, section_label
from ipoc.patents.models import KIND_LABELS, STATUS_LABELS
from ipoc.schemas import PathId
from ipoc.stock import intake
from ipoc.stock import service as svc
from ipoc.stock.models import ACTIONS, StockBatch
from ipoc.stock.schemas import BatchIn, GroupIn, OverrideIn
from ipoc.stock.screening import CRITERION_STATES, HIGH_VALUE_LABELS
from ipoc.transfer.models import MODES, TRL_LABELS
from ipoc.web.deps import DB, LoggedIn
from ipoc.web.export import xlsx_workbook_response
from ipoc.web.forms import FormResult, Posted, attempt, parse_form, refusable, see_other, submit
from ipoc.web.templating import render

router = APIRouter()
# 未知 must not look like 不满足: a warning colour for missing data, a muted one for a known no.
CRITERION_BADGES = {"yes": "text-bg-success", "no": "text-bg-secondary", "unknown": "text-bg-warning"}


# --- batches ------------------------------------------------------------------------------------------


@router.get("/stock")
def batches(request: Request, session: DB, p: LoggedIn):
    found = svc.list_batches(session, p)
    ctx = {"title": "存量专利盘活", "batches": found, "counts": svc.patent_counts(session, (b.id for b in found))}
    return render(request, "stock/batches.html", ctx)


def _batch_form(request: Request, session: Session, p: Principal, form: FormResult | None = None):
    orgs = session.scalars(
        select(Organisation)
        .where(Organisation.type_code.in_(svc.STOCK_ORG_TYPES), Organisation.state == OrgState.VERIFIED)
        .order_by(Organisation.name)
    )
    centers = session.scalars(select(Center).where(Center.state.in_(ACTIVE_STATUSES)).order_by(Center.id))
    ctx = {
        "title": "登记存量专利批次",
        "staff": p.is_(Role.CENTER_STAFF),
        "orgs": [(o.id, o.name) for o in orgs],
        "centers": [(c.id, c.name) for c in centers],
        "errors": form.errors if form else {},
        "values": form.values if form else {},
    }
    return render(request, "stock/batch_form.html", ctx, status_code=form.status if form else 200)


@router.get("/stock/new")
def new_batch(request: Request, session: DB, p: LoggedIn):
    return _batch_form(request, session, p)


@router.post("/stock/new")
def create_batch(request: Request, posted: Posted, session: DB, p: LoggedIn):
    form, made = submit(posted, session, BatchIn, lambda data: svc.create_batch(session, p, data))
    if made is None:
        return _batch_form(request, session, p, form)
    return see_other(f"/stock/{made.id}")


def _filters(request: Request) -> dict[str, str | None]:
    return {name: (request.query_params.get(name) or None) for name in svc.FILTERS}


def _batch_page(request: Request, session: Session, p: Principal, batch: StockBatch, status_code=200, **extra):
    filters = _filters(request)
    ctx = {
        "title": batch.title,
        "batch": batch,
        "manage": svc.may_manage(p, batch),
        "rows": svc.list_rows(session, batch, **filters),
        "total": svc.patent_counts(session, [batch.id]).get(batch.id, 0),
        "f": {k: v or "" for k, v in filters.items()},
        "colleges": svc.colleges(session, batch),
        "statuses": [*STATUS_LABELS.items(), ("unlinked", "未入库")],
        "kinds": list(KIND_LABELS.items()),
        "actions": list(ACTIONS.items()),
        "sections": list(IPC_SECTIONS.items()),
        "intakes": svc.intakes(session, batch)[:10],
        "offers": svc.batch_offers(session, batch),
        "max_mb": intake.MAX_UPLOAD >> 20,
        **extra,
    }
    return render(request, "stock/batch.html", ctx, status_code=status_code)


@router.get("/stock/{batch_id}")
def batch_detail(batch_id: PathId, request: Request, session: DB, p: LoggedIn):
    return _batch_page(request, session, p, svc.get_batch(session, p, batch_id))


def save_upload(upload: UploadFile, folder: Path) -> Path:
    """The upload in a private temporary folder, refused past MAX_UPLOAD; the caller removes the folder.
    Reads the spooled upload synchronously (callers run in the thread pool)."""
    suffix = intake.check_suffix(upload.filename or "")
    target = folder / f"list{suffix}"
    written = 0
    with target.open("wb") as out:
        while chunk := upload.file.read(1 << 20):
            written += len(chunk)
            if written > intake.MAX_UPLOAD:
                raise PayloadTooLarge(f"文件超过 {intake.MAX_UPLOAD >> 20} MB 上限", field="file")
            out.write(chunk)
    return target


@router.post("/stock/{batch_id}/intake")
def intake_page(batch_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    """A file or pasted text; the report page follows. A refused file is shown on the batch page, unwritten."""
    batch = svc.managed_batch(session, p, batch_id)
    upload, text = posted.get("file"), posted.get("text")
    try:
        with refusable(session):
            if isinstance(upload, UploadFile) and upload.filename:
                with tempfile.TemporaryDirectory() as folder:
                    path = save_upload(upload, Path(folder))
                    record = svc.intake_file(session, p, batch.id, path, upload.filename)
            elif isinstance(text, str) and text.strip():
                record = svc.intake_text(session, p, batch.id, text)
            else:
                raise InvalidInput("请选择文件或粘贴申请号清单", field="file")
    except DomainError as exc:
        batch = svc.managed_batch(session, p, batch_id)
        values = {"text": text if isinstance(text, str) else ""}
        errors = {exc.field or "file": exc.message}
        return _batch_page(request, session, p, batch, 422, errors=errors, values=values)
    return see_other(f"/stock/{batch.id}/intakes/{record.id}")


@router.get("/stock/{batch_id}/intakes/{intake_id}")
def intake_report(batch_id: PathId, intake_id: PathId, request: Request, session: DB, p: LoggedIn):
    batch = svc.get_batch(session, p, batch_id)
    record = svc.get_intake(session, p, batch_id, intake_id)
    return render(request, "stock/intake.html", {"title": "导入报告", "batch": batch, "record": record})


@router.post("/stock/{batch_id}/relink")
def relink(batch_id: PathId, session: DB, p: LoggedIn):
    svc.relink(session, p, batch_id)
    return see_other(f"/stock/{batch_id}")


@router.post("/stock/{batch_id}/screen")
def rescreen(batch_id: PathId, session: DB, p: LoggedIn):
    svc.rescreen(session, p, batch_id)
    return see_other(f"/stock/{batch_id}")


# --- one row: screening and override ------------------------------------------------------------------


def _row_page(request: Request, session: Session, p: Principal, batch_id: int, row_id: int, form=None):
    batch = svc.get_batch(session, p, batch_id)
    row = svc.get_row(session, p, batch_id, row_id)
    ctx = {
        "title": row.application_no,
        "batch": batch,
        "row": row,
        "manage": svc.may_manage(p, batch),
        "actions": list(ACTIONS.items()),
        "high_value_labels": HIGH_VALUE_LABELS,
        "criterion_states": CRITERION_STATES,
        "criterion_badges": CRITERION_BADGES,
        "section_label": section_label(row.ipc_section),
        "errors": form.errors if form else {},
        "values": form.values if form else {"action": row.override or "", "note": row.override_note},
    }
    return render(request, "stock/row.html", ctx, status_code=form.status if form else 200)


@router.get("/stock/{batch_id}/rows/{row_id}")
def row_detail(batch_id: PathId, row_id: PathId, request: Request, session: DB, p: LoggedIn):
    return _row_page(request, session, p, batch_id, row_id)


@router.post("/stock/{batch_id}/rows/{row_id}")
def row_override(batch_id: PathId, row_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    form = parse_form(posted, OverrideIn)
    if form.ok and form.data is not None:
        data = form.data
        attempt(session, form, lambda: svc.override(session, p, batch_id, row_id, data))
    if form.errors:
        return _row_page(request, session, p, batch_id, row_id, form)
    return see_other(f"/stock/{batch_id}/rows/{row_id}")


# --- grouping -----------------------------------------------------------------------------------------


def _group_page(request: Request, session: Session, p: Principal, batch_id: int, row_ids: list[int], form=None):
    batch = svc.managed_batch(session, p, batch_id)
    rows = [r for r in svc.list_rows(session, batch) if r.id in set(row_ids)]
    errors: dict[str, str] = dict(form.errors) if form else {}
    if not form and not rows:
        errors["row_ids"] = "请先在清单中勾选要组包的专利"
    elif not form:
        try:
            svc.check_groupable(rows)
        except DomainError as exc:
            errors["row_ids"] = exc.message
    ctx = {
        "title": "组包为技术供给",
        "batch": batch,
        "rows": rows,
        "modes": list(MODES.items()),
        "trls": list(TRL_LABELS.items()),
        "errors": errors,
        "values": form.values if form else {"title": batch.title},
    }
    status = form.status if form else (422 if errors else 200)
    return render(request, "stock/group.html", ctx, status_code=status)


def _ids(values: list[Any]) -> list[int]:
    return [int(v) for v in values if isinstance(v, str) and v.isdigit() and len(v) < 10]


@router.get("/stock/{batch_id}/group")
def group_form(batch_id: PathId, request: Request, session: DB, p: LoggedIn):
    return _group_page(request, session, p, batch_id, _ids(request.query_params.getlist("row_ids")))


@router.post("/stock/{batch_id}/group")
def group(batch_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    action = lambda data: svc.group_into_offer(session, p, batch_id, data)  # noqa: E731
    form, made = submit(posted, session, GroupIn, action, lists=("modes", "row_ids"))
    if made is None:
        return _group_page(request, session, p, batch_id, _ids(form.values.get("row_ids", [])), form)
    # a draft offer is seen by the organisation's members only: staff who made it on its behalf go back to the batch
    return see_other(f"/offers/{made.id}" if p.is_(Role.MEMBER) else f"/stock/{batch_id}")


# --- report -------------------------------------------------------------------------------------------


@router.get("/stock/{batch_id}/report")
def report(batch_id: PathId, request: Request, session: DB, p: LoggedIn):
    batch = svc.get_batch(session, p, batch_id)
    breakdowns = svc.report(session, batch)
    ctx = {
        "title": f"{batch.title} · 盘点报告",
        "batch": batch,
        "breakdowns": breakdowns,
        "labels": svc.BREAKDOWNS,
        "total": sum(n for _label, n in breakdowns["status"]),
    }
    return render(request, "stock/report.html", ctx)


@router.get("/stock/{batch_id}/report.xlsx")
def report_xlsx(batch_id: PathId, session: DB, p: LoggedIn):
    batch = svc.get_batch(session, p, batch_id)
    return xlsx_workbook_response(
        session, filename=f"存量专利盘点-{batch.id}.xlsx", sheets=svc.report_sheets(session, batch),
        entity_type="stock_batches",
    )  # fmt: skip
