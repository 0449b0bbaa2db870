"""Recognition dossiers: who sees them, and the one function every workflow step goes through."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ipoc.applications import flows
from ipoc.applications.models import Application, ApplicationEvent
from ipoc.audit import service as audit
from ipoc.auth.roles import Principal, Role
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound


def _expert_subjects(principal: Principal) -> Select[tuple[int]]:
    """Dossiers an expert was given: those of calls whose panel they sit on, minus their conflicts."""
    from ipoc.reviews.service import assigned_application_ids

    return assigned_application_ids(principal)


def visible(principal: Principal) -> Select[tuple[Application]]:
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


def available_actions(principal: Principal, app: Application) -> list[flows.Transition]:
    return flows.available(app.state, app.route, owners(principal, app))


def transition(session: Session, principal: Principal, app: Application, action: str, reason: str = "") -> Application:
    """Take one workflow step: the owning role only, from a state it applies to, leaving a timeline
    entry and an audit record with the reason. Refusals change nothing."""
    t = flows.BY_ACTION.get(action)
    if t is None:
        raise InvalidInput(f"未知的操作：{action}", field="action")
    if t.owner not in owners(principal, app):
        raise Forbidden(f"“{t.label}”由{flows.OWNER_LABELS[t.owner]}办理")
    if not flows.applies(t, app.state, app.route):
        raise Conflict(f"申报当前为“{app.state_label}”状态，不能“{t.label}”")
    reason = reason.strip()
    if t.reason_required and not reason:
        raise InvalidInput(f"“{t.label}”必须填写理由", field="reason")
    source = app.state
    target = flows.target_of(t, app.returned_from)
    app.returned_from = source if target == "returned" else None
    audit.set_reason(session, reason or t.label, action=action)
    app.state = target
    session.add(
        ApplicationEvent(
            application_id=app.id,
            action=action,
            from_state=source,
            to_state=target,
            reason=reason,
            actor_id=principal.user_id,
            actor_label=principal.label if principal.is_authenticated else "社会公众",
        )
    )
    session.flush()
    return app


def timeline(session: Session, app: Application) -> list[ApplicationEvent]:
    stmt = select(ApplicationEvent).where(ApplicationEvent.application_id == app.id)
    return list(session.scalars(stmt.order_by(ApplicationEvent.at, ApplicationEvent.id)))
