"""JSON API for the audit trail (region bureau only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from ipoc.audit import service
from ipoc.audit.schemas import AuditRecordOut, VerifyOut
from ipoc.auth.roles import Principal, Role
from ipoc.web.deps import DB, role_required

router = APIRouter(tags=["审计"])
Admin = Annotated[Principal, Depends(role_required(Role.REGION_ADMIN))]


@router.get("/audit/verify", response_model=VerifyOut)
def verify(session: DB, _admin: Admin):
    return service.verify_chain(session).__dict__


@router.get("/audit/{entity_type}/{entity_id}", response_model=list[AuditRecordOut])
def history(entity_type: str, entity_id: str, session: DB, _admin: Admin):
    return service.history(session, entity_type, entity_id)
