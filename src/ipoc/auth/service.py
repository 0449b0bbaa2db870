"""Accounts: login with throttling, passwords, scopes, API tokens. Scope rules live here, not in views."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ipoc.audit import service as audit
from ipoc.auth.models import ApiToken, LoginAttempt, User
from ipoc.auth.passwords import check_password_rule, hash_password, verify_password
from ipoc.auth.roles import ANONYMOUS, Principal, Role
from ipoc.centers.models import Center
from ipoc.config import get_settings
from ipoc.db import utcnow
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.orgs.models import Organisation
from ipoc.reference.service import find_region, visible_region_ids

TOKEN_PREFIX = "ipoc_"


# --- principals ---------------------------------------------------------------------------------------


def principal_for(session: Session, user: User | None) -> Principal:
    if user is None or not user.active:
        return ANONYMOUS
    role = Role(user.role)
    regions = visible_region_ids(session, user.region_id) if user.region_id else set()
    return Principal(
        role=role,
        user_id=user.id,
        label=user.display_name,
        region_id=user.region_id,
        region_ids=frozenset(regions),
        center_id=user.center_id,
        org_id=user.org_id,
    )


def require_role(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        raise Forbidden("无权执行此操作")


# --- scopes -------------------------------------------------------------------------------------------


def _find_center(session: Session, key: str) -> Center:
    center = session.scalar(select(Center).where(Center.name == key))
    if center is None and key.isdigit():
        center = session.get(Center, int(key))
    if center is None:
        raise NotFound(f"未找到运营中心：{key}", field="scope")
    return center


def _find_org(session: Session, key: str) -> Organisation:
    org = session.scalar(select(Organisation).where((Organisation.uscc == key) | (Organisation.name == key)))
    if org is None and key.isdigit():
        org = session.get(Organisation, int(key))
    if org is None:
        raise NotFound(f"未找到单位：{key}", field="scope")
    return org


def resolve_scope(session: Session, role: Role, scope: str | None) -> dict[str, int | None]:
    """Turn a scope as typed (region name/code, center name/id, org USCC/name/id) into foreign keys.

    An expert's scope is optional: the organisation they work for, a standing conflict of interest."""
    keys: dict[str, int | None] = {"region_id": None, "center_id": None, "org_id": None}
    scope = (scope or "").strip()
    needs = {Role.BUREAU_OFFICER: "盟市", Role.CENTER_STAFF: "运营中心", Role.MEMBER: "单位"}
    if role in needs and not scope:
        raise InvalidInput(f"该角色必须指定所属{needs[role]}", field="scope")
    if role is Role.BUREAU_OFFICER:
        keys["region_id"] = find_region(session, scope).id
    elif role is Role.CENTER_STAFF:
        center = _find_center(session, scope)
        keys["center_id"], keys["region_id"] = center.id, center.region_id
    elif role is Role.MEMBER:
        org = _find_org(session, scope)
        keys["org_id"], keys["region_id"] = org.id, org.region_id
    elif role is Role.EXPERT and scope:
        # An expert's affiliation: never asked to review their own organisation's dossier or center.
        keys["org_id"] = _find_org(session, scope).id
    elif scope:
        raise InvalidInput("该角色不限定范围，不应指定 scope", field="scope")
    return keys


# --- users --------------------------------------------------------------------------------------------


def create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    role: Role,
    password: str,
    scope: str | None = None,
    must_change_password: bool = True,
) -> User:
    username = username.strip()
    if not username:
        raise InvalidInput("用户名不能为空", field="username")
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise Conflict(f"用户名已存在：{username}", field="username")
    check_password_rule(password, username=username)
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=hash_password(password),
        role=role.value,
        must_change_password=must_change_password,
        **resolve_scope(session, role, scope),
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.role, User.username)))


def set_active(session: Session, user: User, active: bool, *, reason: str = "") -> None:
    audit.set_reason(session, reason or ("启用账号" if active else "停用账号"))
    user.active = active
    user.session_epoch += 1
    session.flush()


