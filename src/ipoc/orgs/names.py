"""Comparing organisation and applicant names: one spelling per name, whatever the export's width, spaces or
brackets, so that "内蒙古 示例大学（呼和浩特）" and "内蒙古示例大学(呼和浩特)" are the same holder."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipoc.audit import service as audit
from ipoc.auth.roles import Principal, Role
from ipoc.centers.models import Center
from ipoc.db import utcnow
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.orgs.flows import NAMES
from ipoc.orgs.models import Organisation, OrganisationName
from ipoc.patents.models import Applicant
from ipoc.workflow import take

_SPACE = re.compile(r"\s+")


def normalise_name(name: str | None) -> str:
    """NFKC (full-width letters, digits and brackets become half-width), no whitespace, case-folded."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", name or "")).casefold()


# --- the names an organisation holds: proposed, then confirmed by its bureau or a center of its area ------


def may_confirm(session: Session, p: Principal, org: Organisation) -> bool:
    """The region bureau, the league/city bureau of the organisation's area, or the staff of a center there."""
    if p.is_(Role.REGION_ADMIN):
        return True
    if p.is_(Role.BUREAU_OFFICER):
        return org.region_id in p.region_ids
    if p.is_(Role.CENTER_STAFF) and p.center_id:
        return session.scalar(select(Center.region_id).where(Center.id == p.center_id)) == org.region_id
    return False


def may_propose(session: Session, p: Principal, org: Organisation) -> bool:
    return (p.is_(Role.MEMBER) and p.org_id == org.id) or may_confirm(session, p, org)


def names_of(session: Session, org_id: int) -> list[OrganisationName]:
    stmt = select(OrganisationName).where(OrganisationName.organisation_id == org_id)
    return list(session.scalars(stmt.order_by(OrganisationName.state, OrganisationName.name)))


def visible_names(session: Session, p: Principal, org_id: int) -> list[OrganisationName]:
    org = session.get(Organisation, org_id)
    if org is None or not may_propose(session, p, org):
        raise NotFound("单位不存在或无权查看")
    return names_of(session, org_id)


def propose(session: Session, p: Principal, org_id: int, name: str, *, source: str | None = None) -> OrganisationName:
    """A name the organisation says it holds as an applicant or patentee; it counts once confirmed."""
    org = session.get(Organisation, org_id)
    if org is None or not may_propose(session, p, org):
        raise NotFound("单位不存在或无权查看")
    name = " ".join(name.split())
    if len(name) < 2 or len(name) > 200:
        raise InvalidInput("请填写 2 至 200 字的申请人/专利权人名称", field="name")
    key = normalise_name(name)
    if any(link.normalised == key for link in names_of(session, org_id)):
        raise Conflict("该名称已登记", field="name")
    source = source or ("org" if p.is_(Role.MEMBER) else "staff")
    link = OrganisationName(organisation_id=org.id, name=name, normalised=key, source=source, proposed_by_id=p.user_id)
    audit.set_reason(session, f"申报申请人/专利权人名称：{name}")
    session.add(link)
    session.flush()
    return link


def decide(session: Session, p: Principal, link_id: int, *, approve: bool, note: str = "") -> OrganisationName:
    """Confirm or reject a proposed name (audited); only a confirmed one makes the organisation a patentee."""
    link = session.get(OrganisationName, link_id)
    if link is None or not may_propose(session, p, link.organisation):
        raise NotFound("名称记录不存在或无权查看")
    if not may_confirm(session, p, link.organisation):
        raise Forbidden("只有单位所在盟市的主管部门、自治区局或当地运营中心可以确认名称")
    if not approve and len(note.strip()) < 2:
        raise InvalidInput("不予确认时必须填写原因", field="note")
    decided = {"note": note.strip(), "decided_by_id": p.user_id, "decided_at": utcnow()}
    said = ("确认" if approve else "不予确认") + f"申请人/专利权人名称：{link.name} {note.strip()}"
    take(session, NAMES, link, "confirm" if approve else "reject", owners=None, actor=p, reason=said, changes=decided)
    if approve:  # the applicant rows of that name now point at the organisation (facets, matching)
        chunk = _SPACE.sub("", link.name)[:4]  # narrows the query; the normalised name decides
        named = Applicant.name.contains(chunk, autoescape=True)
        unlinked = select(Applicant).where(Applicant.organisation_id.is_(None), named)
        for applicant in session.scalars(unlinked):
            if normalise_name(applicant.name) == link.normalised:
                applicant.organisation_id = link.organisation_id
    session.flush()
    return link


def suggestions(session: Session, org: Organisation, limit: int = 20) -> list[str]:
    """Applicant names in the patent database close to the organisation's (its name inside theirs or theirs
    inside its), not yet proposed: what name matching offers to propose."""
    key = normalise_name(org.name)
    taken = {link.normalised for link in names_of(session, org.id)}
    rows = session.scalars(
        select(Applicant.name).where(Applicant.name.contains(key[:4], autoescape=True)).order_by(Applicant.name)
    )
    out = []
    for name in rows:
        other = normalise_name(name)
        if other not in taken and (key in other or other in key):
            out.append(name)
    return out[:limit]
