"""Expert review (Art. 7(3)) and expert performance evaluation (Art. 10): versioned score sheets, panels
with declared conflicts of interest, independent scores sealed until the panel closes, and ranked results
with spread and outliers. Every permission rule of the domain is here.

Who is assigned what is one SQL query (``reviews.assignments.pairs``): a panel's subjects (the call's dossiers that
reached expert review, or the centers active in the year) minus, for each expert, the organisations they
are conflicted with (their own, always, and those they declared). The dossier pages use it too, so an
expert never opens a dossier they must not score. The decisions after review (shortlist, reject) are steps of
the recognition procedure, in ``ipoc.lifecycle.recognition``.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from ipoc.applications.models import Application, Call
from ipoc.audit import service as audit
from ipoc.auth.models import User
from ipoc.auth.roles import Principal, Role
from ipoc.centers.models import Center
from ipoc.config import get_settings
from ipoc.db import utcnow
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.messages import service as messages
from ipoc.orgs.models import Organisation
from ipoc.reviews.assignments import SUBJECT, active_in, pairs, reviewed
from ipoc.reviews.assignments import assigned_application_ids as assigned_application_ids  # part of this API
from ipoc.reviews.assignments import assigned_center_ids as assigned_center_ids
from ipoc.reviews.flows import PANELS
from ipoc.reviews.models import PANEL_KINDS, Panel, PanelConflict, PanelMember, PanelState, Score, ScoreSheet
from ipoc.reviews.schemas import ConflictIn, ConflictLift, IndicatorIn, PanelIn, ScoreIn, SheetIn, SheetRevision
from ipoc.workflow import take

# An expert whose total is this far from the mean of the other experts' totals is flagged.
OUTLIER_GAP = 15.0
# A subject whose totals are spread wider than this (max − min) is flagged.
WIDE_SPREAD = 20.0
MAX_POINTS = 1000.0

DEFAULT_SHEETS: tuple[tuple[str, str, tuple[tuple[str, str, int], ...]], ...] = (
    (
        "自治区运营中心认定评审评分表",
        "recognition",
        (
            ("A1", "产业代表性与规划举措（第五条第一项）", 20),
            ("A2", "运营主体与工作机制（第五条第二项）", 20),
            ("A3", "场所与办公条件（第五条第三项）", 10),
            ("A4", "人才队伍（第五条第四项）", 20),
            ("A5", "专门经费与建设方案（第五条第五项）", 20),
            ("A6", "预期成效与带动作用（第五条第一款）", 10),
        ),
    ),
    (
        "自治区运营中心年度绩效评估表",
        "performance",
        (
            ("B1", "职责履行（第四条、第九条）", 30),
            ("B2", "公共服务目录与年度计划（第十二条）", 20),
            ("B3", "转化运营成效（第四条第三至五项）", 30),
            ("B4", "制度建设（第四条第七项）", 10),
            ("B5", "特色与示范（第十条）", 10),
        ),
    ),
)


def require_admin(principal: Principal) -> None:
    if principal.role is not Role.REGION_ADMIN:
        raise Forbidden("此操作由自治区局办理")


def _num(value: float) -> float | int:
    """Whole numbers stay whole in the stored JSON and on the page (20, not 20.0)."""
    return int(value) if float(value).is_integer() else value


def fmt(value: float | None) -> str:
    return "—" if value is None else f"{_num(round(value, 2))}"


# --- score sheets -------------------------------------------------------------------------------------


def check_indicators(rows: Sequence[IndicatorIn]) -> list[dict[str, Any]]:
    """A sheet's indicators as stored, or the first rule they break, in Chinese."""
    if not rows:
        raise InvalidInput("评分表至少需要一项指标", field="indicators")
    seen: set[str] = set()
    indicators = []
    for number, row in enumerate(rows, 1):
        name = row.label or row.code or f"第 {number} 行"
        if not row.code or not row.label:
            raise InvalidInput(f"第 {number} 行：指标代码和指标名称都必须填写", field="indicators")
        if row.code in seen:
            raise InvalidInput(f"指标代码“{row.code}”重复，每项指标的代码必须不同", field="indicators")
        if row.weight <= 0:
            raise InvalidInput(f"指标“{name}”的权重必须大于 0", field="indicators")
        if not 0 < row.max <= MAX_POINTS:
            raise InvalidInput(f"指标“{name}”的满分必须大于 0 且不超过 {fmt(MAX_POINTS)}", field="indicators")
        seen.add(row.code)
        indicators.append({"code": row.code, "label": row.label, "weight": _num(row.weight), "max": _num(row.max)})
    total = sum(row.weight for row in rows)
    if abs(total - 100) > 1e-6:
        raise InvalidInput(f"各指标权重之和必须为 100，当前为 {fmt(total)}", field="indicators")
    return indicators


