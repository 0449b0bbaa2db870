"""Output shape of an attachment (metadata only; the bytes come from the download route)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, computed_field

from ipoc.schemas import Timestamp


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    owner_type: str
    owner_id: int
    purpose: str
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: Timestamp

    @computed_field  # type: ignore[prop-decorator]  # pydantic's documented form; mypy has no plugin here
    @property
    def url(self) -> str:
        return f"/files/{self.id}"
