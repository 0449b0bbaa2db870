"""Recognition dossiers: who sees them, the one function every workflow step goes through, and around it
the yearly calls, the dossier's contents and evidence, the submission guard, the inbox and the ranked list."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, Select, and_, or_, select, true
from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.applications import flows
from ipoc.applications.models import CONDITIONS, Application, ApplicationEvent, Call, ConditionStatement
from ipoc.applications.models import ApplicationState as S
from ipoc.applications.schemas import ApplicationIn, ApplicationPatch, CallIn, DossierIn
from ipoc.audit import service as audit
from ipoc.auth.roles import Principal, Role
from ipoc.db import utcnow
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.files import service as files
from ipoc.files.models import Attachment
from ipoc.messages import service as messages
from ipoc.orgs.models import Organisation
from ipoc.orgs.service import require_verified
from ipoc.reference.models import INDUSTRY_CATEGORIES, Industry
from ipoc.reference.service import visible_region_ids
from ipoc.reviews.assignments import assigned_application_ids
from ipoc.uploads import Upload
from ipoc.workflow import Transition, take


def _expert_subjects(principal: Principal) -> Select[tuple[int]]:
    """Dossiers an expert was given: those of calls whose panel they sit on, minus their conflicts."""
    return assigned_application_ids(principal)


def visible(principal: Principal) -> Select[Application]:
    """The dossiers ``principal`` may read. A bureau reads its own area's, filing copies included."""
    stmt = select(Application)
    if principal.role is Role.REGION_ADMIN:
        return stmt
    if principal.role is Role.BUREAU_OFFICER:
        return stmt.where(Application.region_id.in_(principal.region_ids or [-1]))
    if principal.role is Role.MEMBER and principal.org_id:
        return stmt.where(Application.org_id == principal.org_id)
    if principal.role is Role.EXPERT and principal.user_id:
        return stmt.where(Application.id.in_(_expert_subjects(principal)))
    return stmt.where(Application.id == -1)


def get_application(session: Session, principal: Principal, app_id: int) -> Application:
    """404 for a dossier outside the caller's scope: its existence is not public either."""
    app = session.scalar(visible(principal).where(Application.id == app_id))
    if app is None:
        raise NotFound("申报材料不存在或无权查看")
    return app


def owners(principal: Principal, app: Application) -> set[str]:
    return flows.owners_for(principal, org_id=app.org_id, region_id=app.region_id, route=app.route)


def available_actions(principal: Principal, app: Application) -> list[Transition]:
    return flows.APPLICATIONS.available(app.state, owners(principal, app), app.route)


def check_transition(principal: Principal, app: Application, action: str, reason: str = "") -> Transition:
    """Refuse a step the caller may not take now: the owning role only (403), from a state it applies to
    (409), with a reason where one is required (422)."""
    return flows.APPLICATIONS.check(app, action, owners=owners(principal, app), reason=reason, route=app.route)


def transition(session: Session, principal: Principal, app: Application, action: str, reason: str = "") -> Application:
    """Take one workflow step, leaving a timeline entry and an audit record with the reason.
    Refusals (see :func:`check_transition`) change nothing."""
    step = take(
        session,
        flows.APPLICATIONS,
        app,
        action,
        owners=owners(principal, app),
        actor=principal,
        reason=reason,
        route=app.route,
    )
    t = step.transition
    if t.owner != "applicant":  # the applicant is told of every step others take on its dossier
        said = f"您单位的运营中心申报（{app.call.title}）：{t.label}，当前状态为“{flows.STATE_LABELS[step.target]}”"
        said += f"。理由：{step.reason}" if step.reason else ""
        messages.tell(session, text=said, link=f"/applications/{app.id}", organisations=[app.org_id])
        session.flush()
    return app


def timeline(session: Session, app: Application) -> list[ApplicationEvent]:
    stmt = select(ApplicationEvent).where(ApplicationEvent.application_id == app.id)
    return list(session.scalars(stmt.order_by(ApplicationEvent.at, ApplicationEvent.id)))


# --- calls --------------------------------------------------------------------------------------------


def call_status(call: Call, today: date | None = None) -> str:
    """Not yet published before its window opens, open within it, closed after it."""
    today = today or clock.today()
    if today < call.opens_on:
        return "draft"
    return "open" if today <= call.closes_on else "closed"


