"""Uploaded evidence: dossier attachments, revocation evidence. Only metadata lives in the database; the
bytes are kept under the data dir by content hash and are always served as a download."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ipoc.db import Base, Timestamped


class Attachment(Base, Timestamped):
    __tablename__ = "attachments"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the file is evidence for: ("application", id), ("revocation", id) …; purpose narrows it down
    # (e.g. "condition:3" for the third Art. 5 condition of a dossier).
    owner_type: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(40), default="")
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
