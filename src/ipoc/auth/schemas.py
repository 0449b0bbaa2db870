"""Input and output shapes for accounts."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ipoc.auth.roles import Role
from ipoc.schemas import Input, Timestamp


class LoginForm(Input):
    username: str = Field(min_length=1, max_length=60)
    password: str = Field(min_length=1, max_length=200)


class PasswordChange(Input):
    old_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=1, max_length=200)
    confirm_password: str = Field(min_length=1, max_length=200)


class UserCreate(Input):
    username: str = Field(min_length=3, max_length=60, pattern=r"^[A-Za-z0-9_.@-]+$")
    display_name: str = Field(min_length=1, max_length=60)
    role: Role
    scope: str | None = Field(default=None, max_length=120)
    password: str = Field(min_length=1, max_length=200)


class UserUpdate(Input):
    """Admin changes: disable/enable, or re-scope (role and scope together)."""

    active: bool | None = None
    role: Role | None = None
    scope: str | None = Field(default=None, max_length=120)
    reason: str = Field(default="", max_length=200)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: str
    region_id: int | None
    center_id: int | None
    org_id: int | None
    active: bool
    must_change_password: bool
    last_login_at: Timestamp | None


class TokenCreate(Input):
    name: str = Field(min_length=1, max_length=60)
    days: int = Field(default=365, ge=1, le=3650)