def list_calls(
    session: Session, principal: Principal, *, open_only: bool = False, today: date | None = None
) -> list[Call]:
    """The region bureau sees every call; everyone else those whose window has opened."""
    today = today or clock.today()
    stmt = select(Call).order_by(Call.year.desc(), Call.opens_on.desc(), Call.id.desc())
    if principal.role is not Role.REGION_ADMIN or open_only:
        stmt = stmt.where(Call.opens_on <= today)
    if open_only:
        stmt = stmt.where(Call.closes_on >= today)
    return list(session.scalars(stmt))


def get_call(session: Session, principal: Principal, call_id: int, today: date | None = None) -> Call:
    call = session.get(Call, call_id)
    if call is None or (principal.role is not Role.REGION_ADMIN and call_status(call, today) == "draft"):
        raise NotFound("申报批次不存在")
    return call


def save_call(session: Session, principal: Principal, data: CallIn, call_id: int | None = None) -> Call:
    """The region bureau creates or edits a call; titles stay unique and the window is not inverted."""
    if principal.role is not Role.REGION_ADMIN:
        raise Forbidden("只有自治区局可以设置申报批次")
    if data.opens_on > data.closes_on:
        raise InvalidInput("截止日期不能早于开始日期", field="closes_on")
    clash = select(Call.id).where(Call.title == data.title, Call.id != (call_id or -1))
    if session.scalar(clash):
        raise Conflict("已有同名申报批次", field="title")
    call = get_call(session, principal, call_id) if call_id else Call()
    for key, value in data.model_dump().items():
        setattr(call, key, value)
    session.add(call)
    session.flush()
    return call


# --- the dossier ----------------------------------------------------------------------------------------

EDITABLE = frozenset({S.DRAFT, S.RETURNED})
# A dossier in any other state blocks a second one of the same organisation in the same call.
CLOSED_FOR_REAPPLYING = frozenset({S.WITHDRAWN, S.REJECTED})
SERVICE_AGENCY = "service_agency"
NUMERALS = dict(zip(CONDITIONS, "一二三四五", strict=True))
PURPOSES = {
    **{f"condition:{n}": f"条件（{NUMERALS[n]}）证明材料" for n in CONDITIONS},
    "route": "自治区级以上单位证明材料",
    "other": "其他材料",
}
ACTION_LABELS = {"create": "创建申报草稿", **{t.action: t.label for t in flows.TRANSITIONS}}
# Steps other services take after their own checks; the generic action endpoint points there instead.
COMPOUND_PLACES = {
    "publish": "公示管理页面",
    "object": "公示页面",
    "recognize": "公示页面（公示期满且无未处理异议后）",
    "shortlist": "专家评审结果页面",
    "reject_review": "专家评审结果页面",
}
# A dossier's files are visible to exactly those who may read the dossier.
files.register_owner("application", get_application)


def _recommending_region(org: Organisation) -> int:
    """The league/city whose bureau handles the dossier: a separately addressed city that does not act
    as a recommender is handled by its league/city."""
    region = org.region
    return region.parent_id if region.parent_id and not region.acts_as_recommender else region.id


def _industry_problem(industry: Industry | None) -> str | None:
    if industry is None:
        return "所选产业不存在"
    if not industry.active:
        return f"产业“{industry.name}”已停用"
    if industry.category not in INDUSTRY_CATEGORIES:
        return "所服务产业须为自治区明确的重点产业或优势特色产业（第五条第一项）"
    return None


def _check_industry(session: Session, industry_id: int) -> None:
    problem = _industry_problem(session.get(Industry, industry_id))
    if problem:
        raise InvalidInput(problem, field="industry_id")


