"""The industry patent database: patents, their applicants and legal events, and the saved definitions of
each center's core-domain database (Art. 4(6))."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ipoc.db import Base, Timestamped, utcnow
from ipoc.labels import coded, named
from ipoc.patents.numbers import is_application_key, is_source_key
from ipoc.patents.records import SOURCE_ID
from ipoc.reference.models import Industry, Region

if TYPE_CHECKING:
    from ipoc.orgs.models import Organisation

KIND_LABELS = {"invention": "发明", "utility_model": "实用新型", "design": "外观设计"}
STATUS_LABELS = {"valid": "有效", "pending": "审中", "lapsed": "失效"}
APPLICANT_KIND_LABELS = {
    "enterprise": "企业",
    "university": "高校",
    "institute": "科研院所",
    "individual": "个人",
    "other": "其他",
}
EVENT_LABELS = {
    "grant": "授权",
    "lapse": "失效",
    "transfer": "转让",
    "licence": "许可",
    "pledge": "质押",
    "pledge_release": "质押解除",
    "invalidation": "无效宣告",
    "fee": "年费缴纳",
    "suspension": "中止",
    "suspension_end": "中止结束",
}
# LegalEvent.detail: licence types and the keys an event's detail may carry
LICENCE_TYPES = {"exclusive": "独占许可", "sole": "排他许可", "ordinary": "普通许可"}
EVENT_SOURCES = {"import": "导入", "manual": "手工登记"}
YES_NO = {"yes": "是", "no": "否"}


DETAIL_LABELS = {
    "type": "许可类型",
    "term_start": "期限起",
    "term_end": "期限止",
    "licensor": "许可人",
    "licensee": "被许可人",
    "pledgor": "出质人",
    "pledgee": "质权人",
    "from": "转让人",
    "to": "受让人",
    "amount": "金额",
    "paid_through": "缴至",
    "territory": "地域范围",
    "reason": "原因",
    "decision": "决定",
    "note": "说明",
}
# Why a procedure is suspended (专利法实施细则 第八十六、八十七条): an ownership dispute or a court's preservation.
SUSPENSION_REASONS = {"dispute": "权属纠纷", "preservation": "财产保全", "other": "其他"}


class Applicant(Base):
    """An applicant name normalised once, so that counts and facets do not split one organisation."""

    __tablename__ = "applicants"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str | None] = mapped_column(String(16))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))

    @property
    def kind_label(self) -> str:
        return APPLICANT_KIND_LABELS.get(self.kind or "", "")


class PatentApplicant(Base):
    __tablename__ = "patent_applicants"

    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicants.id"), index=True)

    applicant: Mapped[Applicant] = relationship(lazy="joined")


class Patent(Base, Timestamped):
    """One patent document of any office; ``rev`` orders changes so the search indexes can catch up after any crash.

    ``application_no`` is the record's key: the canonical CN application number where an export gave one, else the
    normalised publication number (``US8271025B2``), else, for a record that carries no patent number at all, a
    source key (``SRC-…``, patents.numbers.source_key) with the export's own id kept as ``source_id``;
    ``number_label`` says which. ``publication_key`` (publication
    number without kind code) lets a later export that writes the number another way, or another stage of the same
    document, find it; ``family_key`` links simple-family members. ``extra`` keeps the columns no field carries,
    verbatim; ``sources`` names the import job each field last came from (patents.provenance).
    """

    __tablename__ = "patents"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_no: Mapped[str] = mapped_column(String(32), unique=True)
    office: Mapped[str] = mapped_column(String(4), default="CN", server_default="CN")
    publication_key: Mapped[str | None] = mapped_column(String(32), index=True)
    family_key: Mapped[str | None] = mapped_column(String(64), index=True)
    publication_no: Mapped[str | None] = mapped_column(String(32))
    grant_no: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str | None] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    abstract: Mapped[str | None] = mapped_column(Text)
    claims: Mapped[str | None] = mapped_column(Text)
    first_claim: Mapped[str | None] = mapped_column(Text)
    ipc_main: Mapped[str | None] = mapped_column(String(32))
    ipc_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    ipc_invalid: Mapped[list[str]] = mapped_column(JSON, default=list)
    inventors: Mapped[list[str]] = mapped_column(JSON, default=list)
    address: Mapped[str | None] = mapped_column(Text)
    province: Mapped[str | None] = mapped_column(String(32))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    application_date: Mapped[date | None] = mapped_column(Date)
    publication_date: Mapped[date | None] = mapped_column(Date)
    grant_date: Mapped[date | None] = mapped_column(Date)
    legal_status: Mapped[str | None] = mapped_column(String(64))
    # The export's 当前权利人/专利权人 column as written; empty when the export had none (then the applicants
    # and recorded transfers decide, see patents.rights).
    patentees: Mapped[list[str]] = mapped_column(JSON, default=list)
    status_class: Mapped[str | None] = mapped_column(String(16))
    fee_paid_through: Mapped[date | None] = mapped_column(Date)
    priority: Mapped[str | None] = mapped_column(Text)
    family: Mapped[str | None] = mapped_column(Text)
    family_size: Mapped[int | None] = mapped_column(Integer)
    cited_count: Mapped[int | None] = mapped_column(Integer)
    citing_count: Mapped[int | None] = mapped_column(Integer)
    extra: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    sources: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    content_hash: Mapped[str] = mapped_column(String(64))
    passage_hash: Mapped[str] = mapped_column(String(64), index=True)
    rev: Mapped[int] = mapped_column(Integer, index=True)
    last_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))

    region: Mapped[Region | None] = relationship(lazy="joined")
    applicant_links: Mapped[list[PatentApplicant]] = relationship(
        order_by=PatentApplicant.position, cascade="all, delete-orphan", lazy="selectin"
    )
    events: Mapped[list[LegalEvent]] = relationship(order_by="LegalEvent.event_date", cascade="all, delete-orphan")

    @property
    def applicants(self) -> list[Applicant]:
        return [link.applicant for link in self.applicant_links]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind or "", "")

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status_class or "", self.legal_status or "")

    @property
    def has_application_no(self) -> bool:
        return is_application_key(self.application_no)

    @property
    def has_number(self) -> bool:
        """False for a record known by no patent number (无号文献): its key is a source key, not a number."""
        return not is_source_key(self.application_no)

    @property
    def number_label(self) -> str:
        """What the key shown as the record's number is: 申请号, or 公开号 for a document known only by that; 无专利号
        for a record the export gave only its own id (来源编号) for."""
        if not self.has_number:
            return "无专利号"
        return "申请号" if self.has_application_no else "公开号"

    @property
    def source_id(self) -> str | None:
        """The export's own id of a record known by no patent number, as written (None for a numbered patent)."""
        return None if self.has_number else (self.extra or {}).get(SOURCE_ID)


