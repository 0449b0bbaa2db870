"""University stock patents (存量专利盘活): a university's list taken in by application number, each entry
linked to the patent database and screened, then grouped into offers."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ipoc.db import Base, Timestamped


class StockBatch(Base, Timestamped):
    __tablename__ = "stock_batches"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))


class StockPatent(Base, Timestamped):
    __tablename__ = "stock_patents"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("stock_batches.id", ondelete="CASCADE"), index=True)
    application_no: Mapped[str] = mapped_column(String(32))
    patent_id: Mapped[int | None] = mapped_column(ForeignKey("patents.id"), index=True)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("tech_offers.id"), index=True)
