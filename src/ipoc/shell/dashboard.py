"""What each role's dashboard shows: plain functions over a session, no HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.applications import service as applications
from ipoc.applications.flows import STATE_LABELS
from ipoc.applications.models import Application, Call
from ipoc.auth.models import User
from ipoc.auth.roles import ANONYMOUS, Principal, Role
from ipoc.catalogue import service as catalogue
from ipoc.centers import service as centers
from ipoc.centers.models import ACTIVE_STATUSES, CENTER_STATUS, Center, SelfEvaluation
from ipoc.deals.models import Deal
from ipoc.events import service as events
from ipoc.events.models import EventState, TechEvent, TechEventSignup
from ipoc.matching.models import Match, MatchState
from ipoc.notices.models import PublicNotice
from ipoc.orgs import service as orgs
from ipoc.orgs.models import Organisation, OrgState
from ipoc.reference.models import Industry, Region
from ipoc.reminders.service import due_items
from ipoc.transfer import inbox as desk
from ipoc.transfer.models import Demand, Offer

MEMBER_ROWS = 20  # per kind on the dashboard; the lists behind each heading have the rest
HOME_ROWS = 6


def orgs_by_region(session: Session, region_ids: set[int] | None = None) -> list[tuple[str, int, int]]:
    """(region, verified, pending) for the chart of registrations by league/city."""
    stmt = (
        select(Region.name, Organisation.state, func.count(Organisation.id))
        .join(Organisation, Organisation.region_id == Region.id, isouter=True)
        .group_by(Region.name, Region.sort_order, Organisation.state)
        .order_by(Region.sort_order)
    )
    if region_ids is not None:
        stmt = stmt.where(Region.id.in_(region_ids))
    counts: dict[str, list[int]] = {}
    for name, status, n in session.execute(stmt):
        row = counts.setdefault(name, [0, 0])
        if status == OrgState.VERIFIED:
            row[0] += n
        elif status == OrgState.PENDING:
            row[1] += n
    return [(name, v, p) for name, (v, p) in counts.items()]


def centers_by(session: Session) -> dict[str, list[tuple[str, int]]]:
    """Centers counted by status, by league/city and by industry (every category, zeros included), for the
    region dashboard's charts."""
    by_status = dict(session.execute(select(Center.state, func.count(Center.id)).group_by(Center.state)).all())
    by_region = session.execute(
        select(Region.name, func.count(Center.id))
        .join(Center, Center.region_id == Region.id, isouter=True)
        .group_by(Region.name, Region.sort_order)
        .order_by(Region.sort_order)
    ).all()
    by_industry = session.execute(
        select(Industry.name, func.count(Center.id))
        .join(Center, Center.industry_id == Industry.id, isouter=True)
        .group_by(Industry.name, Industry.id)
        .order_by(Industry.id)
    ).all()
    return {
        "status": [(label, by_status.get(code, 0)) for code, label in CENTER_STATUS.items()],
        "region": [(name, n) for name, n in by_region],
        "industry": [(name, n) for name, n in by_industry],
    }


def current_call(session: Session) -> Call | None:
    return session.scalar(select(Call).order_by(Call.year.desc(), Call.opens_on.desc(), Call.id.desc()).limit(1))


def dossiers_by_state(session: Session, call: Call) -> list[tuple[str, str, int]]:
    """(state, label, count) of one call's dossiers, in workflow order, states with none left out."""
    stmt = select(Application.state, func.count(Application.id)).where(Application.call_id == call.id)
    counts = dict(session.execute(stmt.group_by(Application.state)).all())
    return [(state, label, counts[state]) for state, label in STATE_LABELS.items() if counts.get(state)]


def _center_staff(session: Session, center: Center, today: date) -> dict[str, Any]:
    evaluation = session.scalar(
        select(SelfEvaluation).where(SelfEvaluation.center_id == center.id, SelfEvaluation.year == today.year)
    )
    plan = catalogue.find_plan(session, center.id, today.year)
    done, total = catalogue.plan_progress(plan) if plan else (0, 0)
    return {
        "center": center,
        "year": today.year,
        "self_evaluation": evaluation,
        "evaluation_due": center.is_active and today.year in centers.evaluation_years(center),
        "plan": plan,
        "plan_done": done,
        "plan_total": total,
    }


@dataclass(frozen=True)
class Row:
    """One of a member's records on its dashboard: what it is, its state by name, where it is."""

    title: str
    state: str
    link: str


def _newest(session: Session, stmt: Any, model: Any) -> list[Any]:
    return list(session.scalars(stmt.order_by(model.updated_at.desc(), model.id.desc()).limit(MEMBER_ROWS)))