def create_application(
    session: Session, principal: Principal, data: ApplicationIn, today: date | None = None
) -> Application:
    """A member of a verified organisation opens a draft in an open call, one per call (Art. 5)."""
    if principal.role is not Role.MEMBER or not principal.org_id:
        raise Forbidden("只有申报单位的账号可以创建申报")
    org = require_verified(session.get(Organisation, principal.org_id))
    if org.type_code == SERVICE_AGENCY:
        raise InvalidInput("知识产权服务机构仅可作为参与单位参与建设（第五条）", field="builder_type")
    call = get_call(session, principal, data.call_id, today)
    if call_status(call, today) != "open":
        raise Conflict(f"申报批次“{call.title}”不在申报期内（{call.opens_on} 至 {call.closes_on}）", field="call_id")
    _check_industry(session, data.industry_id)
    existing = session.scalar(
        select(Application.id).where(
            Application.org_id == org.id,
            Application.call_id == call.id,
            Application.state.not_in(CLOSED_FOR_REAPPLYING),
        )
    )
    if existing:
        raise Conflict(f"本单位在该批次已有申报（编号 {existing}），不能重复申报", field="call_id")
    fields = data.model_dump(exclude={"call_id", "conditions"})
    app = Application(
        call_id=call.id,
        org_id=org.id,
        region_id=_recommending_region(org),
        state=S.DRAFT,
        created_by_id=principal.user_id,
        conditions=[ConditionStatement(number=n, statement=data.conditions.get(n, "")) for n in CONDITIONS],
        **fields,
    )
    session.add(app)
    session.flush()
    flows.write_event(session, app, principal, "create", "", S.DRAFT)
    session.flush()
    return app


def may_edit(principal: Principal, app: Application) -> bool:
    return "applicant" in owners(principal, app) and app.state in EDITABLE


def require_editable(principal: Principal, app: Application) -> None:
    """Only the applicant edits, and only a draft or a dossier returned for correction."""
    if "applicant" not in owners(principal, app):
        raise Forbidden("只有申报单位可以修改申报材料")
    if app.state not in EDITABLE:
        raise Conflict(f"申报当前为“{app.state_label}”状态，只有草稿或退回补正的申报可以修改")


def update_application(
    session: Session, principal: Principal, app_id: int, data: DossierIn | ApplicationPatch
) -> Application:
    """A full edit (the form: every field replaced) or a partial one (the API: only the fields sent)."""
    app = get_application(session, principal, app_id)
    require_editable(principal, app)
    full = isinstance(data, DossierIn)
    changes = data.model_dump(include=set(DossierIn.model_fields), exclude_unset=not full)
    statements = changes.pop("conditions", None) or {}
    if full:
        statements = {n: statements.get(n, "") for n in CONDITIONS}
    changes = {k: v for k, v in changes.items() if v is not None}
    if changes.get("route", app.route) != app.route and app.state != S.DRAFT:
        raise Conflict("申报提交后不能更改申报路径", field="route")
    if "industry_id" in changes:
        _check_industry(session, changes["industry_id"])
    for key, value in changes.items():
        setattr(app, key, value)
    for condition in app.conditions:
        if condition.number in statements:
            condition.statement = statements[condition.number]
    session.flush()
    return app


def read_application(session: Session, principal: Principal, app_id: int) -> Application:
    """A dossier opened for reading; anyone but the applicant leaves a view record (dossiers are confidential)."""
    app = get_application(session, principal, app_id)
    if "applicant" not in owners(principal, app):
        audit.log(session, "view", "applications", app.id)
    return app


def is_filing_copy(principal: Principal, app: Application) -> bool:
    """A league/city bureau's copy of a dossier sent straight to the region bureau (Art. 7(1))."""
    return principal.role is Role.BUREAU_OFFICER and app.route == "direct" and app.region_id in principal.region_ids


def decision_actions(principal: Principal, app: Application) -> list[flows.Transition]:
    """What the caller may do on the dossier's own page (compound steps are taken where they belong)."""
    return [t for t in available_actions(principal, app) if t.action not in flows.COMPOUND_ACTIONS]


# --- evidence -------------------------------------------------------------------------------------------


def attachments(session: Session, app: Application) -> dict[str, list[Attachment]]:
    """The dossier's files by purpose."""
    grouped: dict[str, list[Attachment]] = {purpose: [] for purpose in PURPOSES}
    for att in files.list_for(session, "application", app.id):
        grouped.setdefault(att.purpose, []).append(att)
    return grouped


def add_attachment(session: Session, principal: Principal, app_id: int, upload: Upload, purpose: str) -> Attachment:
    app = get_application(session, principal, app_id)
    require_editable(principal, app)
    if purpose not in PURPOSES:
        raise InvalidInput("请选择材料用途", field="purpose")
    return files.store(
        session, upload, owner_type="application", owner_id=app.id, purpose=purpose, uploader_id=principal.user_id
    )