def ensure_default_sheets(session: Session) -> list[ScoreSheet]:
    """The two sheets derived from the guideline, created once (a sheet of that name in any version counts)."""
    created = []
    for name, kind, rows in DEFAULT_SHEETS:
        if session.scalar(select(ScoreSheet.id).where(ScoreSheet.name == name).limit(1)) is None:
            indicators = [{"code": c, "label": label, "weight": w, "max": w} for c, label, w in rows]
            sheet = ScoreSheet(name=name, version=1, kind=kind, indicators=indicators)
            session.add(sheet)
            created.append(sheet)
    session.flush()
    return created


def list_sheets(session: Session, principal: Principal) -> list[ScoreSheet]:
    """Every version of every sheet, newest version first within a name."""
    require_admin(principal)
    ensure_default_sheets(session)
    stmt = select(ScoreSheet).order_by(ScoreSheet.kind, ScoreSheet.name, ScoreSheet.version.desc())
    return list(session.scalars(stmt))


def get_sheet(session: Session, principal: Principal, sheet_id: int) -> ScoreSheet:
    require_admin(principal)
    sheet = session.get(ScoreSheet, sheet_id)
    if sheet is None:
        raise NotFound("评分表不存在")
    return sheet


def create_sheet(session: Session, principal: Principal, data: SheetIn) -> ScoreSheet:
    require_admin(principal)
    indicators = check_indicators(data.indicators)
    if session.scalar(select(ScoreSheet.id).where(ScoreSheet.name == data.name).limit(1)) is not None:
        raise Conflict("已有同名评分表；请在该评分表上修改，修改将保存为新版本", field="name")
    sheet = ScoreSheet(name=data.name, version=1, kind=data.kind, indicators=indicators)
    session.add(sheet)
    session.flush()
    return sheet


def revise_sheet(session: Session, principal: Principal, sheet_id: int, data: SheetRevision) -> ScoreSheet:
    """Editing never changes a version a panel may use: it adds the next version of the same sheet."""
    base = get_sheet(session, principal, sheet_id)
    indicators = check_indicators(data.indicators)
    latest = session.scalar(select(func.max(ScoreSheet.version)).where(ScoreSheet.name == base.name)) or 0
    audit.set_reason(session, f"修改评分表，保存为第 {latest + 1} 版", based_on=base.id)
    sheet = ScoreSheet(name=base.name, version=latest + 1, kind=base.kind, indicators=indicators)
    session.add(sheet)
    session.flush()
    return sheet


def subjects(session: Session, panel: Panel) -> list[Any]:
    """Everything the panel reviews, conflicts aside."""
    if panel.kind == "recognition":
        stmt = select(Application).where(Application.call_id == panel.call_id, reviewed()).order_by(Application.id)
        return list(session.scalars(stmt))
    return list(session.scalars(select(Center).where(active_in(panel.year)).order_by(Center.id)))


def subject_label(subject: Application | Center) -> str:
    if isinstance(subject, Application):
        return f"{subject.org.name}（{subject.industry.name}）"
    return subject.name


# --- panels -------------------------------------------------------------------------------------------


def _member(panel: Panel, user_id: int | None) -> PanelMember | None:
    return next((m for m in panel.members if m.expert_id == user_id), None)


def list_panels(session: Session, principal: Principal) -> list[Panel]:
    stmt = select(Panel).order_by(Panel.id.desc())
    if principal.role is Role.EXPERT:
        mine = select(PanelMember.panel_id).where(PanelMember.expert_id == principal.user_id)
        return list(session.scalars(stmt.where(Panel.id.in_(mine))))
    require_admin(principal)
    return list(session.scalars(stmt))


def get_panel(session: Session, principal: Principal, panel_id: int) -> Panel:
    """404 unless the caller is the region admin or sits on the panel."""
    panel = session.get(Panel, panel_id)
    if panel is None or not (
        principal.role is Role.REGION_ADMIN
        or (principal.role is Role.EXPERT and _member(panel, principal.user_id) is not None)
    ):
        raise NotFound("评审组不存在或无权查看")
    return panel


