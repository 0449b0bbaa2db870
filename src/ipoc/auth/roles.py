"""Roles and the principal a request acts as."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    REGION_ADMIN = "region_admin"
    BUREAU_OFFICER = "bureau_officer"
    EXPERT = "expert"
    CENTER_STAFF = "center_staff"
    MEMBER = "member"
    ANONYMOUS = "anonymous"


ROLE_LABELS = {
    Role.REGION_ADMIN: "自治区局管理员",
    Role.BUREAU_OFFICER: "盟市局工作人员",
    Role.EXPERT: "评审专家",
    Role.CENTER_STAFF: "运营中心工作人员",
    Role.MEMBER: "会员单位用户",
    Role.ANONYMOUS: "公众",
}

ACCOUNT_ROLES = [r for r in Role if r is not Role.ANONYMOUS]


@dataclass(frozen=True)
class Principal:
    """Who is asking, with the scope their role is limited to."""

    role: Role
    user_id: int | None = None
    label: str = "公众"
    region_id: int | None = None
    region_ids: frozenset[int] = field(default_factory=frozenset)
    center_id: int | None = None
    org_id: int | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.role is not Role.ANONYMOUS

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    def is_(self, *roles: Role) -> bool:
        return self.role in roles


ANONYMOUS = Principal(role=Role.ANONYMOUS)
