"""Builders the domain tests share: an organisation, a center in its construction period, and the principals of
a set of test accounts, the small world the transfer tests share, and valid application numbers."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ipoc.audit import service as audit
from ipoc.audit.rows import IMPORT_BATCH, batch_meta
from ipoc.auth.roles import Principal, Role
from ipoc.auth.service import principal_for
from ipoc.centers.models import Center
from ipoc.orgs.models import Organisation, OrganisationName
from ipoc.orgs.names import normalise_name
from ipoc.patents.models import Applicant, Patent, PatentApplicant, RightsAuthorisation
from ipoc.patents.numbers import check_char
from ipoc.reference.models import Industry
from ipoc.reference.service import find_region
from tests.conftest import make_user


def number(serial: int, year: int = 2021, kind: int = 1) -> str:
    """A valid CNIPA application number (with its check character), distinct per serial."""
    body = f"{year}{kind}{serial:07d}"
    return f"{body}.{check_char(body)}"


def make_org(
    session, name: str, *, city: str = "包头市", type_code: str = "enterprise", status: str = "verified"
) -> Organisation:
    org = Organisation(name=name, type_code=type_code, region_id=find_region(session, city).id, status=status)
    session.add(org)
    session.flush()
    return org


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


def who(session, username: str, role: Role, scope: str | None = None) -> Principal:
    """A new account, as the principal it acts as."""
    return principal_for(session, make_user(session, username, role, scope))


def principals(session, scopes: dict[str, tuple[Role, str | None]]) -> dict[str, Principal]:
    """An account per name (username = name) with the role and scope given, as the principal it acts as."""
    return {
        name: principal_for(session, make_user(session, name, role, scope)) for name, (role, scope) in scopes.items()
    }


def transfer_world(session) -> tuple[Organisation, Center, dict[str, Principal]]:
    """The owner of a demand, the center handling it, another center elsewhere, one patent, and an account for
    every role around them: (owner, center, principals)."""
    owner = make_org(session, "包头稀土永磁有限公司")
    make_org(session, "鄂尔多斯装备制造有限公司")
    univ = make_org(session, "内蒙古科技大学", type_code="university")
    holds_name(session, univ)  # the patent's applicant and current patentee, so the university may offer it
    make_org(session, "未核验科技有限公司", status="pending")
    center = active_center(session, "稀土产业知识产权运营中心", owner)
    active_center(session, "乳业知识产权运营中心", make_org(session, "赤峰乳业集团", city="赤峰市"))
    hashes = {"content_hash": "x", "passage_hash": "x", "rev": 1}
    patent = Patent(application_no=number(1), kind="invention", title="一种稀土永磁体", **hashes)
    patent.applicant_links = [PatentApplicant(position=0, applicant=Applicant(name=univ.name))]
    session.add(patent)
    session.flush()
    # Patents are only ever written by the import, which records each batch: so does this stand-in.
    audit.log(session, IMPORT_BATCH, "Job", 0, meta=batch_meta([patent.id], []))
    session.commit()
    scopes = {
        "owner": (Role.MEMBER, "包头稀土永磁有限公司"),
        "other": (Role.MEMBER, "鄂尔多斯装备制造有限公司"),
        "univ": (Role.MEMBER, "内蒙古科技大学"),
        "pending": (Role.MEMBER, "未核验科技有限公司"),
        "staff": (Role.CENTER_STAFF, "稀土产业知识产权运营中心"),
        "other_staff": (Role.CENTER_STAFF, "乳业知识产权运营中心"),
        "bureau": (Role.BUREAU_OFFICER, "包头市"),
        "far_bureau": (Role.BUREAU_OFFICER, "赤峰市"),
        "expert": (Role.EXPERT, None),
        "admin": (Role.REGION_ADMIN, None),
    }
    return owner, center, principals(session, scopes)