def _open_panel(session: Session, principal: Principal, panel_id: int) -> Panel:
    require_admin(principal)
    panel = get_panel(session, principal, panel_id)
    if panel.state != PanelState.OPEN:
        raise Conflict("评审组已结束，不能再变更")
    return panel


def call_choices(session: Session) -> list[Call]:
    return list(session.scalars(select(Call).order_by(Call.year.desc(), Call.id.desc())))


def expert_choices(session: Session, panel: Panel) -> list[User]:
    """Active expert accounts not yet on the panel."""
    taken = {m.expert_id for m in panel.members}
    stmt = select(User).where(User.role == Role.EXPERT.value, User.active.is_(True)).order_by(User.display_name)
    return [u for u in session.scalars(stmt) if u.id not in taken]


def create_panel(session: Session, principal: Principal, data: PanelIn) -> Panel:
    require_admin(principal)
    sheet = session.get(ScoreSheet, data.sheet_id)
    if sheet is None:
        raise InvalidInput("评分表不存在", field="sheet_id")
    if sheet.kind != data.kind:
        raise InvalidInput(f"请选择“{PANEL_KINDS[data.kind]}”类的评分表", field="sheet_id")
    if data.kind == "recognition":
        if data.call_id is None or session.get(Call, data.call_id) is None:
            raise InvalidInput("认定评审须选择申报批次", field="call_id")
        scope: dict[str, Any] = {"call_id": data.call_id, "year": None}
    else:
        if data.year is None:
            raise InvalidInput("绩效评估须填写评估年度", field="year")
        scope = {"call_id": None, "year": data.year}
    min_scores = data.min_scores or get_settings().review_min_scores
    panel = Panel(
        kind=data.kind, name=data.name, sheet_id=sheet.id, state=PanelState.OPEN, min_scores=min_scores, **scope
    )
    session.add(panel)
    session.flush()
    for expert_id in dict.fromkeys(data.expert_ids):
        add_member(session, principal, panel.id, expert_id)
    return panel


def add_member(session: Session, principal: Principal, panel_id: int, expert_id: int) -> PanelMember:
    panel = _open_panel(session, principal, panel_id)
    user = session.get(User, expert_id)
    if user is None or user.role != Role.EXPERT.value or not user.active:
        raise InvalidInput("请选择在用的评审专家账号", field="expert_id")
    if _member(panel, expert_id) is not None:
        raise Conflict(f"{user.display_name}已在评审组中", field="expert_id")
    member = PanelMember(expert_id=expert_id)
    panel.members.append(member)
    said = f"您已被列入评审组“{panel.name}”，请先申报回避情况，再对分配给您的对象评分"
    messages.tell(session, text=said, link=f"/reviews/panels/{panel.id}", users=[expert_id])
    session.flush()
    return member


def remove_member(session: Session, principal: Principal, panel_id: int, member_id: int) -> None:
    panel = _open_panel(session, principal, panel_id)
    member = next((m for m in panel.members if m.id == member_id), None)
    if member is None:
        raise NotFound("该专家不在评审组中")
    has_scores = select(Score.id).where(Score.panel_id == panel.id, Score.expert_id == member.expert_id).limit(1)
    if session.scalar(has_scores) is not None:
        raise Conflict("该专家已有评分记录，不能移出评审组")
    panel.members.remove(member)
    session.flush()


def own_member(session: Session, principal: Principal, panel_id: int) -> tuple[Panel, PanelMember]:
    """The panel and the caller's seat on it; only an expert on the panel has one."""
    if principal.role is not Role.EXPERT:
        raise Forbidden("只有评审专家本人可以办理")
    panel = get_panel(session, principal, panel_id)
    member = _member(panel, principal.user_id)
    assert member is not None  # get_panel admits an expert only with a seat
    return panel, member


def conflict_choices(session: Session, panel: Panel) -> tuple[list[Organisation], list[Organisation]]:
    """The organisations whose subjects the panel reviews, then the rest of the directory."""
    org_ids = {getattr(s, SUBJECT[panel.kind][2].key) for s in subjects(session, panel)}
    orgs = list(session.scalars(select(Organisation).order_by(Organisation.name)))
    return [o for o in orgs if o.id in org_ids], [o for o in orgs if o.id not in org_ids]


