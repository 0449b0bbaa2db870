"""Pages: login, logout, password change, API tokens, and the admin's user management."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from ipoc import clock
from ipoc.audit import service as audit
from ipoc.auth import service as accounts
from ipoc.auth.models import User
from ipoc.auth.passwords import PASSWORD_RULES, password_problems
from ipoc.auth.roles import ACCOUNT_ROLES, ROLE_LABELS, Principal, Role
from ipoc.auth.schemas import LoginForm, PasswordChange, TokenCreate, UserCreate, UserUpdate
from ipoc.reference.service import list_regions
from ipoc.schemas import PathId
from ipoc.web.deps import DB, SESSION_TOKEN, SESSION_USER, CurrentPrincipal, LoginRequired, current_user, role_required
from ipoc.web.export import xlsx_response
from ipoc.web.forms import Posted, attempt, parse_form
from ipoc.web.templating import render

router = APIRouter()
Admin = Annotated[Principal, Depends(role_required(Role.REGION_ADMIN))]
ROLE_OPTIONS = [(r.value, ROLE_LABELS[r]) for r in ACCOUNT_ROLES]


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so the login page cannot be used to redirect elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/dashboard"


def _start_session(request: Request, session: DB, user: User) -> None:
    """A fresh server-side session (and CSRF token) at each login, so a cookie planted earlier is worth nothing."""
    now = time.time()
    ip = request.client.host if request.client else ""
    token = accounts.start_session(session, user, ip=ip, user_agent=request.headers.get("user-agent", ""))
    request.session.clear()
    request.session.update(
        {SESSION_USER: user.id, SESSION_TOKEN: token, "epoch": user.session_epoch, "iat": now, "seen": now}
    )


@router.get("/login")
def login_page(request: Request, p: CurrentPrincipal, next: str | None = None):
    if p.is_authenticated:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "auth/login.html", {"title": "登录", "next": _safe_next(next)})


@router.post("/login")
def login(request: Request, posted: Posted, session: DB, next: str | None = None):
    form = parse_form(posted, LoginForm)
    ctx = {"title": "登录", "next": _safe_next(next), "values": form.values, "errors": form.errors}
    if not form.ok or form.data is None:
        return render(request, "auth/login.html", ctx, status_code=422)
    ip = request.client.host if request.client else ""
    try:
        user, error = accounts.authenticate(session, form.data.username, form.data.password, ip=ip)
    except accounts.TooManyAttempts as exc:
        ctx["errors"] = {"__all__": exc.message}
        response = render(request, "auth/login.html", ctx, status_code=429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if user is None:
        ctx["errors"] = {"__all__": error}
        return render(request, "auth/login.html", ctx, status_code=401)
    _start_session(request, session, user)
    target = "/account/password" if user.must_change_password else _safe_next(next)
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(request: Request, session: DB, user: Annotated[User | None, Depends(current_user)]):
    if user is not None:
        audit.log(session, "logout", "users", user.id)
    token = request.session.get(SESSION_TOKEN)
    if isinstance(token, str):
        accounts.end_session(session, token)  # the cookie, even if copied, no longer opens a session
    request.session.clear()
    return RedirectResponse("/", status_code=303)


def _logged_in_user(user: Annotated[User | None, Depends(current_user)]) -> User:
    """Like login_required, but lets a user who must change the password reach this page."""
    if user is None:
        raise LoginRequired("请先登录")
    return user


def _password_ctx(user: User, errors: dict[str, str] | None = None) -> dict:
    return {"title": "修改密码", "forced": user.must_change_password, "rules": PASSWORD_RULES, "errors": errors or {}}


@router.get("/account/password")
def password_page(request: Request, user: Annotated[User, Depends(_logged_in_user)], p: CurrentPrincipal):
    return render(request, "auth/password.html", _password_ctx(user))


@router.post("/account/password")
def change_password(
    request: Request, posted: Posted, session: DB, user: Annotated[User, Depends(_logged_in_user)], p: CurrentPrincipal
):
    """Every problem is named at once, each by its field: a missing field, a wrong old password, each rule the
    new password breaks, a confirmation that differs."""
    form = parse_form(posted, PasswordChange)
    old, new, confirm = (form.values.get(name, "") for name in ("old_password", "new_password", "confirm_password"))
    if new:
        for field, message in accounts.password_change_problems(user, old, new).items():
            form.errors.setdefault(field, message)
        if confirm and confirm != new:
            form.errors.setdefault("confirm_password", "两次输入的新密码不一致")
    if not form.errors and (d := form.data) is not None:
        attempt(session, form, lambda: accounts.change_password(session, user, d.old_password, d.new_password))
    if form.errors:
        return render(request, "auth/password.html", _password_ctx(user, form.errors), status_code=422)
    _start_session(request, session, user)
    return RedirectResponse("/dashboard?changed=1", status_code=303)


# --- API tokens ---------------------------------------------------------------------------------------


def _tokens_page(request: Request, session: DB, user: User, **extra):
    ctx = {"title": "API 令牌", "tokens": accounts.list_tokens(session, user), **extra}
    return render(request, "auth/tokens.html", ctx, status_code=422 if extra.get("errors") else 200)


@router.get("/account/tokens")
def tokens_page(request: Request, session: DB, p: Annotated[Principal, Depends(role_required(*ACCOUNT_ROLES))]):
    return _tokens_page(request, session, accounts.get_user(session, p.user_id or 0))


@router.post("/account/tokens")
def create_token(
    request: Request, posted: Posted, session: DB, p: Annotated[Principal, Depends(role_required(*ACCOUNT_ROLES))]
):
    user = accounts.get_user(session, p.user_id or 0)
    form = parse_form(posted, TokenCreate)
    if not form.ok or form.data is None:
        return _tokens_page(request, session, user, errors=form.errors, values=form.values)
    _token, plaintext = accounts.create_token(session, user, form.data.name, days=form.data.days)
    return _tokens_page(request, session, user, new_token=plaintext)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(token_id: PathId, session: DB, p: Annotated[Principal, Depends(role_required(*ACCOUNT_ROLES))]):
    accounts.revoke_token(session, p, token_id)
    return RedirectResponse("/account/tokens", status_code=303)


# --- user administration ------------------------------------------------------------------------------


def _users_ctx(session: DB, **extra) -> dict:
    return {
        "title": "用户管理",
        "users": accounts.list_users(session),
        "role_labels": {r.value: label for r, label in ROLE_LABELS.items()},
        "role_options": ROLE_OPTIONS,
        "regions": list_regions(session),
        "rules": PASSWORD_RULES[:-1],  # an initial password may be the demo one: it must be changed at first login
        **extra,
    }


@router.get("/admin/users")
def users_page(request: Request, session: DB, _admin: Admin):
    return render(request, "auth/users.html", _users_ctx(session))


@router.get("/admin/users.xlsx")
def users_export(session: DB, _admin: Admin):
    labels = {r.value: label for r, label in ROLE_LABELS.items()}
    rows = [
        [
            u.username,
            u.display_name,
            labels[u.role],
            _scope_name(u),
            "正常" if u.active else "已停用",
            clock.beijing_at(u.last_login_at),
        ]
        for u in accounts.list_users(session)
    ]
    headers = ["用户名", "姓名", "角色", "范围", "状态", "最近登录"]
    return xlsx_response(session, title="用户", filename="用户.xlsx", headers=headers, rows=rows, entity_type="users")


def _scope_name(user: User) -> str:
    scope = user.center or user.org or user.region
    return scope.name if scope else ""


@router.post("/admin/users")
def create_user(request: Request, posted: Posted, session: DB, _admin: Admin):
    form = parse_form(posted, UserCreate)
    password, username = form.values.get("password", ""), form.values.get("username", "")
    if password and (problems := password_problems(password, username=username.strip(), initial=True)):
        form.errors.setdefault("password", "；".join(problems))  # with the other fields' errors, not after them
    if form.ok and form.data is not None:
        d = form.data
        attempt(
            session,
            form,
            lambda: accounts.create_user(
                session,
                username=d.username,
                display_name=d.display_name,
                role=d.role,
                password=d.password,
                scope=d.scope,
            ),
        )
    if form.errors:
        ctx = _users_ctx(session, errors=form.errors, values=form.values)
        return render(request, "auth/users.html", ctx, status_code=422)
    return RedirectResponse("/admin/users?created=1", status_code=303)


@router.get("/admin/users/{user_id}")
def user_page(user_id: PathId, request: Request, session: DB, _admin: Admin):
    user = accounts.get_user(session, user_id)
    ctx = {**_users_ctx(session), "title": f"用户：{user.username}", "user": user}
    ctx["history"] = audit.history(session, "users", user.id)
    return render(request, "auth/user.html", ctx)


@router.post("/admin/users/{user_id}")
def update_user(user_id: PathId, request: Request, posted: Posted, session: DB, _admin: Admin):
    user = accounts.get_user(session, user_id)
    form = parse_form(posted, UserUpdate)
    if form.ok and form.data is not None:
        changes = form.data.model_dump()
        attempt(session, form, lambda: accounts.update_user(session, user, **changes))
    if form.errors:
        ctx = {**_users_ctx(session, errors=form.errors, values=form.values), "user": user}
        ctx["history"] = audit.history(session, "users", user.id)
        return render(request, "auth/user.html", ctx, status_code=422)
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)
