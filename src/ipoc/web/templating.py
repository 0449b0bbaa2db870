"""Jinja2 templates shared by every domain, with the navigation each role sees."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.audit.present import described, readable
from ipoc.auth.roles import ANONYMOUS, Principal, Role
from ipoc.messages.service import unread_count as unread_messages
from ipoc.search.saved import unread_count as unread_matches
from ipoc.web.deps import csrf_token

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.filters["beijing"] = clock.beijing
templates.env.filters["readable"] = readable  # histories in Chinese (audit/_history.html)
templates.env.filters["described"] = described  # a JSON field by its model's names

ADMINS = (Role.REGION_ADMIN,)
BUREAUS = (Role.REGION_ADMIN, Role.BUREAU_OFFICER)
STAFF = (Role.REGION_ADMIN, Role.CENTER_STAFF)
LOGGED_IN = tuple(r for r in Role if r is not Role.ANONYMOUS)
SAVED_SEARCHES = "/search/saved"


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str
    roles: tuple[Role, ...] | None  # None: everyone, logged in or not


NAV: list[NavItem] = [
    NavItem("工作台", "/dashboard", LOGGED_IN),
    NavItem("待办提醒", "/reminders", LOGGED_IN),
    NavItem("申报", "/applications", (Role.MEMBER, Role.BUREAU_OFFICER, Role.REGION_ADMIN)),
    NavItem("申报批次", "/calls", ADMINS),
    NavItem("专家评审", "/reviews", (Role.EXPERT, Role.REGION_ADMIN)),
    NavItem("公示", "/notices", None),
    NavItem("运营中心", "/centers", None),
    NavItem("工作日历", "/admin/calendar", ADMINS),
    NavItem("公文版头", "/letterhead", ADMINS),
    NavItem("专利检索", "/patents/search", None),
    NavItem("技术需求", "/demands", None),
    NavItem("技术供给", "/offers", None),
    NavItem("对接工作台", "/inbox", (Role.CENTER_STAFF, Role.REGION_ADMIN)),
    NavItem("对接活动", "/events", None),
    NavItem("技术合同", "/deals", (Role.MEMBER, Role.CENTER_STAFF, Role.BUREAU_OFFICER, Role.REGION_ADMIN)),
    NavItem("存量专利", "/stock", (Role.MEMBER, Role.CENTER_STAFF, Role.REGION_ADMIN)),
    NavItem("开放许可", "/open-licences", None),
    NavItem("收益分享", "/benefits", None),
    NavItem("我的检索", SAVED_SEARCHES, LOGGED_IN),
    NavItem("专利导入", "/patents/import", STAFF),
    NavItem("专题库", "/industry-databases", STAFF),
    NavItem("领域词典", "/search/dictionary", STAFF),
    NavItem("单位名录", "/orgs", None),
    NavItem("单位核验", "/orgs/pending", BUREAUS),
    NavItem("用户管理", "/admin/users", ADMINS),
    NavItem("产业目录", "/industries", None),
    NavItem("盟市", "/regions", None),
    NavItem("审计日志", "/admin/audit", ADMINS),
]


def nav_for(principal: Principal) -> list[NavItem]:
    return [item for item in NAV if item.roles is None or principal.role in item.roles]


def _unread_count(counter: Callable[[Session, Principal], int], principal: Principal, session: Session | None) -> int:
    """A badge's count (new matches of saved searches, unread messages), read through the request's own session:
    a request never opens a second one. 0 without it (a page before the caller is known, a crash page)."""
    if not principal.is_authenticated or session is None:
        return 0
    try:
        return counter(session, principal)
    except SQLAlchemyError:  # an error page for a database that is down must still render
        return 0


def nav_with_badges(principal: Principal, request_session: Session | None) -> list[NavItem]:
    items = nav_for(principal)
    count = _unread_count(unread_matches, principal, request_session)
    if not count:
        return items
    badge = Markup('{} <span class="badge rounded-pill text-bg-warning" data-testid="saved-unread">{}</span>')
    return [
        replace(item, label=badge.format(item.label, count)) if item.path == SAVED_SEARCHES else item for item in items
    ]


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200):
    principal = getattr(request.state, "principal", None) or ANONYMOUS
    session = getattr(request.state, "db", None)  # the request's own (ipoc.web.deps.get_db)
    ctx = {
        "principal": principal,
        "nav": nav_with_badges(principal, session),
        "unread_messages": _unread_count(unread_messages, principal, session),
        "csrf": csrf_token(request),
        "errors": {},
        "values": {},
        **(context or {}),
    }
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