def declare_conflicts(session: Session, principal: Principal, panel_id: int, data: ConflictIn) -> PanelMember:
    """Record the expert's declaration. A conflict added later drops their drafts for that organisation's
    subjects; it cannot take back a score already submitted (the region bureau must handle that). A declared
    conflict stays: only the region bureau may lift it (:func:`lift_conflict`), or an expert could declare,
    withdraw and then score the very dossier they declared."""
    panel, member = own_member(session, principal, panel_id)
    if panel.state != PanelState.OPEN:
        raise Conflict("评审已结束，不能再申报回避")
    wanted = set(data.org_ids)
    if len(set(session.scalars(select(Organisation.id).where(Organisation.id.in_(wanted))))) != len(wanted):
        raise InvalidInput("所选单位不存在", field="org_ids")
    withdrawn = [c.org.name for c in member.conflicts if c.org_id not in wanted]
    if withdrawn:
        names = "、".join(withdrawn)
        raise Forbidden(f"已申报的回避不能由专家本人撤回（{names}）；如确需解除，请联系自治区局", field="org_ids")
    added = wanted - {c.org_id for c in member.conflicts}
    if added:
        model, column, org = SUBJECT[panel.kind]
        stmt = (
            select(Score)
            .join(model, column == model.id)
            .where(Score.panel_id == panel.id, Score.expert_id == member.expert_id, org.in_(added))
        )
        affected = list(session.scalars(stmt))
        if any(s.submitted_at for s in affected):
            raise Conflict("您已提交对该单位评审对象的评分，不能再申报回避；如确有利益冲突，请联系自治区局")
        for score in affected:
            session.delete(score)
    member.conflicts.extend(PanelConflict(org_id=org_id) for org_id in sorted(added))
    member.conflict_note = data.note.strip()
    member.declared_at = utcnow()
    audit.set_reason(session, "申报利益冲突（回避）情况", panel_id=panel.id)
    session.flush()
    return member


def lift_conflict(
    session: Session, principal: Principal, panel_id: int, expert_id: int, org_id: int, data: ConflictLift
) -> PanelMember:
    """The region bureau lifts an expert's declared conflict with one organisation, with a reason kept in the
    audit trail; the expert is then given that organisation's subjects."""
    panel = _open_panel(session, principal, panel_id)
    member = _member(panel, expert_id)
    conflict = next((c for c in member.conflicts if c.org_id == org_id), None) if member else None
    if member is None or conflict is None:
        raise NotFound("该专家未申报对该单位回避")
    audit.set_reason(session, f"自治区局解除回避（{conflict.org.name}）：{data.reason}", panel_id=panel.id)
    member.conflicts.remove(conflict)
    session.delete(conflict)  # explicitly, so the audit hook sees the deletion with its reason
    session.flush()
    return member


# --- scoring ------------------------------------------------------------------------------------------


def _own_score(session: Session, panel: Panel, expert_id: int, subject_id: int) -> Score | None:
    column = SUBJECT[panel.kind][1]
    stmt = select(Score).where(Score.panel_id == panel.id, Score.expert_id == expert_id, column == subject_id)
    return session.scalar(stmt)


def _assigned_subject(session: Session, panel: Panel, expert_id: int, subject_id: int) -> Any:
    """The subject, if this expert is to score it on this panel; 404 otherwise (conflict or not a subject)."""
    model = SUBJECT[panel.kind][0]
    stmt = pairs(panel.kind, model.id).where(
        PanelMember.panel_id == panel.id, PanelMember.expert_id == expert_id, model.id == subject_id
    )
    if session.scalar(stmt) is None:
        raise NotFound("评审对象不存在或您须回避")
    return session.get(model, subject_id)


def score_form(
    session: Session, principal: Principal, panel_id: int, subject_id: int
) -> tuple[Panel, Any, Score | None]:
    """What the expert's score form shows: the panel (with its sheet), the subject and their own score."""
    panel, member = own_member(session, principal, panel_id)
    subject = _assigned_subject(session, panel, member.expert_id, subject_id)
    return panel, subject, _own_score(session, panel, member.expert_id, subject_id)


