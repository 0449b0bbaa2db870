"""Builders the domain tests share, one way each: an organisation, a center (by hand, or recognised from a dossier),
its revocation, the principals of a set of test accounts, and valid application numbers. The worlds built from
them live in tests/worlds/."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from ipoc.applications.models import Application, Call
from ipoc.auth.roles import Principal, Role
from ipoc.auth.service import principal_for
from ipoc.centers import service as centers
from ipoc.centers.models import Center, Revocation
from ipoc.orgs.models import Organisation, OrganisationName
from ipoc.orgs.names import normalise_name
from ipoc.patents.models import Patent, RightsAuthorisation
from ipoc.patents.numbers import check_char
from ipoc.reference.models import Industry
from ipoc.reference.service import find_region
from ipoc.uploads import Upload
from tests.conftest import make_user

START = date(2025, 3, 1)  # a center made by hand: period 2025-03-01 .. 2028-02-29, plans for 2025..2028
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def number(serial: int, year: int = 2021, kind: int = 1) -> str:
    """A valid CNIPA application number (with its check character), distinct per serial."""
    body = f"{year}{kind}{serial:07d}"
    return f"{body}.{check_char(body)}"


def make_org(
    session, name: str, *, city: str = "包头市", type_code: str = "enterprise", status: str = "verified"
) -> Organisation:
    """A new organisation (a verified enterprise in 包头 unless said otherwise)."""
    org = Organisation(name=name, type_code=type_code, region_id=find_region(session, city).id, state=status)
    session.add(org)
    session.flush()
    return org


def org_named(session, name: str, *, city: str = "包头市") -> Organisation:
    """The organisation of that name, made (a verified enterprise in ``city``) if there is none yet."""
    return session.scalar(select(Organisation).where(Organisation.name == name)) or make_org(session, name, city=city)


def holds_name(session, org: Organisation, name: str | None = None) -> OrganisationName:
    """A patentee/applicant name the organisation holds, confirmed (as its bureau would), so that
    patents.rights counts it a current patentee of the patents under that name."""
    link = OrganisationName(
        organisation_id=org.id, name=name or org.name, normalised=normalise_name(name or org.name), state="confirmed"
    )
    session.add(link)
    session.flush()
    return link


def authorise(session, org: Organisation, patent: Patent, grantor: str, acts: tuple[str, ...] = ("offer",)):
    """A patentee's written authorisation for ``org``, confirmed by a center (patents.rights counts it)."""
    auth = RightsAuthorisation(patent_id=patent.id, organisation_id=org.id, grantor=grantor, acts=list(acts),
                               state="confirmed")  # fmt: skip
    session.add(auth)
    session.flush()
    return auth


def make_center(
    session,
    name: str,
    *,
    region: str = "包头市",
    builder: Organisation | None = None,
    start: date = START,
    direct: bool = False,
    status: str = "recognized",
    first_eval_year: int | None = None,
) -> Center:
    """A center recognised on ``start`` for three years, in the first industry, made by hand (the lifecycle has its
    own tests, and ``recognised_center`` goes through it). Without a builder, one is made in ``region``; the first
    evaluation falls in the year it starts unless said otherwise."""
    builder = builder or make_org(session, f"{name}建设单位", city=region)
    center = Center(
        name=name,
        industry_id=session.scalars(select(Industry).order_by(Industry.id)).first().id,
        builder_org_id=builder.id,
        region_id=builder.region_id,
        state=status,
        recognised_on=start,
        period_start=start,
        period_end=start.replace(year=start.year + 3) - timedelta(days=1),
        first_eval_year=first_eval_year or start.year,
        direct=direct,
    )
    session.add(center)
    session.commit()
    return center


def industry(session, term: str = "新能源") -> Industry:
    return session.scalar(select(Industry).where(Industry.naming_term == term))


def application(
    session, *, term: str = "新能源", region: str = "包头市", route: str = "via_bureau", org_name: str | None = None
) -> Application:
    """A dossier at public notice, in the first call (made if none), by the builder named (made if new)."""
    call = session.scalar(select(Call).limit(1))
    if call is None:
        call = Call(year=2026, title="2026 年度申报", opens_on=date(2026, 1, 1), closes_on=date(2026, 12, 31))
        session.add(call)
        session.flush()
    builder = org_named(session, org_name or f"{region}测试{term}有限公司", city=region)
    app = Application(
        call_id=call.id,
        org_id=builder.id,
        region_id=builder.region_id,
        industry_id=industry(session, term).id,
        builder_type="leading_enterprise",
        route=route,
        state="public_notice",
    )
    session.add(app)
    session.flush()
    return app


def recognised_center(session, recognised_on: date = date(2026, 3, 2), **dossier) -> Center:
    """A center recognised through the lifecycle from a dossier of its own (``application``), so named by Art. 8."""
    center = centers.create_from_application(session, application(session, **dossier), recognised_on)
    session.commit()
    return center


def evidence(name: str = "证据.pdf", content: bytes = PDF) -> Upload:
    return Upload.of_bytes(name, content)


def revoke(session, admin: Principal, center: Center, files_: list[Upload] | None = None, **kw) -> Revocation:
    kw = {"reason": "dishonesty", "detail": "经核查存在严重失信行为", **kw}
    files_ = [evidence()] if files_ is None else files_
    return centers.revoke(session, admin, center.id, evidence=files_, **kw)


def who(session, username: str, role: Role, scope: str | None = None) -> Principal:
    """A new account, as the principal it acts as."""
    return principal_for(session, make_user(session, username, role, scope))


def principals(session, scopes: dict[str, tuple[Role, str | None]]) -> dict[str, Principal]:
    """An account per name (username = name) with the role and scope given, as the principal it acts as."""
    return {
        name: principal_for(session, make_user(session, name, role, scope)) for name, (role, scope) in scopes.items()
    }
