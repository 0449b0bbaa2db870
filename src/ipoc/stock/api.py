"""JSON API of the stock domain (under /api/v1); who sees what is decided in the service."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi import status as http
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import FormData, UploadFile

from ipoc.errors import InvalidInput
from ipoc.schemas import PathId
from ipoc.stock import service as svc
from ipoc.stock.models import StockBatch, StockIntake, StockPatent
from ipoc.stock.schemas import (
    BatchIn,
    BatchOut,
    GroupIn,
    IntakeOut,
    IssueOut,
    OverrideIn,
    ReportOut,
    StockRowIn,
    StockRowOut,
)
from ipoc.stock.views import save_upload
from ipoc.transfer.api import offer_out
from ipoc.transfer.schemas import OfferOut
from ipoc.web.deps import DB, LoggedIn

router = APIRouter(tags=["存量专利盘活"])
_ROWS = TypeAdapter(list[StockRowIn])


def batch_out(b: StockBatch, count: int) -> BatchOut:
    return BatchOut(id=b.id, org=b.org.name, center_id=b.center_id, title=b.title, note=b.note, patents=count)


def intake_out(r: StockIntake) -> IntakeOut:
    issues = [IssueOut(row=row, field=field, reason=reason, value=value) for row, field, reason, value in r.issues]
    return IntakeOut(
        id=r.id,
        batch_id=r.batch_id,
        source=r.source,
        rows=r.rows,
        added=r.added,
        linked=r.linked,
        unlinked=r.unlinked,
        duplicates=r.duplicates,
        bad=r.bad,
        issues=issues,
    )


def row_out(r: StockPatent) -> StockRowOut:
    keep = ("id", "application_no", "linked", "title", "college", "contact", "note", "status_class", "kind",
            "ipc_section", "ipc_class", "expires_on", "remaining_years", "suggestion", "override", "override_note",
            "action", "action_label", "offer_id", "screened_on", "holder_state", "holders")  # fmt: skip
    values = {k: getattr(r, k) for k in keep}
    return StockRowOut(**values, status=r.status_label, indicators=r.indicators or {}, reasons=r.reasons or [])


@router.get("/stock/batches", response_model=list[BatchOut])
def list_batches(session: DB, p: LoggedIn):
    found = svc.list_batches(session, p)
    counts = svc.patent_counts(session, (b.id for b in found))
    return [batch_out(b, counts.get(b.id, 0)) for b in found]


@router.post("/stock/batches", status_code=http.HTTP_201_CREATED, response_model=BatchOut)
def create_batch(data: BatchIn, session: DB, p: LoggedIn):
    return batch_out(svc.create_batch(session, p, data), 0)


@router.get("/stock/batches/{batch_id}", response_model=BatchOut)
def get_batch(batch_id: PathId, session: DB, p: LoggedIn):
    batch = svc.get_batch(session, p, batch_id)
    return batch_out(batch, svc.patent_counts(session, [batch.id]).get(batch.id, 0))


@router.get("/stock/batches/{batch_id}/rows", response_model=list[StockRowOut])
def list_rows(
    batch_id: PathId,
    session: DB,
    p: LoggedIn,
    college: str = "",
    status: str = "",
    kind: str = "",
    action: str = "",
    section: str = "",
    grouped: str = "",
):
    batch = svc.get_batch(session, p, batch_id)
    filters = {"college": college, "status": status, "kind": kind, "action": action, "section": section}
    rows = svc.list_rows(session, batch, grouped=grouped or None, **{k: v or None for k, v in filters.items()})
    return [row_out(r) for r in rows]


async def _posted_rows(request: Request) -> bytes | FormData:
    """The body as sent, read on the event loop: JSON bytes, or the parsed multipart form."""
    if "json" in request.headers.get("content-type", ""):
        return await request.body()
    return await request.form()


@router.post("/stock/batches/{batch_id}/rows", status_code=http.HTTP_201_CREATED, response_model=IntakeOut)
def add_rows(batch_id: PathId, session: DB, p: LoggedIn, posted: Annotated[bytes | FormData, Depends(_posted_rows)]):
    """multipart/form-data with ``file`` (CSV/XLSX), or a JSON list of {application_no, college, contact,
    note, title}. The answer is the intake report: kept rows counted, every refused row listed."""
    svc.managed_batch(session, p, batch_id)
    if isinstance(posted, bytes):
        try:
            records = _ROWS.validate_json(posted)
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from None
        return intake_out(svc.intake_records(session, p, batch_id, records))
    upload = posted.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput("请上传文件（file）或提交 JSON 清单", field="file")
    with tempfile.TemporaryDirectory() as folder:
        path = save_upload(upload, Path(folder))
        return intake_out(svc.intake_file(session, p, batch_id, path, upload.filename))


@router.post("/stock/batches/{batch_id}/relink")
def relink(batch_id: PathId, session: DB, p: LoggedIn) -> dict[str, int]:
    return {"linked": svc.relink(session, p, batch_id)}


@router.post("/stock/batches/{batch_id}/screen")
def rescreen(batch_id: PathId, session: DB, p: LoggedIn) -> dict[str, int]:
    return {"screened": svc.rescreen(session, p, batch_id)}


@router.post("/stock/batches/{batch_id}/rows/{row_id}/override", response_model=StockRowOut)
def override(batch_id: PathId, row_id: PathId, data: OverrideIn, session: DB, p: LoggedIn):
    return row_out(svc.override(session, p, batch_id, row_id, data))


@router.get("/stock/batches/{batch_id}/report", response_model=ReportOut)
def report(batch_id: PathId, session: DB, p: LoggedIn):
    breakdowns = svc.report(session, svc.get_batch(session, p, batch_id))
    pairs: dict[str, list[list[str | int]]] = {k: [[label, n] for label, n in v] for k, v in breakdowns.items()}
    return ReportOut(batch_id=batch_id, total=sum(n for _l, n in breakdowns["status"]), breakdowns=pairs)


@router.get("/stock/batches/{batch_id}/offers")
def offers(batch_id: PathId, session: DB, p: LoggedIn) -> list[dict]:
    batch = svc.get_batch(session, p, batch_id)
    return [{"offer_id": i, "title": t, "status": s, "patents": n} for i, t, s, n in svc.batch_offers(session, batch)]


@router.post("/stock/batches/{batch_id}/offers", status_code=http.HTTP_201_CREATED, response_model=OfferOut)
def group(batch_id: PathId, data: GroupIn, session: DB, p: LoggedIn):
    return offer_out(session, svc.group_into_offer(session, p, batch_id, data))