def item_problems(sheet: ScoreSheet, items: dict[str, float], *, complete: bool) -> dict[str, str]:
    """Every indicator's problem at once, by its form field: out of range, or (``complete``) not scored."""
    problems: dict[str, str] = {}
    unknown = sorted(set(items) - {ind["code"] for ind in sheet.indicators})
    if unknown:
        problems["items"] = f"评分表中没有指标“{unknown[0]}”"
    for ind in sheet.indicators:
        value, field = items.get(ind["code"]), f"item_{ind['code']}"
        if value is None and complete:
            problems[field] = f"请为“{ind['label']}”打分"
        elif value is not None and not 0 <= value <= ind["max"]:
            problems[field] = f"“{ind['label']}”的得分应在 0 到 {fmt(ind['max'])} 之间"
    return problems


def _checked_items(sheet: ScoreSheet, items: dict[str, float], *, complete: bool) -> dict[str, float | int]:
    problems = item_problems(sheet, items, complete=complete)
    if problems:
        field, message = next(iter(problems.items()))
        raise InvalidInput(message, field=field)
    return {ind["code"]: _num(items[ind["code"]]) for ind in sheet.indicators if ind["code"] in items}


def weighted_total(sheet: ScoreSheet, items: dict[str, float]) -> float:
    """Σ weight × points / max over the sheet version the panel was formed with (out of 100)."""
    return round(
        sum(ind["weight"] * items[ind["code"]] / ind["max"] for ind in sheet.indicators if ind["code"] in items), 2
    )


def save_score(session: Session, principal: Principal, panel_id: int, subject_id: int, data: ScoreIn) -> Score:
    """Save (or, with ``data.submit``, submit for good) the expert's own score of one assigned subject."""
    panel, member = own_member(session, principal, panel_id)
    _assigned_subject(session, panel, member.expert_id, subject_id)
    if panel.state != PanelState.OPEN:
        raise Conflict("评审已结束，不能再评分")
    if member.declared_at is None:
        raise Conflict("请先申报利益冲突（回避）情况，再评分")
    score = _own_score(session, panel, member.expert_id, subject_id)
    if score is not None and score.submitted_at is not None:
        raise Conflict("评分已提交，不能再修改")
    items = _checked_items(panel.sheet, data.items, complete=data.submit)
    if score is None:
        score = Score(panel_id=panel.id, expert_id=member.expert_id, **{SUBJECT[panel.kind][1].key: subject_id})
        session.add(score)
    score.items = items
    score.total = weighted_total(panel.sheet, items)
    score.comment = data.comment.strip()
    if data.submit:
        audit.set_reason(session, "提交评分", panel_id=panel.id)
        score.submitted_at = utcnow()
    session.flush()
    return score


def my_scores(session: Session, principal: Principal, panel_id: int) -> list[Score]:
    """The caller's own scores on the panel: all an expert ever sees of scores before the panel closes."""
    panel, member = own_member(session, principal, panel_id)
    stmt = select(Score).where(Score.panel_id == panel.id, Score.expert_id == member.expert_id).order_by(Score.id)
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class Assignment:
    """One panel as the expert sees it: whether they declared, and each subject with their own score."""

    panel: Panel
    member: PanelMember
    subjects: list[tuple[Any, Score | None]]


def _subject_ids(panel: Panel, expert_id: int | None) -> Select[tuple[int]]:
    """The subjects one expert is given on one panel (conflicts excluded)."""
    model = SUBJECT[panel.kind][0]
    return pairs(panel.kind, model.id).where(PanelMember.panel_id == panel.id, PanelMember.expert_id == expert_id)


def _assignment(session: Session, panel: Panel, member: PanelMember) -> Assignment:
    model, column, _ = SUBJECT[panel.kind]
    ids = _subject_ids(panel, member.expert_id)
    items: list[Application | Center] = list(session.scalars(select(model).where(model.id.in_(ids)).order_by(model.id)))
    own = select(Score).where(Score.panel_id == panel.id, Score.expert_id == member.expert_id)
    scores = {getattr(s, column.key): s for s in session.scalars(own)}
    return Assignment(panel, member, [(s, scores.get(s.id)) for s in items])


def assignment(session: Session, principal: Principal, panel_id: int) -> Assignment:
    """One panel's subjects for the calling expert, with their own scores."""
    panel, member = own_member(session, principal, panel_id)
    return _assignment(session, panel, member)


def assignments(session: Session, principal: Principal) -> list[Assignment]:
    """The expert's list of assigned dossiers and centers, panel by panel."""
    if principal.role is not Role.EXPERT:
        raise Forbidden("只有评审专家有评审任务")
    return [assignment(session, principal, panel.id) for panel in list_panels(session, principal)]


