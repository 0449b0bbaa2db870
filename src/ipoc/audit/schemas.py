"""Shapes for audit records."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from ipoc.schemas import Timestamp


class AuditRecordOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ts: Timestamp
    actor_id: int | None
    actor_label: str
    entity_type: str
    entity_id: str
    action: str
    before_json: str | None
    after_json: str | None
    meta_json: str | None
    hash: str


class VerifyOut(BaseModel):
    ok: bool
    checked: int
    bad_id: int | None
    message: str
