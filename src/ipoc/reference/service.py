"""Reads and edits of reference data."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipoc.errors import Conflict, InvalidInput, NotFound
from ipoc.reference.models import Industry, OrgType, Region
from ipoc.reference.schemas import IndustryIn


def list_regions(session: Session, *, top_level_only: bool = False) -> list[Region]:
    stmt = select(Region).order_by(Region.sort_order, Region.code)
    if top_level_only:
        stmt = stmt.where(Region.parent_id.is_(None))
    return list(session.scalars(stmt))


def recommending_regions(session: Session) -> list[Region]:
    """Units that may receive and recommend applications (separately addressed cities by setting)."""
    return [r for r in list_regions(session) if r.parent_id is None or r.acts_as_recommender]


def find_region(session: Session, key: str) -> Region:
    """A region by code, name or id, as typed on the command line."""
    stmt = select(Region).where((Region.code == key) | (Region.name == key))
    region = session.scalar(stmt)
    if region is None and key.isdigit():
        region = session.get(Region, int(key))
    if region is None:
        raise NotFound(f"未找到盟市：{key}")
    return region


def visible_region_ids(session: Session, region_id: int) -> set[int]:
    """A league/city bureau sees its own area and the separately addressed cities that lie in it."""
    children = session.scalars(select(Region.id).where(Region.parent_id == region_id))
    return {region_id, *children}


def list_industries(session: Session, *, active_only: bool = False) -> list[Industry]:
    stmt = select(Industry).order_by(Industry.category, Industry.id)
    if active_only:
        stmt = stmt.where(Industry.active.is_(True))
    return list(session.scalars(stmt))


def list_org_types(session: Session) -> list[OrgType]:
    return list(session.scalars(select(OrgType).order_by(OrgType.sort_order)))


def org_type_labels(session: Session) -> dict[str, str]:
    return {t.code: t.label for t in list_org_types(session)}


def get_industry(session: Session, industry_id: int) -> Industry:
    industry = session.get(Industry, industry_id)
    if industry is None:
        raise NotFound("产业不存在")
    return industry


def save_industry(session: Session, data: IndustryIn, industry_id: int | None = None) -> Industry:
    """Create or edit an industry; names stay unique."""
    clash = session.scalar(select(Industry).where(Industry.name == data.name, Industry.id != (industry_id or -1)))
    if clash is not None:
        raise Conflict("已有同名产业", field="name")
    industry = get_industry(session, industry_id) if industry_id else Industry()
    for key, value in data.model_dump().items():
        setattr(industry, key, value)
    session.add(industry)
    session.flush()
    return industry


def set_recommender(session: Session, region_id: int, acts: bool) -> Region:
    """Whether a separately addressed city receives and recommends applications itself (a setting:
    the guideline addresses 满洲里市 and 二连浩特市 but does not say). The 12 leagues/cities always do."""
    region = session.get(Region, region_id)
    if region is None:
        raise NotFound("盟市不存在")
    if region.parent_id is None and not acts:
        raise InvalidInput("盟市局始终负责本辖区的推荐")
    region.acts_as_recommender = acts
    session.flush()
    return region
