"""Input and output shapes for organisations."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ipoc.orgs.uscc import normalise_uscc, uscc_problem
from ipoc.schemas import Id, Input

OrgStatus = Literal["pending", "verified", "rejected"]


class OrgRegistration(Input):
    """What an organisation fills in to register itself, with its first account."""

    name: str = Field(min_length=2, max_length=120, title="单位名称")
    type_code: str = Field(min_length=1, title="单位类型")
    uscc: str = Field(title="统一社会信用代码")
    region_id: Id = Field(title="所在盟市")
    address: str = Field(default="", max_length=200, title="地址")
    contact_name: str = Field(min_length=1, max_length=40, title="联系人")
    contact_phone: str = Field(min_length=5, max_length=40, title="联系电话")
    username: str = Field(min_length=3, max_length=60, pattern=r"^[A-Za-z0-9_.@-]+$", title="登录名")
    password: str = Field(min_length=1, max_length=200, title="密码")

    @field_validator("name", "address", "contact_name", "contact_phone", "username", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @field_validator("uscc")
    @classmethod
    def _valid_uscc(cls, value: str) -> str:
        problem = uscc_problem(value)
        if problem:
            raise ValueError(problem)
        return normalise_uscc(value)


class OrgPublic(BaseModel):
    """What anyone may see of a verified organisation."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    type_code: str
    region_id: int
    state: str
    status: str = Field(validation_alias="state", serialization_alias="status")  # = state, the key clients read before


class OrgDetail(OrgPublic):
    """Registration details, for the organisation itself and the bureaus that oversee it."""

    uscc: str | None
    address: str
    contact_name: str
    contact_phone: str
    review_note: str


class OrgReview(Input):
    approve: bool
    note: str = Field(default="", max_length=500)


class OrgNameIn(Input):
    name: str = Field(min_length=2, max_length=200, title="申请人/专利权人名称")


class OrgNameDecisionIn(Input):
    approve: bool = Field(title="确认")
    note: str = Field(default="", max_length=2000, title="说明")


class OrgNameOut(BaseModel):
    """A name the organisation holds as an applicant or patentee; only a confirmed one counts for rights."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    organisation_id: int
    name: str
    source: str = Field(description="org | name_match | staff")
    state: str = Field(description="proposed | confirmed | rejected")
    state_label: str
    note: str
