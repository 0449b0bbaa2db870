"""The national recommendation list (Art. 14): each center's threshold on the deal ledger, beside what its
audited self-evaluations reported and what bars it whatever its figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ipoc.auth.roles import Principal
from ipoc.centers.models import (
    ACTIVE_STATUSES,
    Center,
    CenterState,
    PerformanceEvaluation,
    Rectification,
    RectificationState,
    SelfEvaluation,
    SelfEvaluationState,
)
from ipoc.centers.service import require_region, revocation_of
from ipoc.config import get_settings
from ipoc.deals import service as deals
from ipoc.money import wan
from ipoc.notices.models import zh_date

NATIONAL_SOURCE = "台账"  # the deal ledger: signed and recorded technology contracts
REPORTED_SOURCE = "自评报告（审核通过）"


@dataclass(frozen=True)
class NationalRow:
    """One center on the national list. The threshold is checked on the ledger of signed contracts
    (``conversion_*``, source 台账); the figures the center reported in its audited self-evaluations
    (``reported_*``) stay beside them for comparison. ``bars`` say why the center may not be recommended
    whatever its figures (revoked, under rectification, or its latest evaluation ordered rectification)."""

    center: Center
    evaluation: PerformanceEvaluation | None  # the latest
    conversion_amount_yuan: int  # ledger: of the year deals.service.threshold_year picks
    conversion_year: int
    conversion_projects: int  # ledger: every counted deal so far
    meets_threshold: bool
    reported_amount_yuan: int | None = None  # of the latest audited self-evaluation
    reported_year: int | None = None
    reported_projects: int = 0  # summed over audited self-evaluations
    bars: tuple[str, ...] = ()

    @property
    def eligible(self) -> bool:
        return self.meets_threshold and not self.bars

    @property
    def reasons(self) -> list[str]:
        """Why the row is 不符合: each bar, then the threshold shortfall; empty when 符合."""
        if self.meets_threshold:
            return list(self.bars)
        settings = get_settings()
        shortfall = (
            f"未达国家级门槛：年度转化运营金额{wan(self.conversion_amount_yuan)}万元（{self.conversion_year}年）"
            f"低于{wan(settings.national_min_conversion_yuan)}万元，且累计项目{self.conversion_projects}个"
            f"少于{settings.national_min_projects}个"
        )
        return [*self.bars, shortfall]

    @property
    def source(self) -> str:
        return NATIONAL_SOURCE

    @property
    def reported_source(self) -> str:
        return REPORTED_SOURCE if self.reported_year is not None else "—"


def _reported(session: Session, center_id: int) -> tuple[SelfEvaluation | None, int]:
    """The latest audited self-evaluation and the projects summed over all audited ones."""
    audited = (SelfEvaluation.center_id == center_id, SelfEvaluation.state == SelfEvaluationState.AUDITED)
    last = session.scalar(select(SelfEvaluation).where(*audited).order_by(SelfEvaluation.year.desc()).limit(1))
    projects = session.scalar(select(func.coalesce(func.sum(SelfEvaluation.conversion_projects), 0)).where(*audited))
    return last, int(projects or 0)


def _latest_evaluation(session: Session, center_id: int) -> PerformanceEvaluation | None:
    stmt = select(PerformanceEvaluation).where(PerformanceEvaluation.center_id == center_id)
    return session.scalar(stmt.order_by(PerformanceEvaluation.year.desc()).limit(1))


def national_bars(session: Session, center: Center, latest: PerformanceEvaluation | None) -> tuple[str, ...]:
    """What keeps a center off the recommendation whatever its figures (Arts. 10, 14): a revoked status,
    a rectification in progress, or a latest performance evaluation that ordered rectification (even one
    since passed: the bureau recommends on the latest evaluation, and that one found the center wanting)."""
    bars = []
    if center.state == CenterState.REVOKED:
        revocation = revocation_of(session, center)
        when = f"（{revocation.reason_label}，{zh_date(revocation.decided_on)}）" if revocation else ""
        bars.append(f"已取消资格{when}")
    if center.state == CenterState.RECTIFYING:
        stmt = select(Rectification).where(
            Rectification.center_id == center.id,
            Rectification.state.in_((RectificationState.OPEN, RectificationState.REPORTED)),
        )
        rect = session.scalar(stmt.order_by(Rectification.id.desc()).limit(1))
        deadline = f"（整改期限{zh_date(rect.deadline)}，{rect.state_label}）" if rect else ""
        bars.append(f"责令限期整改中{deadline}")
    if latest is not None and latest.outcome == "rectify":
        bars.append(f"最近一次绩效评估（{latest.year}年度）结论为责令限期整改")
    return tuple(bars)


def national_ranking(session: Session, principal: Principal, today: date | None = None) -> list[NationalRow]:
    """Active and revoked centers: those without a bar first (showcase outcomes first, then by the latest
    performance score), then the barred ones, which are 不符合 with their reason. Each row carries the
    national threshold check (domain-rules §1: annual conversion amount ≥ the configured minimum, or
    cumulative projects ≥ the configured number), computed from the deal ledger: the amount of the better
    of the last full calendar year and the current year so far (``deals.service.threshold_year`` says
    why), and every counted deal for the projects."""
    require_region(principal, "国家级推荐名单")
    settings = get_settings()
    rows = []
    listed = Center.state.in_(ACTIVE_STATUSES | {CenterState.REVOKED})
    for center in session.scalars(select(Center).where(listed)):
        latest = _latest_evaluation(session, center.id)
        year = deals.threshold_year(session, center.id, today)
        projects = deals.cumulative_projects(session, center.id)
        reported, reported_projects = _reported(session, center.id)
        rows.append(
            NationalRow(
                center=center,
                evaluation=latest,
                conversion_amount_yuan=year.amount_yuan,
                conversion_year=year.year,
                conversion_projects=projects,
                meets_threshold=year.amount_yuan >= settings.national_min_conversion_yuan
                or projects >= settings.national_min_projects,
                reported_amount_yuan=reported.conversion_amount_yuan if reported else None,
                reported_year=reported.year if reported else None,
                reported_projects=reported_projects,
                bars=national_bars(session, center, latest),
            )
        )

    def key(row: NationalRow) -> tuple[bool, int, float, str]:
        ev = row.evaluation
        score = ev.score if ev is not None and ev.score is not None else float("-inf")
        return (bool(row.bars), 0 if ev is not None and ev.outcome == "showcase" else 1, -score, row.center.name)

    return sorted(rows, key=key)
