"""The 发文字号 sequences: one row per (issuer, year) holding the last number given out."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ipoc.db import Base


class DocumentSequence(Base):
    __tablename__ = "document_sequences"

    issuer: Mapped[str] = mapped_column(String(100), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)