class LegalEvent(Base):
    """Grant, lapse, transfer, licence (type and term), pledge (pledgee) and its release, invalidation, fees."""

    __tablename__ = "legal_events"
    __label__ = "法律事件"
    __labels__ = named(
        kind="事项", event_date="日期", detail="详情", source="来源", pledgee_consent="质权人同意", **DETAIL_LABELS
    )
    __value_labels__ = coded(kind=EVENT_LABELS, type=LICENCE_TYPES, source=EVENT_SOURCES, pledgee_consent=YES_NO)

    id: Mapped[int] = mapped_column(primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    event_date: Mapped[date | None] = mapped_column(Date)
    detail: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(16), default="import")  # import | manual: a re-import keeps manual
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def kind_label(self) -> str:
        return EVENT_LABELS.get(self.kind, self.kind)


class IndustryDatabase(Base, Timestamped):
    """A center's core-domain patent database: a saved definition (IPC prefixes, keywords) plus patents
    added by hand, so that it grows by itself as new patents are imported."""

    __tablename__ = "industry_databases"
    __audited__ = True
    __label__ = "核心领域专题库"
    __labels__ = named(name="专题库名称", ipc_prefixes="IPC 前缀", keywords="关键词")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    industry_id: Mapped[int] = mapped_column(ForeignKey("industries.id"))
    center_id: Mapped[int | None] = mapped_column(ForeignKey("centers.id"))
    ipc_prefixes: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(Text, default="")

    industry: Mapped[Industry] = relationship(lazy="joined")


