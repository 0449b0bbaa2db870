"""What the message centre's API answers and accepts."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from ipoc.schemas import Input, Timestamp


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    category: str = Field(description="decision: 办理通知; reminder: 期限提醒")
    category_label: str
    text: str
    link: str
    due_on: date | None
    created_at: Timestamp
    read_at: Timestamp | None


class UnreadOut(BaseModel):
    unread: int


class MarkedOut(BaseModel):
    marked: int


class EmailIn(Input):
    email: str = Field(default="", max_length=254, description="留空：不再发送邮件副本")
