"""Pages: a job's progress (polled by htmx every second until it ends) and its outcome."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ipoc.jobs import service as jobs
from ipoc.patents import service as patents
from ipoc.patents.provenance import TOOLS
from ipoc.schemas import PathId
from ipoc.web.deps import DB, LoggedIn
from ipoc.web.templating import render, templates

router = APIRouter()
IMPORT_COUNTS = [
    ("imported", "新增"),
    ("updated", "更新"),
    ("unchanged", "未变"),
    ("rejected", "拒绝"),
    ("warnings", "警告"),
]


def _ctx(job) -> dict:
    columns = patents.column_destinations(job.result.get("columns", [])) if job.kind == "import" else []
    return {
        "title": f"{job.kind_label} #{job.id}",
        "job": job,
        "import_counts": IMPORT_COUNTS,
        "columns": columns,
        "column_status": patents.COLUMN_STATUS,
        "tools": TOOLS,
    }


@router.get("/jobs/{job_id}")
def job_page(job_id: PathId, request: Request, session: DB, p: LoggedIn):
    return render(request, "jobs/job.html", _ctx(jobs.visible_job(session, p, job_id)))


@router.get("/jobs/{job_id}/progress")
def job_progress(job_id: PathId, request: Request, session: DB, p: LoggedIn):
    """The fragment the job page swaps in every second (no navigation to build); it stops once the job has ended."""
    return templates.TemplateResponse(request, "jobs/_progress.html", _ctx(jobs.visible_job(session, p, job_id)))