@dataclass(frozen=True)
class Progress:
    """What the region admin sees while the panel is open: counts, never values."""

    member: PanelMember
    assigned: int
    submitted: int


def progress(session: Session, principal: Principal, panel_id: int) -> list[Progress]:
    require_admin(principal)
    panel = get_panel(session, principal, panel_id)
    model = SUBJECT[panel.kind][0]
    assigned_stmt = (
        pairs(panel.kind, PanelMember.expert_id, func.count(model.id))
        .where(PanelMember.panel_id == panel.id)
        .group_by(PanelMember.expert_id)
    )
    assigned: dict[int, int] = dict(session.execute(assigned_stmt).all())
    submitted_stmt = (
        select(Score.expert_id, func.count(Score.id))
        .where(Score.panel_id == panel.id, Score.submitted_at.is_not(None))
        .group_by(Score.expert_id)
    )
    submitted = dict(session.execute(submitted_stmt).all())
    return [Progress(m, assigned.get(m.expert_id, 0), submitted.get(m.expert_id, 0)) for m in panel.members]


# --- results ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    n: int
    mean: float
    stdev: float
    min: float
    max: float
    spread: float
    outlier: list[bool]  # per total, in the order given

    @property
    def wide_spread(self) -> bool:
        return self.spread > WIDE_SPREAD


def spread_stats(totals: Sequence[float]) -> Stats:
    """Mean, population standard deviation, range; a total is an outlier when it is more than
    :data:`OUTLIER_GAP` points from the mean of the *other* experts' totals (needs two experts or more)."""
    n = len(totals)
    outlier = [n > 1 and abs(t - (sum(totals) - t) / (n - 1)) > OUTLIER_GAP for t in totals]
    return Stats(
        n=n,
        mean=round(statistics.fmean(totals), 2),
        stdev=round(statistics.pstdev(totals), 2),
        min=min(totals),
        max=max(totals),
        spread=round(max(totals) - min(totals), 2),
        outlier=outlier,
    )


@dataclass(frozen=True)
class ExpertTotal:
    score_id: int
    expert_id: int
    label: str
    total: float
    items: dict[str, float]
    comment: str
    outlier: bool


@dataclass(frozen=True)
class Result:
    subject_id: int
    subject: Any
    label: str
    n: int
    mean: float
    stdev: float
    min: float
    max: float
    spread: float
    rank: int
    wide_spread: bool
    outliers: list[str]  # labels of the experts whose totals are outliers
    totals: list[ExpertTotal]


def _results(session: Session, panel: Panel, labels: dict[int, str]) -> list[Result]:
    """Valid scores per subject, ranked by mean, highest first; equal means share a rank."""
    model, column, _ = SUBJECT[panel.kind]
    order = {m.expert_id: i for i, m in enumerate(panel.members)}
    submitted = select(Score).where(Score.id.in_(_valid_score_ids(panel)))
    by_subject: dict[int, list[Score]] = defaultdict(list)
    for score in sorted(session.scalars(submitted), key=lambda s: (order.get(s.expert_id, len(order)), s.id)):
        by_subject[getattr(score, column.key)].append(score)
    scored: list[Application | Center] = list(session.scalars(select(model).where(model.id.in_(by_subject))))
    found = {s.id: s for s in scored}
    rows = []
    for subject_id, scores in by_subject.items():
        stats = spread_stats([s.total for s in scores])
        totals = [
            ExpertTotal(s.id, s.expert_id, labels.get(s.expert_id, "专家"), s.total, s.items, s.comment, flag)
            for s, flag in zip(scores, stats.outlier, strict=True)
        ]
        rows.append((subject_id, stats, totals))
    means = [stats.mean for _, stats, _ in rows]
    results = [
        Result(
            subject_id=subject_id,
            subject=found[subject_id],
            label=subject_label(found[subject_id]),
            n=stats.n,
            mean=stats.mean,
            stdev=stats.stdev,
            min=stats.min,
            max=stats.max,
            spread=stats.spread,
            rank=1 + sum(m > stats.mean for m in means),
            wide_spread=stats.wide_spread,
            outliers=[t.label for t in totals if t.outlier],
            totals=totals,
        )
        for subject_id, stats, totals in rows
    ]
    return sorted(results, key=lambda r: (r.rank, r.subject_id))


