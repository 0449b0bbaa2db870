"""Admin pages: the audit log, a record's history, and the chain check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from ipoc.audit import present, service
from ipoc.auth.roles import Principal, Role
from ipoc.schemas import PageNo
from ipoc.web.deps import DB, role_required
from ipoc.web.templating import render

router = APIRouter()
Admin = Annotated[Principal, Depends(role_required(Role.REGION_ADMIN))]
PAGE = 50


@router.get("/admin/audit")
def audit_log(
    request: Request,
    session: DB,
    _admin: Admin,
    page: PageNo = 1,
    entity_type: str | None = None,
    entity_id: str | None = None,
    verify: int = 0,
):
    page = max(page, 1)
    if entity_type and entity_id:
        records = service.history(session, entity_type, entity_id)
    else:
        records = service.recent(session, limit=PAGE, offset=(page - 1) * PAGE)
    ctx = {
        "title": "审计日志",
        "history": records,
        "show_entity": True,
        "entity_types": present.entity_types(),
        "page": page,
        "entity_type": entity_type or "",
        "entity_id": entity_id or "",
        "check": service.verify_chain(session) if verify else None,
    }
    return render(request, "audit/log.html", ctx)
