"""JSON API for organisations."""

from __future__ import annotations

from fastapi import APIRouter, status

from ipoc.orgs import names
from ipoc.orgs import service as orgs
from ipoc.orgs.schemas import (
    OrgDetail,
    OrgNameDecisionIn,
    OrgNameIn,
    OrgNameOut,
    OrgPublic,
    OrgRegistration,
    OrgReview,
    OrgStatus,
)
from ipoc.schemas import PathId, QueryId
from ipoc.web.deps import DB, CurrentPrincipal, LoggedIn

router = APIRouter(tags=["单位"])


def _out(p, org) -> OrgPublic:
    model = OrgDetail if orgs.can_see_details(p, org) else OrgPublic
    return model.model_validate(org)


@router.post("/orgs", status_code=status.HTTP_201_CREATED, response_model=OrgDetail)
def register_org(data: OrgRegistration, session: DB):
    """Self-registration of an organisation with its first account; it waits for a bureau's check."""
    org, _user = orgs.register(session, data)
    return OrgDetail.model_validate(org)


@router.get("/orgs", response_model=list[OrgDetail | OrgPublic])
def list_orgs(
    session: DB,
    p: CurrentPrincipal,
    status: OrgStatus | None = None,
    region_id: QueryId = None,
):
    return [_out(p, o) for o in orgs.list_orgs(session, p, state=status, region_id=region_id)]


@router.get("/orgs/{org_id}", response_model=OrgDetail | OrgPublic)
def get_org(org_id: PathId, session: DB, p: CurrentPrincipal):
    return _out(p, orgs.get_org(session, p, org_id))


@router.post("/orgs/{org_id}/review", response_model=OrgDetail)
def review_org(org_id: PathId, data: OrgReview, session: DB, p: LoggedIn):
    return OrgDetail.model_validate(orgs.review(session, p, org_id, approve=data.approve, note=data.note))


@router.get("/orgs/{org_id}/names", response_model=list[OrgNameOut])
def list_names(org_id: PathId, session: DB, p: LoggedIn):
    """The applicant/patentee names the organisation holds, with their confirmation state."""
    return [OrgNameOut.model_validate(link) for link in names.visible_names(session, p, org_id)]


@router.post("/orgs/{org_id}/names", response_model=OrgNameOut, status_code=status.HTTP_201_CREATED)
def propose_name(org_id: PathId, data: OrgNameIn, session: DB, p: LoggedIn):
    """Propose a name (the organisation itself, its bureau, a center of its area); it counts once confirmed."""
    return OrgNameOut.model_validate(names.propose(session, p, org_id, data.name))


@router.post("/organisation-names/{link_id}/decision", response_model=OrgNameOut)
def decide_name(link_id: PathId, data: OrgNameDecisionIn, session: DB, p: LoggedIn):
    """Confirm or reject a proposed name: the organisation's league/city bureau, the region bureau or a center's
    staff of its area."""
    return OrgNameOut.model_validate(names.decide(session, p, link_id, approve=data.approve, note=data.note))
