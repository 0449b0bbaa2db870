"""Reference tables: leagues/cities, industries, organisation types."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ipoc.db import Base, Timestamped
from ipoc.labels import coded, named

REGION_KINDS = {"city": "市", "league": "盟", "separately_addressed_city": "单列市"}
INDUSTRY_CATEGORIES = ("重点", "优势特色")


class Region(Base):
    """A league/city (盟市) or a separately addressed city (满洲里市, 二连浩特市)."""

    __tablename__ = "regions"
    __audited__ = True
    __label__ = "盟市"
    __labels__ = named(
        code="代码", name="名称", kind="类别", parent_id="所属盟", acts_as_recommender="负责推荐", sort_order="排列顺序"
    )
    __value_labels__ = coded(kind=REGION_KINDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    acts_as_recommender: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    parent: Mapped[Region | None] = relationship(remote_side=[id])

    @property
    def kind_label(self) -> str:
        return REGION_KINDS.get(self.kind, self.kind)


class Industry(Base, Timestamped):
    """An industry the region names key (重点) or advantageous (优势特色); the region bureau edits it."""

    __tablename__ = "industries"
    __audited__ = True
    __label__ = "产业"
    __labels__ = named(name="产业名称", naming_term="命名用语", category="类别", source="依据")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    naming_term: Mapped[str] = mapped_column(String(60))
    category: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class OrgType(Base):
    __tablename__ = "org_types"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    label: Mapped[str] = mapped_column(String(40))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
