"""Jinja2 templates shared by every domain, with the navigation each role sees."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates

from ipoc.auth.roles import ANONYMOUS, Principal, Role
from ipoc.web.deps import csrf_token

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))

ADMINS = (Role.REGION_ADMIN,)
BUREAUS = (Role.REGION_ADMIN, Role.BUREAU_OFFICER)


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str
    roles: tuple[Role, ...] | None  # None: everyone, logged in or not


NAV: list[NavItem] = [
    NavItem("工作台", "/dashboard", tuple(r for r in Role if r is not Role.ANONYMOUS)),
    NavItem("单位名录", "/orgs", None),
    NavItem("单位核验", "/orgs/pending", BUREAUS),
    NavItem("用户管理", "/admin/users", ADMINS),
    NavItem("产业目录", "/industries", None),
    NavItem("盟市", "/regions", None),
    NavItem("审计日志", "/admin/audit", ADMINS),
]


def nav_for(principal: Principal) -> list[NavItem]:
    return [item for item in NAV if item.roles is None or principal.role in item.roles]


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200):
    principal = getattr(request.state, "principal", None) or ANONYMOUS
    ctx = {
        "principal": principal,
        "nav": nav_for(principal),
        "csrf": csrf_token(request),
        "errors": {},
        "values": {},
        **(context or {}),
    }
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