class IndustryDatabasePatent(Base):
    """A patent added to a database by hand."""

    __tablename__ = "industry_database_patents"
    __table_args__ = (UniqueConstraint("database_id", "patent_id"),)
    __audited__ = True
    __label__ = "专题库专利"
    __labels__ = named(database_id="专题库")

    id: Mapped[int] = mapped_column(primary_key=True)
    database_id: Mapped[int] = mapped_column(ForeignKey("industry_databases.id", ondelete="CASCADE"), index=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# What an organisation may do with a patent (patents.rights.ACTS), by key.
ACT_LABELS = {
    "offer": "发布供给/许可转让意向",
    "ordinary_licence": "普通许可",
    "sole_licence": "排他许可",
    "exclusive_licence": "独占许可",
    "transfer": "转让",
    "pledge": "质押",
    "open_licence": "开放许可声明",
}
AUTHORISATION_STATES = {"pending": "待确认", "confirmed": "已确认", "rejected": "未通过"}


class RightsAuthorisation(Base, Timestamped):
    """A patentee's written authorisation for an organisation that is not a patentee to offer, license or
    transfer a patent: the signed document is an attachment; it counts only once a center confirmed it."""

    __tablename__ = "rights_authorisations"
    __audited__ = True
    __label__ = "书面授权"
    __labels__ = named(
        organisation_id="被授权单位",
        grantor="授权人（专利权人）",
        acts="授权事项",
        valid_until="有效期至",
        attachment_id="授权书",
    )
    __value_labels__ = coded(state=AUTHORISATION_STATES, acts=ACT_LABELS)
    __state_field__ = "state"

    id: Mapped[int] = mapped_column(primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    grantor: Mapped[str] = mapped_column(String(200))  # the patentee who signed it
    acts: Mapped[list[str]] = mapped_column(JSON, default=list)  # keys of patents.rights.ACTS
    valid_until: Mapped[date | None] = mapped_column(Date)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)

    organisation: Mapped[Organisation] = relationship("Organisation", lazy="joined")

    @property
    def state_label(self) -> str:
        return AUTHORISATION_STATES.get(self.state, self.state)

    @property
    def acts_label(self) -> str:
        return "、".join(ACT_LABELS.get(a, a) for a in self.acts)


CONSENT_ROLES = {"co_owner": "共有人", "pledgee": "质权人"}


class RightsConsent(Base, Timestamped):
    """One co-owner's (专利法 第十四条) or the pledgee's (民法典 第四百四十四条) written consent to one act on one
    patent, recorded by a center with the document."""

    __tablename__ = "rights_consents"
    __table_args__ = (UniqueConstraint("patent_id", "act", "role", "party", name="uq_rights_consents_act_party"),)
    __audited__ = True
    __label__ = "权利人同意"
    __labels__ = named(
        act="同意事项", role="同意人身份", party="同意人", attachment_id="同意书", recorded_by_id="登记人"
    )
    __value_labels__ = coded(role=CONSENT_ROLES, act=ACT_LABELS)

    id: Mapped[int] = mapped_column(primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id", ondelete="CASCADE"), index=True)
    act: Mapped[str] = mapped_column(String(24))
    role: Mapped[str] = mapped_column(String(16))
    party: Mapped[str] = mapped_column(String(200))  # the co-owner's or pledgee's name as the holding shows it
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def role_label(self) -> str:
        return CONSENT_ROLES.get(self.role, self.role)
