"""Request-scoped pieces: the database session, who is asking, and CSRF checks."""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from ipoc.audit.context import Actor, bind_actor
from ipoc.auth import service as accounts
from ipoc.auth.models import User
from ipoc.auth.roles import Principal, Role
from ipoc.config import get_settings
from ipoc.db import session_factory
from ipoc.errors import DomainError, Forbidden

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
SESSION_USER = "uid"
SESSION_TOKEN = "sid"  # the server-side session's token (ipoc.auth.models.UserSession)
SESSION_COOKIE = "ipoc_session"


class LoginRequired(DomainError):
    status_code = 401


class PasswordChangeRequired(DomainError):
    status_code = 403


def get_db(request: Request) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent (see ``scope='function'``), rolled back
    when the route fails. The session stays the request's until its response is done (``close_request_session``):
    every page, an error page included, reads the navigation's counts through it, never through a second one."""
    session = session_factory()()
    bind_actor(session.info, Actor(None, "anonymous", _client_ip(request), request.state.request_id))
    request.state.db = session
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def close_request_session(request: Request) -> None:
    """End the request's session once its response is sent (committed or rolled back by then, it holds no
    connection unless an error page read through it)."""
    session = getattr(request.state, "db", None)
    if session is not None:
        request.state.db = None
        session.close()


DB = Annotated[Session, Depends(get_db, scope="function")]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _session_user(request: Request, session: Session) -> User | None:
    """The user of a valid, unexpired cookie session whose server-side row is live; any other is cleared."""
    data = request.session
    uid = data.get(SESSION_USER)
    token = data.get(SESSION_TOKEN)
    if uid is None:
        return None
    if not isinstance(token, str) or (live := accounts.session_user(session, token)) is None or live.id != uid:
        data.pop(SESSION_USER, None)
        data.pop(SESSION_TOKEN, None)
        return None
    settings = get_settings()
    now = time.time()
    user = live
    expired = (
        now - data.get("seen", 0) > settings.session_idle_minutes * 60
        or now - data.get("iat", 0) > settings.session_max_hours * 3600
    )
    if expired or data.get("epoch") != user.session_epoch:
        data.pop(SESSION_USER, None)
        return None
    data["seen"] = now
    return user


def current_user(request: Request, session: DB) -> User | None:
    token = _bearer(request)
    user = accounts.user_for_token(session, token) if token else _session_user(request, session)
    request.state.user = user
    request.state.via_token = token is not None
    if user is not None:
        bind_actor(session.info, Actor(user.id, user.username, _client_ip(request), request.state.request_id))
    return user


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def principal(request: Request, session: DB, user: Annotated[User | None, Depends(current_user)]) -> Principal:
    """The caller as a principal; anonymous when not logged in."""
    p = accounts.principal_for(session, user)
    request.state.principal = p
    return p


def login_required(
    request: Request,
    user: Annotated[User | None, Depends(current_user)],
    p: Annotated[Principal, Depends(principal)],
) -> Principal:
    if user is None:
        raise LoginRequired("请先登录")
    if user.must_change_password:
        raise PasswordChangeRequired("请先修改初始密码")
    return p


CurrentPrincipal = Annotated[Principal, Depends(principal)]
LoggedIn = Annotated[Principal, Depends(login_required)]


def role_required(*roles: Role):
    def check(p: LoggedIn) -> Principal:
        if p.role not in roles:
            raise Forbidden("无权访问此页面")
        return p

    return check


# Who looks after the patent database: imports, core-domain databases, the dictionary, indexes.
PATENT_STAFF = (Role.REGION_ADMIN, Role.CENTER_STAFF)
PatentStaff = Annotated[Principal, Depends(role_required(*PATENT_STAFF))]


# --- CSRF ---------------------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def csrf_protect(request: Request) -> None:
    """Every unsafe request made with the session cookie must carry the session's CSRF token."""
    if request.method not in UNSAFE_METHODS or _bearer(request):
        return
    if request.url.path.startswith("/api/") and SESSION_COOKIE not in request.cookies:
        return  # an API client without the cookie carries no ambient authority to abuse
    sent: object = request.headers.get("x-csrf-token")
    if sent is None and "form" in request.headers.get("content-type", ""):
        sent = (await request.form()).get("csrf_token")
    expected = request.session.get("csrf")
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        raise Forbidden("表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试")
