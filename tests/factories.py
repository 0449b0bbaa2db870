"""Builders the domain tests share: an organisation, a center in its construction period, and the principals of
a set of test accounts. Valid application numbers come from ``tests.test_patent_import.number``."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ipoc.auth.roles import Principal, Role
from ipoc.auth.service import principal_for
from ipoc.centers.models import Center
from ipoc.orgs.models import Organisation
from ipoc.reference.models import Industry
from ipoc.reference.service import find_region
from tests.conftest import make_user


def make_org(
    session, name: str, *, city: str = "包头市", type_code: str = "enterprise", status: str = "verified"
) -> Organisation:
    org = Organisation(name=name, type_code=type_code, region_id=find_region(session, city).id, status=status)
    session.add(org)
    session.flush()
    return org


def active_center(session, name: str, builder: Organisation) -> Center:
    """A center recognised on 2025-03-01, in the first industry, in its builder's league/city."""
    start = date(2025, 3, 1)
    center = Center(
        name=name,
        industry_id=session.scalars(select(Industry).order_by(Industry.id)).first().id,
        builder_org_id=builder.id,
        region_id=builder.region_id,
        status="recognized",
        recognised_on=start,
        period_start=start,
        period_end=date(2028, 2, 28),
        first_eval_year=2025,
    )
    session.add(center)
    session.flush()
    return center


def principals(session, scopes: dict[str, tuple[Role, str | None]]) -> dict[str, Principal]:
    """An account per name (username = name) with the role and scope given, as the principal it acts as."""
    return {
        name: principal_for(session, make_user(session, name, role, scope)) for name, (role, scope) in scopes.items()
    }
