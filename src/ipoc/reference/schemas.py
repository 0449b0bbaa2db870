"""Shapes for reference data."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ipoc.schemas import Input


class RegionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    acts_as_recommender: bool


class IndustryIn(Input):
    # stripped before the length checks: " |" must not pass as a two-character naming term and be stored as "|"
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=2, max_length=60)
    naming_term: str = Field(min_length=2, max_length=60)
    category: Literal["重点", "优势特色"]
    source: str = Field(min_length=4, max_length=2000)
    active: bool = True

    @field_validator("naming_term")
    @classmethod
    def _no_branch_words(cls, value: str) -> str:
        if "分中心" in value or "知识产权运营中心" in value:
            raise ValueError("命名用语只写产业本身，不含“知识产权运营中心”或“分中心”")
        return value.strip()


class IndustryOut(IndustryIn):
    model_config = ConfigDict(from_attributes=True)

    id: int


class OrgTypeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    label: str


class RecommenderSetting(Input):
    acts_as_recommender: bool
