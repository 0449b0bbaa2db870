"""Page: the region bureau's letterhead for the DOCX of official documents."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from ipoc.auth.roles import Principal, Role
from ipoc.documents import letterhead
from ipoc.errors import DomainError
from ipoc.web.deps import DB, role_required
from ipoc.web.forms import Posted, posted_upload, refusable, see_other
from ipoc.web.templating import render

router = APIRouter()
Admin = Annotated[Principal, Depends(role_required(Role.REGION_ADMIN))]


def _page(request: Request, session: DB, status_code: int = 200, **extra: Any):
    ctx = {"title": "公文版头", "current": letterhead.current(session), "errors": {}, **extra}
    return render(request, "documents/letterhead.html", ctx, status_code=status_code)


@router.get("/letterhead")
def letterhead_page(request: Request, session: DB, _p: Admin):
    return _page(request, session)


@router.post("/letterhead")
def upload_letterhead(request: Request, posted: Posted, session: DB, p: Admin):
    file = posted.get("file")
    try:
        with refusable(session):
            letterhead.upload(session, p, posted_upload(file))
    except DomainError as exc:
        return _page(request, session, exc.status_code, errors={"file": exc.message})
    return see_other("/letterhead")


@router.post("/letterhead/remove")
def remove_letterhead(session: DB, p: Admin):
    letterhead.remove(session, p)
    return see_other("/letterhead")
