"""JSON API for accounts: who am I, tokens, and the admin's user management."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel

from ipoc.auth import service as accounts
from ipoc.auth.roles import ACCOUNT_ROLES, Principal, Role
from ipoc.auth.schemas import TokenCreate, UserCreate, UserOut, UserUpdate
from ipoc.schemas import PathId
from ipoc.web.deps import DB, LoggedIn, role_required

router = APIRouter(tags=["账号"])
Admin = Annotated[Principal, Depends(role_required(Role.REGION_ADMIN))]


class Me(BaseModel):
    user_id: PathId | None
    label: str
    role: str
    role_label: str
    region_id: int | None
    center_id: int | None
    org_id: PathId | None


class TokenOut(BaseModel):
    id: int
    name: str
    token: str


@router.get("/me", response_model=Me)
def me(p: LoggedIn):
    return Me(
        user_id=p.user_id,
        label=p.label,
        role=p.role.value,
        role_label=p.role_label,
        region_id=p.region_id,
        center_id=p.center_id,
        org_id=p.org_id,
    )


@router.post("/tokens", response_model=TokenOut, status_code=status.HTTP_201_CREATED)
def create_token(data: TokenCreate, session: DB, p: Annotated[Principal, Depends(role_required(*ACCOUNT_ROLES))]):
    token, plaintext = accounts.create_token(
        session, accounts.get_user(session, p.user_id or 0), data.name, days=data.days
    )
    return TokenOut(id=token.id, name=token.name, token=plaintext)


@router.get("/users", response_model=list[UserOut])
def list_users(session: DB, _admin: Admin):
    return accounts.list_users(session)


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def create_user(data: UserCreate, session: DB, _admin: Admin):
    return accounts.create_user(
        session,
        username=data.username,
        display_name=data.display_name,
        role=data.role,
        password=data.password,
        scope=data.scope,
    )


@router.patch("/users/{user_id}", response_model=UserOut)
def update_user(user_id: PathId, data: UserUpdate, session: DB, _admin: Admin):
    user = accounts.get_user(session, user_id)
    accounts.update_user(session, user, **data.model_dump())
    return user
