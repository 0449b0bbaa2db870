"""Shapes for audit records."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from ipoc.schemas import Timestamp


class ChangeOut(BaseModel):
    """One field's change as people read it: its Chinese name and formatted values (null: no such side)."""

    label: str
    before: str | None
    after: str | None


class AuditRecordOut(BaseModel):
    """A stored record (codes and JSON, as chained) and the same record in Chinese (``*_label``, ``changes``)."""

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
    actor_name: str
    action_label: str
    entity_label: str
    changes: list[ChangeOut]
    notes: list[str]


class VerifyOut(BaseModel):
    ok: bool
    checked: int
    bad_id: int | None
    message: str
