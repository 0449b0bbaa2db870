"""What each role's dashboard shows: plain functions over a session, no HTTP."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ipoc.auth.models import User
from ipoc.auth.roles import Principal, Role
from ipoc.centers.models import Center
from ipoc.orgs import service as orgs
from ipoc.orgs.models import Organisation
from ipoc.reference.models import Region


def orgs_by_region(session: Session, region_ids: set[int] | None = None) -> list[tuple[str, int, int]]:
    """(region, verified, pending) for the chart of registrations by league/city."""
    stmt = (
        select(Region.name, Organisation.status, func.count(Organisation.id))
        .join(Organisation, Organisation.region_id == Region.id, isouter=True)
        .group_by(Region.name, Region.sort_order, Organisation.status)
        .order_by(Region.sort_order)
    )
    if region_ids is not None:
        stmt = stmt.where(Region.id.in_(region_ids))
    counts: dict[str, list[int]] = {}
    for name, status, n in session.execute(stmt):
        row = counts.setdefault(name, [0, 0])
        if status == "verified":
            row[0] += n
        elif status == "pending":
            row[1] += n
    return [(name, v, p) for name, (v, p) in counts.items()]


def dashboard(session: Session, principal: Principal) -> dict[str, Any]:
    ctx: dict[str, Any] = {"pending": orgs.pending_for(session, principal)}
    if principal.role is Role.REGION_ADMIN:
        ctx["user_count"] = session.scalar(select(func.count(User.id)).where(User.active)) or 0
        ctx["center_count"] = session.scalar(select(func.count(Center.id))) or 0
        ctx["chart"] = orgs_by_region(session)
    elif principal.role is Role.BUREAU_OFFICER:
        ctx["chart"] = orgs_by_region(session, set(principal.region_ids))
    elif principal.role is Role.CENTER_STAFF and principal.center_id:
        ctx["center"] = session.get(Center, principal.center_id)
    elif principal.role is Role.MEMBER and principal.org_id:
        ctx["org"] = session.get(Organisation, principal.org_id)
    return ctx
