"""JSON API for the audit trail (region bureau only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from ipoc.audit import present, service
from ipoc.audit.schemas import AuditRecordOut, VerifyOut
from ipoc.auth.roles import Principal, Role
from ipoc.web.deps import DB, role_required

router = APIRouter(tags=["审计"])
# The stored record as chained, beside its reading in Chinese.
RAW_FIELDS = (
    *("id", "ts", "actor_id", "actor_label", "entity_type", "entity_id", "action"),
    *("before_json", "after_json", "meta_json", "hash"),
)
Admin = Annotated[Principal, Depends(role_required(Role.REGION_ADMIN))]


@router.get("/audit/verify", response_model=VerifyOut)
def verify(session: DB, _admin: Admin):
    return service.verify_chain(session).__dict__


@router.get("/audit/{entity_type}/{entity_id}", response_model=list[AuditRecordOut])
def history(entity_type: str, entity_id: str, session: DB, _admin: Admin):
    records = service.history(session, entity_type, entity_id)
    return [
        AuditRecordOut.model_validate(
            {
                **{c: getattr(r, c) for c in RAW_FIELDS},
                "actor_name": e.actor,
                "action_label": e.action,
                "entity_label": e.entity,
                "changes": [vars(c) for c in e.changes],
                "notes": e.notes,
            }
        )
        for r, e in zip(records, present.readable(records, session), strict=True)
    ]
