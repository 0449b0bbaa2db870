"""University stock patents (存量专利盘活): a university's list taken in by application number, each entry
linked to the patent database and screened, then grouped into offers.

A row keeps its screening as a snapshot (``screened_on``) so that lists filter and reports count in the
database; "重新筛查" recomputes it from the patent record when the record changes."""

from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ipoc.db import Base, Timestamped
from ipoc.labels import coded, named
from ipoc.orgs.models import Organisation
from ipoc.patents.models import KIND_LABELS, STATUS_LABELS, Patent

ACTIONS = {
    "recommend": "推荐转化",
    "open_licence": "可开放许可",
    "abandon": "建议放弃维持",
    "manual": "需人工判断",
}
UNLINKED_LABEL = "未入库"
HOLDER_STATES = {"own": "本单位为专利权人", "authorised": "已获书面授权", "other": "非本单位"}


class StockBatch(Base, Timestamped):
    """One intake list of one university or research institute; ``center_id`` is the center handling it."""

    __tablename__ = "stock_batches"
    __audited__ = True
    __label__ = "存量专利批次"
    __labels__ = named(org_id="高校或科研院所", center_id="协助盘活的运营中心", title="批次名称")

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
    __label__ = "存量专利"
    __labels__ = named(
        application_no="申请号",
        offer_id="技术供给",
        college="学院",
        note="说明",
        listed_title="清单中的名称",
        screened_on="筛查日期",
        status_class="法律状态",
        kind="专利类型",
        ipc_section="IPC 部",
        ipc_class="IPC 大类",
        expires_on="保护期届满日",
        remaining_days="剩余保护天数",
        indicators="筛查指标",
        suggestion="建议",
        reasons="理由",
        override="人工调整的建议",
        override_note="调整说明",
        overridden_by_id="调整人",
        holder_state="权利归属",
        holders="当前专利权人",
        cited_count="被引次数",
        claims="权利要求数",
        criteria="高价值判据",
        exclusive_licence="有效的独占或排他许可",
        family_size="同族专利数",
        high_value="高价值情形",
        independent_claims="独立权利要求数",
        licensed="有许可",
        pledged="质押未解除",
        transferred="有转让",
    )
    __value_labels__ = coded(
        kind=KIND_LABELS, status_class=STATUS_LABELS, suggestion=ACTIONS, override=ACTIONS, holder_state=HOLDER_STATES
    )

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
    # who holds the patent (patents.rights) when it was screened: own = the batch's organisation is a current
    # patentee, authorised = a center-confirmed written authorisation to offer it, other = 非本单位 (never offered)
    holder_state: Mapped[str | None] = mapped_column(String(16))
    holders: Mapped[str] = mapped_column(String(500), default="")
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
    def holder_label(self) -> str:
        return HOLDER_STATES.get(self.holder_state or "", "—")

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
    __label__ = "存量专利清单导入"
    __labels__ = named(
        source="来源", rows="行数", added="新增", linked="已关联", duplicates="重复", bad="有误", issues="问题行"
    )

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
