"""The one way to fetch an uploaded file: as a download, for callers allowed to see its owner."""

from __future__ import annotations

from fastapi import APIRouter

from ipoc.files import service as files
from ipoc.schemas import PathId
from ipoc.web.deps import DB, CurrentPrincipal

router = APIRouter()


@router.get("/files/{att_id}")
def download(att_id: PathId, session: DB, p: CurrentPrincipal):
    return files.serve(session, p, att_id)
