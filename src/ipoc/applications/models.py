"""Recognition dossiers (Arts. 5–7): yearly calls, applications with the five conditions, their timeline."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ipoc.db import Base, Timestamped, utcnow
from ipoc.labels import coded, named
from ipoc.orgs.models import Organisation
from ipoc.reference.models import Industry, Region
from ipoc.workflow import check_constraint


class ApplicationState(StrEnum):
    """A dossier's states (domain-rules §0); the steps between them are ``ipoc.applications.flows``."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    PREFECTURE_REVIEW = "prefecture_review"
    RECOMMENDED = "recommended"
    NOT_RECOMMENDED = "not_recommended"
    REGION_RECHECK = "region_recheck"
    EXPERT_REVIEW = "expert_review"
    SHORTLISTED = "shortlisted"
    PUBLIC_NOTICE = "public_notice"
    OBJECTION_HANDLING = "objection_handling"
    RECOGNIZED = "recognized"
    REJECTED = "rejected"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"


S = ApplicationState
STATE_LABELS: dict[str, str] = {
    S.DRAFT: "草稿",
    S.SUBMITTED: "已提交",
    S.PREFECTURE_REVIEW: "盟市局资格审核",
    S.RECOMMENDED: "盟市局已推荐",
    S.NOT_RECOMMENDED: "盟市局不予推荐",
    S.REGION_RECHECK: "自治区局复核",
    S.EXPERT_REVIEW: "专家评审",
    S.SHORTLISTED: "拟认定名单",
    S.PUBLIC_NOTICE: "公示中",
    S.OBJECTION_HANDLING: "异议处理",
    S.RECOGNIZED: "已认定",
    S.REJECTED: "不予认定",
    S.RETURNED: "退回补正",
    S.WITHDRAWN: "已撤回",
}

# Art. 5: who may build a center. Service agencies only take part (as participants), never apply.
BUILDER_TYPES = {
    "leading_enterprise": "行业龙头企业",
    "industrial_park": "自治区级以上产业园区",
    "university_institute": "高校院所",
    "industry_association": "行业协会",
}

# Art. 5, second paragraph: the five conditions, each with a statement and evidence.
CONDITIONS = {
    1: "所服务产业为自治区重点产业或优势特色产业，有产业规划布局、产业政策和明确的重点发展举措",
    2: "具有承担日常业务运行的独立法人实体或明确知识产权运营职责的内设机构",
    3: "具有固定且独立开展相关业务的工作场所和办公条件",
    4: "拥有具备知识产权运营工作能力且相对稳定的人才队伍",
    5: "有专门工作经费，制定相关的建设方案、工作机制和规章制度",
}

# Art. 7(1): an ordinary applicant goes through its league/city bureau; a region-level-or-higher unit may
# go straight to the region bureau, and its league/city bureau then holds a filing copy (备案).
ROUTES = {"via_bureau": "经盟市局推荐", "direct": "直接向自治区局申报（盟市局备案）"}

CALL_STATUS = {"draft": "未发布", "open": "申报中", "closed": "已截止"}


class Call(Base, Timestamped):
    """A yearly call for applications (申报批次) with its submission window."""

    __tablename__ = "calls"
    __audited__ = True
    __label__ = "申报批次"
    __labels__ = named(title="批次名称", opens_on="申报开始日期", closes_on="申报截止日期", note="说明")
    __value_labels__ = coded(status=CALL_STATUS)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(120), unique=True)
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")


class Application(Base, Timestamped):
    __tablename__ = "applications"
    __audited__ = True
    __label__ = "申报材料"
    __labels__ = named(
        org_id="申报单位",
        builder_type="建设主体类型",
        route="申报路径",
        participants="参与建设单位",
        construction_plan="建设方案",
        team="人才队伍",
        team_size="团队人数",
        funds_yuan="专门工作经费",
        funds_note="经费来源及说明",
        returned_from="退回前状态",
        expert_score="专家评审得分",
        expert_rank="专家评审排名",
        region_id="所在盟市",
    )
    __value_labels__ = coded(state=STATE_LABELS, returned_from=STATE_LABELS, builder_type=BUILDER_TYPES, route=ROUTES)
    __state_field__ = "state"
    __table_args__ = (check_constraint(ApplicationState),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # The league/city whose bureau recommends (or, on the direct route, holds the filing copy).
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    industry_id: Mapped[int] = mapped_column(ForeignKey("industries.id"))
    builder_type: Mapped[str] = mapped_column(String(32))
    route: Mapped[str] = mapped_column(String(16), default="via_bureau")
    # Service agencies and other bodies that take part in building the center (Art. 5, last sentence).
    participants: Mapped[str] = mapped_column(Text, default="")
    construction_plan: Mapped[str] = mapped_column(Text, default="")
    team: Mapped[str] = mapped_column(Text, default="")
    team_size: Mapped[int] = mapped_column(Integer, default=0)
    funds_yuan: Mapped[int] = mapped_column(BigInteger, default=0)
    funds_note: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(24), default=S.DRAFT, index=True)
    # Where a dossier returned for correction (退回补正) goes back to when it is resubmitted.
    returned_from: Mapped[str | None] = mapped_column(String(24))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("public_notices.id"), index=True)
    expert_score: Mapped[float | None] = mapped_column(Float)
    expert_rank: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    call: Mapped[Call] = relationship(lazy="joined")
    org: Mapped[Organisation] = relationship(lazy="joined")
    region: Mapped[Region] = relationship(lazy="joined")
    industry: Mapped[Industry] = relationship(lazy="joined")
    conditions: Mapped[list[ConditionStatement]] = relationship(
        back_populates="application", order_by="ConditionStatement.number", cascade="all, delete-orphan"
    )

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)

    @property
    def builder_type_label(self) -> str:
        return BUILDER_TYPES.get(self.builder_type, self.builder_type)

    @property
    def route_label(self) -> str:
        return ROUTES.get(self.route, self.route)


class ConditionStatement(Base, Timestamped):
    """The applicant's statement for one of the five Art. 5 conditions; evidence is in ``attachments``
    with ``owner_type='application'`` and ``purpose=f'condition:{number}'``."""

    __tablename__ = "condition_statements"
    __audited__ = True
    __label__ = "申报条件说明"
    __labels__ = named(number="条件序号", statement="情况说明")
    __table_args__ = (UniqueConstraint("application_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    number: Mapped[int] = mapped_column(Integer)
    statement: Mapped[str] = mapped_column(Text, default="")

    application: Mapped[Application] = relationship(back_populates="conditions")


class ApplicationEvent(Base):
    """One step of a dossier's timeline, shown to the applicant (the audit trail holds the same, chained)."""

    __tablename__ = "application_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(80), default="")
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