def _names(panel: Panel) -> dict[int, str]:
    return {m.expert_id: m.expert.display_name for m in panel.members}


def _panel_of_kind(session: Session, panel_id: int, kind: str) -> Panel:
    panel = session.get(Panel, panel_id)
    if panel is None or panel.kind != kind:
        raise NotFound(f"{PANEL_KINDS[kind]}评审组不存在")
    return panel


def results(session: Session, panel_id: int) -> list[Result]:
    """A recognition panel's ranked dossiers, experts named (no permission check: for services)."""
    panel = _panel_of_kind(session, panel_id, "recognition")
    return _results(session, panel, _names(panel))


def center_results(session: Session, panel_id: int) -> list[Result]:
    """A performance panel's ranked centers, experts named (no permission check: for services)."""
    panel = _panel_of_kind(session, panel_id, "performance")
    return _results(session, panel, _names(panel))


def panel_results(session: Session, principal: Principal, panel_id: int) -> tuple[Panel, list[Result]]:
    """Results once the panel is closed: experts named for the region admin, anonymised for the panel's
    experts (专家1…n, in the order they joined) except themselves. An expert sees only the subjects they
    were given: the others' scores and comments on a subject they had to avoid stay hidden from them."""
    panel = get_panel(session, principal, panel_id)
    if panel.state != PanelState.CLOSED:
        raise Conflict("评审尚未结束，评分结果暂不公开")
    if principal.role is Role.REGION_ADMIN:
        return panel, _results(session, panel, _names(panel))
    labels = {m.expert_id: f"专家{i}" for i, m in enumerate(panel.members, 1)}
    labels[principal.user_id or -1] = f"本人（{principal.label}）"
    mine = set(session.scalars(_subject_ids(panel, principal.user_id)))
    return panel, [r for r in _results(session, panel, labels) if r.subject_id in mine]


def _valid_score_ids(panel: Panel) -> Select[tuple[int]]:
    """The panel's submitted scores by experts still free to score their subject: a score of a subject the
    expert must avoid (own organisation, declared conflict) is no valid score, counted nowhere."""
    model, column, _ = SUBJECT[panel.kind]
    scored = and_(Score.panel_id == Panel.id, Score.expert_id == PanelMember.expert_id, column == model.id)
    return pairs(panel.kind, Score.id).join(Score, scored).where(Panel.id == panel.id, Score.submitted_at.is_not(None))


def valid_score_counts(session: Session, panel: Panel) -> dict[int, int]:
    """Per subject, how many valid scores it has."""
    column = SUBJECT[panel.kind][1]
    stmt = select(column, func.count(Score.id)).where(Score.id.in_(_valid_score_ids(panel))).group_by(column)
    return dict(session.execute(stmt).all())


def close_panel(session: Session, principal: Principal, panel_id: int) -> list[Result]:
    """Close once every subject has the panel's minimum of valid scores; a recognition panel then writes each
    dossier's mean score and rank."""
    panel = _open_panel(session, principal, panel_id)
    counts = valid_score_counts(session, panel)
    pending = [s for s in subjects(session, panel) if counts.get(s.id, 0) < panel.min_scores]
    if pending:
        names = "、".join(f"{subject_label(s)}（{counts.get(s.id, 0)} 份）" for s in pending)
        raise Conflict(f"以下评审对象的有效评分不足 {panel.min_scores} 份，不能结束评审：{names}")
    if not counts:
        raise Conflict("评审组没有评审对象，不能结束评审")
    take(session, PANELS, panel, "close", owners=None, meta={"panel_id": panel.id}, changes={"closed_at": utcnow()})
    found = _results(session, panel, _names(panel))
    if panel.kind == "recognition":
        for result in found:
            result.subject.expert_score = round(result.mean, 1)
            result.subject.expert_rank = result.rank
    session.flush()
    return found


# --- the expert's score sheet document ----------------------------------------------------------------


def score_for_document(session: Session, principal: Principal, score_id: int) -> Score:
    """The expert's own score, or any score for the region admin once the panel is closed."""
    score = session.get(Score, score_id)
    if score is not None and principal.role is Role.EXPERT and score.expert_id == principal.user_id:
        return score
    if score is None or principal.role is not Role.REGION_ADMIN:
        raise NotFound("评分记录不存在或无权查看")
    if get_panel(session, principal, score.panel_id).state != PanelState.CLOSED:
        raise Conflict("评审结束后方可查看专家评分表")
    return score