def _match_row(m: Match) -> Row:
    """A forwarded match opens on its own page; once decided, on its source's list of matches."""
    source = f"/demands/{m.demand_id}" if m.demand_id else f"/offers/{m.offer_id}"
    link = f"/matches/{m.id}" if m.state == MatchState.FORWARDED else f"{source}/matches"
    return Row(f"{m.kind_label}匹配 #{m.id}", m.state_label, link)


def member_records(session: Session, org_id: int) -> dict[str, list[Row]]:
    """The organisation's dossiers, demands, offers, the matches forwarded to it, its deals and its event
    sign-ups, newest first, each with its state by name and its page."""
    dossiers = _newest(session, select(Application).where(Application.org_id == org_id), Application)
    demands = _newest(session, select(Demand).where(Demand.org_id == org_id), Demand)
    offers = _newest(session, select(Offer).where(Offer.org_id == org_id), Offer)
    matches = _newest(session, select(Match).where(Match.forwarded_to_org_id == org_id), Match)
    party = or_(Deal.provider_org_id == org_id, Deal.seeker_org_id == org_id)
    deals = _newest(session, select(Deal).where(party), Deal)
    signups = _newest(session, select(TechEventSignup).where(TechEventSignup.org_id == org_id), TechEventSignup)
    return {
        "申报": [Row(f"{a.call.title} · {a.industry.name}", a.state_label, f"/applications/{a.id}") for a in dossiers],
        "技术需求": [Row(d.title, d.state_label, f"/demands/{d.id}") for d in demands],
        "技术供给": [Row(o.title, o.state_label, f"/offers/{o.id}") for o in offers],
        "转交的匹配": [_match_row(m) for m in matches],
        "技术合同": [Row(d.title, d.state_label, f"/deals/{d.id}") for d in deals],
        "活动报名": [Row(s.event.title, s.event.state_label, f"/events/{s.event_id}") for s in signups],
    }


def public_home(session: Session, today: date | None = None) -> dict[str, Any]:
    """Public records only: notices being published now, calls open for applications, recognised centers
    and coming public events."""
    today = today or clock.today()
    notices = select(PublicNotice).where(PublicNotice.published_at.is_not(None), PublicNotice.ends_on >= today)
    centers_ = select(Center).where(Center.state.in_(ACTIVE_STATUSES))
    coming = events.visible_events(ANONYMOUS).where(TechEvent.state != EventState.CANCELLED)
    upcoming, _past = events.split_by_time(list(session.scalars(coming)))
    return {
        "notices": list(session.scalars(notices.order_by(PublicNotice.starts_on.desc()).limit(HOME_ROWS))),
        "calls": applications.list_calls(session, ANONYMOUS, open_only=True, today=today)[:HOME_ROWS],
        "centers": list(session.scalars(centers_.order_by(Center.recognised_on.desc(), Center.id).limit(HOME_ROWS))),
        "events": upcoming[:HOME_ROWS],
        "today": today,
    }


def dashboard(session: Session, principal: Principal, today: date | None = None) -> dict[str, Any]:
    today = today or clock.today()
    due = due_items(session, principal, today)
    ctx: dict[str, Any] = {"pending": orgs.pending_for(session, principal), "due": due, "today": today}
    if principal.role is Role.REGION_ADMIN:
        ctx["user_count"] = session.scalar(select(func.count(User.id)).where(User.active)) or 0
        ctx["center_count"] = session.scalar(select(func.count(Center.id))) or 0
        ctx["chart"] = orgs_by_region(session)
        ctx["center_charts"] = centers_by(session)
        call = current_call(session)
        ctx["call"] = call
        ctx["call_states"] = dossiers_by_state(session, call) if call else []
    elif principal.role is Role.BUREAU_OFFICER:
        ctx["chart"] = orgs_by_region(session, set(principal.region_ids))
        # The inbox: dossiers waiting on this bureau and self-evaluations to audit (the due list, split).
        ctx["inbox"] = applications.waiting_on(session, principal)
        ctx["audits"] = [i for i in due if i.kind == "audit_self_evaluation"]
    elif principal.role is Role.CENTER_STAFF and principal.center_id:
        center = session.get(Center, principal.center_id)
        if center is not None:
            ctx.update(_center_staff(session, center, today))
            ctx["desk"] = desk.counts(session, principal)
    elif principal.role is Role.EXPERT:
        ctx["to_score"] = sum(1 for i in due if i.kind == "score")
    elif principal.role is Role.MEMBER and principal.org_id:
        ctx["org"] = session.get(Organisation, principal.org_id)
        ctx["records"] = member_records(session, principal.org_id)
    return ctx
