"""JSON API: the progress and outcome of one's jobs."""

from __future__ import annotations

from fastapi import APIRouter

from ipoc.jobs import service as jobs
from ipoc.jobs.schemas import JobOut
from ipoc.schemas import PathId
from ipoc.web.deps import DB, LoggedIn

router = APIRouter(tags=["任务"])


@router.get("/jobs/{job_id}", response_model=JobOut)
def get_job(job_id: PathId, session: DB, p: LoggedIn):
    return JobOut.model_validate(jobs.visible_job(session, p, job_id))
