"""Job status as the API and the progress view show it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from ipoc.schemas import Timestamp


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    kind_label: str
    status: str
    status_label: str
    label: str
    done: int
    total: int | None
    percent: int | None
    message: str
    result: dict[str, Any]
    created_at: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None
    finished: bool