def remove_attachment(session: Session, principal: Principal, app_id: int, att_id: int) -> None:
    app = get_application(session, principal, app_id)
    att = session.get(Attachment, att_id)
    if att is None or att.owner_type != "application" or att.owner_id != app.id:
        raise NotFound("文件不存在或无权查看")
    require_editable(principal, app)
    files.delete(session, att)


# --- submission and the generic action ------------------------------------------------------------------


def submission_problems(session: Session, app: Application, action: str, today: date | None = None) -> list[str]:
    """Everything that keeps a dossier from being submitted, each named (Art. 5)."""
    problems: list[str] = []
    evidence = attachments(session, app)
    for condition in app.conditions:
        missing = [
            what
            for what, absent in (
                ("情况说明", not condition.statement.strip()),
                ("证明材料", not evidence[f"condition:{condition.number}"]),
            )
            if absent
        ]
        if missing:
            problems.append(f"条件（{NUMERALS[condition.number]}）缺少{'和'.join(missing)}")
    if not app.construction_plan.strip():
        problems.append("缺少建设方案")
    if not app.team.strip() or app.team_size < 1:
        problems.append("缺少人才队伍情况（人员介绍和人数）")
    if app.funds_yuan < 1:
        problems.append("缺少专门工作经费金额")
    industry_problem = _industry_problem(app.industry)
    if industry_problem:
        problems.append(industry_problem)
    if app.route == "direct" and not evidence["route"]:
        problems.append("直接向自治区局申报须上传自治区级以上单位的证明材料")
    # The window binds the first submission; a dossier returned for correction may be resubmitted after it.
    if action == "submit" and call_status(app.call, today) != "open":
        problems.append(f"不在申报期内（{app.call.opens_on} 至 {app.call.closes_on}）")
    return problems


def take_action(
    session: Session, principal: Principal, app_id: int, action: str, reason: str = "", today: date | None = None
) -> Application:
    """The generic step endpoint: compound steps are refused here, submissions are checked first."""
    app = get_application(session, principal, app_id)
    if action in flows.COMPOUND_ACTIONS:
        raise Conflict(f"“{flows.BY_ACTION[action].label}”须在{COMPOUND_PLACES[action]}办理")
    check_transition(principal, app, action, reason)
    if action in ("submit", "resubmit"):
        require_verified(app.org)
        problems = submission_problems(session, app, action, today)
        if problems:
            raise InvalidInput("不能提交：" + "；".join(problems))
        app.submitted_at = utcnow()
    return transition(session, principal, app, action, reason)


# --- lists ----------------------------------------------------------------------------------------------


def _ranked(stmt: Select[Application]) -> Select[Application]:
    """Newest call first; within a call by expert rank, then by submission time."""
    return stmt.join(Call, Call.id == Application.call_id).order_by(
        Call.year.desc(),
        Call.id.desc(),
        Application.expert_rank.is_(None),
        Application.expert_rank,
        Application.submitted_at.is_(None),
        Application.submitted_at,
        Application.id,
    )


def list_applications(
    session: Session,
    principal: Principal,
    *,
    call_id: int | None = None,
    state: str | None = None,
    region_id: int | None = None,
) -> list[Application]:
    stmt = visible(principal)
    if call_id:
        stmt = stmt.where(Application.call_id == call_id)
    if state:
        stmt = stmt.where(Application.state == state)
    if region_id:
        stmt = stmt.where(Application.region_id.in_(visible_region_ids(session, region_id)))
    return list(session.scalars(_ranked(stmt)))


def _next_step_is(owner: str) -> ColumnElement[bool]:
    """Dossiers whose next step (other than the applicant's withdrawal) belongs to ``owner``, per flows."""
    steps = [
        and_(Application.state.in_(t.sources), Application.route == t.route if t.route else true())
        for t in flows.TRANSITIONS
        if t.owner == owner and t.action != "withdraw"
    ]
    return or_(*steps)


def waiting_on(session: Session, principal: Principal) -> list[Application]:
    """The inbox: dossiers that wait on this caller. A bureau's filing copies never wait on it."""
    if principal.role is Role.REGION_ADMIN:
        where = _next_step_is("region")
    elif principal.role is Role.BUREAU_OFFICER:
        where = and_(_next_step_is("bureau"), Application.route == "via_bureau")
    elif principal.role is Role.MEMBER and principal.org_id:
        where = _next_step_is("applicant")
    else:
        return []
    return list(session.scalars(_ranked(visible(principal).where(where))))
