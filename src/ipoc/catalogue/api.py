"""JSON API of a center's service catalogue, yearly work plans and funding projects (under /api/v1)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response, status

from ipoc.catalogue import service as catalogue
from ipoc.catalogue.schemas import (
    FundingIn,
    FundingOut,
    PlanItemDone,
    PlanItemDrop,
    PlanItemIn,
    PlanItemOut,
    ServiceItemIn,
    ServiceItemOut,
    WorkPlanIn,
    WorkPlanOut,
)
from ipoc.errors import NotFound
from ipoc.schemas import PathId
from ipoc.web.deps import DB, LoggedIn

router = APIRouter(tags=["服务目录与工作计划"])
Year = Annotated[int, Path(ge=2000, le=2100)]
Publish = Literal["publish", "unpublish"]
CREATED = status.HTTP_201_CREATED
NO_CONTENT = status.HTTP_204_NO_CONTENT


# --- service catalogue --------------------------------------------------------------------------------


@router.get("/centers/{center_id}/service-items", response_model=list[ServiceItemOut])
def list_service_items(center_id: PathId, session: DB, p: LoggedIn):
    return catalogue.list_service_items(session, p, center_id)


@router.post("/centers/{center_id}/service-items", status_code=CREATED, response_model=ServiceItemOut)
def create_service_item(center_id: PathId, data: ServiceItemIn, session: DB, p: LoggedIn):
    return catalogue.create_service_item(session, p, center_id, data)


@router.put("/centers/{center_id}/service-items/{item_id}", response_model=ServiceItemOut)
def update_service_item(center_id: PathId, item_id: PathId, data: ServiceItemIn, session: DB, p: LoggedIn):
    return catalogue.update_service_item(session, p, center_id, item_id, data)


@router.post("/centers/{center_id}/service-items/{item_id}/{action}", response_model=ServiceItemOut)
def publish_service_item(center_id: PathId, item_id: PathId, action: Publish, session: DB, p: LoggedIn):
    return catalogue.publish_service_item(session, p, center_id, item_id, action == "publish")


@router.delete("/centers/{center_id}/service-items/{item_id}", status_code=NO_CONTENT)
def delete_service_item(center_id: PathId, item_id: PathId, session: DB, p: LoggedIn):
    catalogue.delete_service_item(session, p, center_id, item_id)
    return Response(status_code=NO_CONTENT)


# --- yearly work plans --------------------------------------------------------------------------------


@router.get("/centers/{center_id}/plans", response_model=list[WorkPlanOut])
def list_plans(center_id: PathId, session: DB, p: LoggedIn):
    return catalogue.list_plans(session, p, center_id)


@router.post("/centers/{center_id}/plans", status_code=CREATED, response_model=WorkPlanOut)
def create_plan(center_id: PathId, data: WorkPlanIn, session: DB, p: LoggedIn):
    return catalogue.create_plan(session, p, center_id, data)


@router.get("/centers/{center_id}/plans/{year}", response_model=WorkPlanOut)
def get_plan(center_id: PathId, year: Year, session: DB, p: LoggedIn):
    plan = catalogue.get_plan(session, p, center_id, year)
    if plan is None:
        raise NotFound(f"{year} 年度工作计划尚未制定")
    return plan


@router.get("/centers/{center_id}/plans/{year}/items", response_model=list[PlanItemOut])
def list_plan_items(center_id: PathId, year: Year, session: DB, p: LoggedIn):
    return get_plan(center_id, year, session, p).items


@router.post("/centers/{center_id}/plans/{year}/items", status_code=CREATED, response_model=PlanItemOut)
def add_plan_item(center_id: PathId, year: Year, data: PlanItemIn, session: DB, p: LoggedIn):
    return catalogue.add_plan_item(session, p, center_id, year, data)


@router.post("/centers/{center_id}/plans/{year}/items/{item_id}/done", response_model=PlanItemOut)
def complete_plan_item(center_id: PathId, year: Year, item_id: PathId, data: PlanItemDone, session: DB, p: LoggedIn):
    return catalogue.complete_plan_item(session, p, center_id, year, item_id, data)


@router.post("/centers/{center_id}/plans/{year}/items/{item_id}/drop", response_model=PlanItemOut)
def drop_plan_item(center_id: PathId, year: Year, item_id: PathId, data: PlanItemDrop, session: DB, p: LoggedIn):
    return catalogue.drop_plan_item(session, p, center_id, year, item_id, data)


@router.delete("/centers/{center_id}/plans/{year}/items/{item_id}", status_code=NO_CONTENT)
def delete_plan_item(center_id: PathId, year: Year, item_id: PathId, session: DB, p: LoggedIn):
    catalogue.delete_plan_item(session, p, center_id, year, item_id)
    return Response(status_code=NO_CONTENT)


# after the item routes: "/plans/{year}/items" must not be taken for an action
@router.post("/centers/{center_id}/plans/{year}/{action}", response_model=WorkPlanOut)
def publish_plan(center_id: PathId, year: Year, action: Publish, session: DB, p: LoggedIn):
    return catalogue.publish_plan(session, p, center_id, year, action == "publish")


# --- funding projects ---------------------------------------------------------------------------------


@router.get("/centers/{center_id}/funding", response_model=list[FundingOut])
def list_funding(center_id: PathId, session: DB, p: LoggedIn):
    return catalogue.list_funding(session, p, center_id)


@router.post("/centers/{center_id}/funding", status_code=CREATED, response_model=FundingOut)
def create_funding(center_id: PathId, data: FundingIn, session: DB, p: LoggedIn):
    return catalogue.create_funding(session, p, center_id, data)


@router.delete("/centers/{center_id}/funding/{project_id}", status_code=NO_CONTENT)
def delete_funding(center_id: PathId, project_id: PathId, session: DB, p: LoggedIn):
    catalogue.delete_funding(session, p, center_id, project_id)
    return Response(status_code=NO_CONTENT)
