"""JSON API for reference data: public to read; industries editable by the region bureau."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from ipoc.auth.roles import Principal, Role
from ipoc.reference import service
from ipoc.reference.schemas import IndustryIn, IndustryOut, OrgTypeOut, RegionOut
from ipoc.schemas import PathId
from ipoc.web.deps import DB, role_required

router = APIRouter(tags=["基础数据"])
Admin = Annotated[Principal, Depends(role_required(Role.REGION_ADMIN))]


@router.get("/regions", response_model=list[RegionOut])
def regions(session: DB):
    return service.list_regions(session)


@router.get("/industries", response_model=list[IndustryOut])
def industries(session: DB):
    return service.list_industries(session)


@router.post("/industries", response_model=IndustryOut, status_code=status.HTTP_201_CREATED)
def create_industry(data: IndustryIn, session: DB, _admin: Admin):
    return service.save_industry(session, data)


@router.put("/industries/{industry_id}", response_model=IndustryOut)
def update_industry(industry_id: PathId, data: IndustryIn, session: DB, _admin: Admin):
    return service.save_industry(session, data, industry_id)


@router.get("/org-types", response_model=list[OrgTypeOut])
def org_types(session: DB):
    return service.list_org_types(session)
