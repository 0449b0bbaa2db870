"""University stock patents (存量专利盘活): a university's list taken in by application number, each entry
linked to the patent database and screened, then grouped into offers.

A row keeps its screening as a snapshot (``screened_on``) so that lists filter and reports count in the
database; "重新筛查" recomputes it from the patent record when the record changes."""

from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ipoc.db import Base, Timestamped
from ipoc.orgs.models import Organisation
from ipoc.patents.models import KIND_LABELS, STATUS_LABELS, Patent

ACTIONS = {
    "recommend": "推荐转化",
    "open_licence": "可开放许可",
    "abandon": "建议放弃维持",
    "manual": "需人工判断",
}
UNLINKED_LABEL = "未入库"


class StockBatch(Base, Timestamped):
    """One intake list of one university or research institute; ``center_id`` is the center handling it."""

    __tablename__ = "stock_batches"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    center_id: Mapped[int | None] = mapped_column(ForeignKey("centers.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    org: Mapped[Organisation] = relationship(lazy="joined")


class StockPatent(Base, Timestamped):
    """One listed patent: what the university's list said, its link to the database and its screening."""

    __tablename__ = "stock_patents"
    __table_args__ = (UniqueConstraint("batch_id", "application_no", name="uq_stock_patents_batch_application"),)
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("stock_batches.id", ondelete="CASCADE"), index=True)
    application_no: Mapped[str] = mapped_column(String(32))
    patent_id: Mapped[int | None] = mapped_column(ForeignKey("patents.id"), index=True)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("tech_offers.id"), index=True)
    # from the list as given
    college: Mapped[str] = mapped_column(String(100), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    listed_title: Mapped[str] = mapped_column(String(500), default="")
    # screening snapshot (None until linked and screened)
    screened_on: Mapped[date | None] = mapped_column(Date)
    status_class: Mapped[str | None] = mapped_column(String(16), index=True)
    kind: Mapped[str | None] = mapped_column(String(16))
    ipc_section: Mapped[str | None] = mapped_column(String(1))
    ipc_class: Mapped[str | None] = mapped_column(String(3))
    expires_on: Mapped[date | None] = mapped_column(Date)
    remaining_days: Mapped[int | None] = mapped_column(Integer)
    indicators: Mapped[dict] = mapped_column(JSON, default=dict)
    suggestion: Mapped[str | None] = mapped_column(String(16))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    # a person's decision over the suggestion
    override: Mapped[str | None] = mapped_column(String(16))
    override_note: Mapped[str] = mapped_column(Text, default="")
    overridden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    patent: Mapped[Patent | None] = relationship(lazy="joined")

    @property
    def linked(self) -> bool:
        return self.patent_id is not None

    @property
    def action(self) -> str | None:
        """The decision in force: a person's override, else the computed suggestion."""
        return self.override or self.suggestion

    @property
    def action_label(self) -> str:
        return ACTIONS.get(self.action or "", "未筛查")

    @property
    def suggestion_label(self) -> str:
        return ACTIONS.get(self.suggestion or "", "未筛查")

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status_class or "", "状态不明") if self.linked else UNLINKED_LABEL

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind or "", "—")

    @property
    def remaining_years(self) -> float | None:
        return None if self.remaining_days is None else round(self.remaining_days / 365.25, 1)

    @property
    def title(self) -> str:
        return self.patent.title if self.patent else self.listed_title


class StockIntake(Base, Timestamped):
    """One upload or paste into a batch with its report: how many rows were kept, and every refused row
    (行号, 字段, 原因, 原值), so the report can be read again after the page that showed it."""

    __tablename__ = "stock_intakes"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("stock_batches.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(200))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    linked: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    bad: Mapped[int] = mapped_column(Integer, default=0)
    issues: Mapped[list[list]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def unlinked(self) -> int:
        return self.added - self.linked