def rescope(session: Session, user: User, role: Role, scope: str | None) -> None:
    for key, value in resolve_scope(session, role, scope).items():
        setattr(user, key, value)
    user.role = role.value
    user.session_epoch += 1
    session.flush()


def update_user(
    session: Session,
    user: User,
    *,
    active: bool | None = None,
    role: Role | None = None,
    scope: str | None = None,
    reason: str = "",
) -> None:
    """An admin disables/enables an account or re-scopes it (role and scope together)."""
    if role is not None:
        rescope(session, user, role, scope)
    elif scope:
        raise InvalidInput("修改范围时须同时选择角色", field="role")
    if active is not None and active != user.active:
        set_active(session, user, active, reason=reason)


def change_password(session: Session, user: User, old: str, new: str) -> None:
    if not verify_password(user.password_hash, old):
        raise InvalidInput("原密码不正确", field="old_password")
    if old == new:
        raise InvalidInput("新密码不能与原密码相同", field="new_password")
    check_password_rule(new, username=user.username)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.session_epoch += 1
    session.flush()


def reset_password(session: Session, user: User, new: str) -> None:
    """An admin sets an initial password; the user must change it at next login."""
    check_password_rule(new, username=user.username)
    user.password_hash = hash_password(new)
    user.must_change_password = True
    user.session_epoch += 1
    session.flush()


# --- login --------------------------------------------------------------------------------------------


def _recent_failures(session: Session, username: str) -> int:
    settings = get_settings()
    since = utcnow() - timedelta(minutes=settings.login_lock_minutes)
    last_success = session.scalar(
        select(func.max(LoginAttempt.ts)).where(LoginAttempt.username == username, LoginAttempt.success)
    )
    if last_success and last_success > since:
        since = last_success
    stmt = select(func.count()).where(
        LoginAttempt.username == username, LoginAttempt.ts > since, LoginAttempt.success.is_(False)
    )
    return session.scalar(stmt) or 0


def authenticate(session: Session, username: str, password: str, *, ip: str = "") -> tuple[User | None, str]:
    """Check a login and record the attempt; the caller commits either way, so failures are counted.

    After too many failures the account is locked for a while, whatever the password.
    """
    username = username.strip().lower()
    settings = get_settings()
    if _recent_failures(session, username) >= settings.login_max_failures:
        audit.log(session, "login_locked", "users", username, meta={"ip": ip})
        return None, f"登录失败次数过多，请 {settings.login_lock_minutes} 分钟后再试"
    user = session.scalar(select(User).where(func.lower(User.username) == username))
    ok = verify_password(user.password_hash if user else None, password) and user is not None and user.active
    session.add(LoginAttempt(username=username, ip=ip, success=ok))
    if not ok or user is None:
        audit.log(session, "login_failed", "users", user.id if user else username, meta={"ip": ip})
        return None, "用户名或密码错误，或账号已停用"
    user.last_login_at = utcnow()
    audit.log(session, "login", "users", user.id, meta={"ip": ip})
    return user, ""


# --- API tokens ---------------------------------------------------------------------------------------


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, name: str, *, days: int | None = 365) -> tuple[ApiToken, str]:
    """Returns the token row and the plaintext, which is shown once and never stored."""
    if not name.strip():
        raise InvalidInput("请填写令牌名称", field="name")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name.strip(),
        prefix=plaintext[:12],
        token_hash=_token_digest(plaintext),
        expires_at=utcnow() + timedelta(days=days) if days else None,
    )
    session.add(token)
    session.flush()
    return token, plaintext


def user_for_token(session: Session, plaintext: str) -> User | None:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_digest(plaintext)))
    now = utcnow()
    if token is None or token.revoked_at or (token.expires_at and token.expires_at < now):
        return None
    if not token.user.active:
        return None
    # Not an audited change: a use is not a state change, and auditing each call would flood the trail.
    session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    return token.user


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke_token(session: Session, principal: Principal, token_id: int) -> None:
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != principal.user_id and principal.role is not Role.REGION_ADMIN):
        raise NotFound("令牌不存在")
    token.revoked_at = utcnow()
    session.flush()
