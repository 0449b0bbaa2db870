"""Who is assigned what on the review panels: read by the dossiers' and the centers' own visibility rules
(an expert reads what they score), so it stands apart from the panel workflow in ``reviews.service``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, extract, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from ipoc.applications.models import Application, ApplicationEvent
from ipoc.applications.models import ApplicationState as S
from ipoc.auth.models import User
from ipoc.auth.roles import Principal
from ipoc.centers.models import Center, CenterState, Revocation
from ipoc.reviews.models import Panel, PanelConflict, PanelMember, Score

# A dossier is a subject of its call's recognition panels once it reaches expert review, and stays one
# (read access for the experts) through the later states; a rejection counts only at or after review.
REVIEWED_STATES = frozenset({S.EXPERT_REVIEW, S.SHORTLISTED, S.PUBLIC_NOTICE, S.OBJECTION_HANDLING, S.RECOGNIZED})


# --- who is assigned what -----------------------------------------------------------------------------

# Per panel kind: the subject model, the score column naming it, and the organisation it belongs to.
SUBJECT: dict[str, tuple[type[Application] | type[Center], InstrumentedAttribute[Any], InstrumentedAttribute[Any]]] = {
    "recognition": (Application, Score.application_id, Application.org_id),
    "performance": (Center, Score.center_id, Center.builder_org_id),
}


def reviewed() -> ColumnElement[bool]:
    after_review = exists().where(
        ApplicationEvent.application_id == Application.id, ApplicationEvent.from_state.in_(REVIEWED_STATES)
    )
    return or_(Application.state.in_(REVIEWED_STATES), and_(Application.state == S.REJECTED, after_review))


def active_in(year: Any) -> ColumnElement[bool]:
    """Centers whose evaluated years include ``year`` (a late recognition starts the year after) and that
    were not revoked before that year was out."""
    first_year = func.coalesce(Center.first_eval_year, extract("year", Center.period_start))
    revoked_later = exists().where(Revocation.center_id == Center.id, extract("year", Revocation.decided_on) > year)
    return and_(
        Center.period_start.is_not(None),
        first_year <= year,
        extract("year", Center.period_end) >= year,
        or_(Center.state != CenterState.REVOKED, revoked_later),
    )


def pairs(kind: str, *columns: Any) -> Select[Any]:
    """Rows of (panel member, subject) assignments of panels of ``kind``, projected on ``columns``."""
    model, _, org = SUBJECT[kind]
    stmt = (
        select(*columns)
        .select_from(PanelMember)
        .join(Panel, Panel.id == PanelMember.panel_id)
        .join(User, User.id == PanelMember.expert_id)
    )
    if model is Application:
        stmt = stmt.join(Application, and_(Application.call_id == Panel.call_id, reviewed()))
    else:
        stmt = stmt.join(Center, active_in(Panel.year))
    declared = exists().where(PanelConflict.member_id == PanelMember.id, PanelConflict.org_id == org)
    return stmt.where(Panel.kind == kind, or_(User.org_id.is_(None), User.org_id != org), ~declared)


def assigned(kind: str, principal: Principal) -> Select[tuple[int]]:
    model = SUBJECT[kind][0]
    return pairs(kind, model.id).where(PanelMember.expert_id == (principal.user_id or -1)).correlate(None)


def assigned_application_ids(principal: Principal) -> Select[tuple[int]]:
    """Dossiers the expert is to score (or scored): on their panels, not of an organisation they must avoid."""
    return assigned("recognition", principal)


def assigned_center_ids(principal: Principal) -> Select[tuple[int]]:
    """Centers the expert is to evaluate (or evaluated), minus those of organisations they must avoid."""
    return assigned("performance", principal)
