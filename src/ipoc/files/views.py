"""The one way to fetch an uploaded file: as a download, for callers allowed to see its owner."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import FileResponse

from ipoc.files import service as files
from ipoc.schemas import PathId
from ipoc.web.deps import DB, CurrentPrincipal

router = APIRouter()


def _disposition(filename: str) -> str:
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _sent_as_download(file: files.Download) -> FileResponse:
    """Always a download, never rendered: attachment disposition, no sniffing, sandboxed if opened."""
    headers = {
        "Content-Disposition": _disposition(file.filename),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
        "Cache-Control": "private, no-store",
    }
    return FileResponse(file.path, media_type=file.content_type, headers=headers)


@router.get("/files/{att_id}")
def download(att_id: PathId, session: DB, p: CurrentPrincipal):
    return _sent_as_download(files.serve(session, p, att_id))
