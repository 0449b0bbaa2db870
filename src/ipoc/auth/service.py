"""Accounts: login with throttling, server-side sessions, passwords, scopes, API tokens. Scope rules live here."""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ipoc.audit import service as audit
from ipoc.auth.models import ApiToken, LoginAttempt, User, UserSession
from ipoc.auth.passwords import check_password_rule, hash_password, password_problems, verify_password
from ipoc.auth.roles import ANONYMOUS, Principal, Role
from ipoc.centers.models import Center
from ipoc.config import get_settings
from ipoc.db import session_scope, utcnow
from ipoc.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
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
    check_password_rule(password, username=username, initial=must_change_password)
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
    revoke_sessions(session, user)
    session.flush()


def rescope(session: Session, user: User, role: Role, scope: str | None) -> None:
    for key, value in resolve_scope(session, role, scope).items():
        setattr(user, key, value)
    user.role = role.value
    revoke_sessions(session, user)
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


def password_change_problems(user: User, old: str, new: str) -> dict[str, str]:
    """Everything wrong with a password change, per field, so the form can say it all at once: a wrong old
    password, and every rule the new one breaks."""
    problems: dict[str, str] = {}
    if not verify_password(user.password_hash, old):
        problems["old_password"] = "原密码不正确"
    rules = password_problems(new, username=user.username)
    if old == new:
        rules.insert(0, "新密码不能与原密码相同")
    if rules:
        problems["new_password"] = "；".join(rules)
    return problems


def change_password(session: Session, user: User, old: str, new: str) -> None:
    problems = password_change_problems(user, old, new)
    if problems:
        field, message = next(iter(problems.items()))
        raise InvalidInput(message, field=field)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    revoke_sessions(session, user)  # every session, this one too: the caller starts a fresh one
    session.flush()


def reset_password(session: Session, user: User, new: str) -> None:
    """An admin sets an initial password; the user must change it at next login."""
    check_password_rule(new, username=user.username, initial=True)
    user.password_hash = hash_password(new)
    user.must_change_password = True
    revoke_sessions(session, user)
    session.flush()


# --- login throttling ----------------------------------------------------------------------------------
#
# Growing delays instead of a lockout, counted from the recorded attempts over the last day:
# - per (username, address): after ``login_max_failures`` failures since the last success there;
# - per address, whatever the username: spraying many names from one place is slowed;
# - per username from addresses where it never logged in: a spray against ``admin`` from elsewhere slows those
#   addresses, while an address where ``admin`` has logged in before (a known address) is not slowed by it.
# At a known address only the first count applies: neither a spray from elsewhere nor a colleague's typos behind
# the same office address can keep a user out of the place where they work.
# A throttled attempt is answered 429 without checking the password and is not counted, so waiting always helps.
# Attempts are written in their own short transaction: never under the request's locks (the audit head).

THROTTLE_WINDOW = timedelta(days=1)
ADDRESS_FREE_FAILURES = 20
USERNAME_FREE_FAILURES = 10
BASE_DELAY_SECONDS = 2
ATTEMPT_RETENTION = timedelta(days=90)


class TooManyAttempts(DomainError):
    """A login refused before its password is checked; ``retry_after`` is in whole seconds."""

    status_code = 429
    code = "too_many_attempts"

    def __init__(self, retry_after: int) -> None:
        minutes, seconds = divmod(retry_after, 60)
        wait = f"{minutes} 分 {seconds} 秒" if minutes else f"{seconds} 秒"
        super().__init__(f"登录失败次数过多，请 {wait} 后再试")
        self.retry_after = retry_after


def throttle_delay(failures: int, free: int) -> float:
    """Seconds to wait after the last failure: none for the first ``free``, then doubling up to the cap."""
    if failures < free:
        return 0.0
    cap = get_settings().login_lock_minutes * 60
    return float(min(BASE_DELAY_SECONDS * 2 ** min(failures - free, 30), cap))


def _failures(session: Session, *conditions) -> tuple[int, datetime | None]:
    stmt = select(func.count(), func.max(LoginAttempt.ts)).where(LoginAttempt.success.is_(False), *conditions)
    count, last = session.execute(stmt).one()
    return count or 0, last


def _unknown_address_failures(session: Session, username: str, since: datetime) -> tuple[int, datetime | None]:
    """Failures of this username from addresses where it never logged in: all failures less those from known
    addresses, so that each count is one index range even while thousands of attempts target ``admin``."""
    known = list(
        session.scalars(
            select(LoginAttempt.ip).where(LoginAttempt.username == username, LoginAttempt.success).distinct()
        )
    )
    total, last = _failures(session, LoginAttempt.username == username, LoginAttempt.ts > since)
    if not known or not total:
        return total, last
    # one small index range per known address (a user has few): faster than one IN over all of them
    from_known = sum(
        _failures(session, LoginAttempt.username == username, LoginAttempt.ip == ip, LoginAttempt.ts > since)[0]
        for ip in known
    )
    last_unknown = session.scalar(
        select(LoginAttempt.ts)
        .where(
            LoginAttempt.username == username,
            LoginAttempt.success.is_(False),
            LoginAttempt.ts > since,
            LoginAttempt.ip.not_in(known),
        )
        .order_by(LoginAttempt.ts.desc())
        .limit(1)
    )
    return total - from_known, last_unknown


def _wait_seconds(session: Session, username: str, ip: str, now: datetime) -> float:
    """How long this (username, address) must still wait; 0 when it may try now."""
    since = now - THROTTLE_WINDOW
    pair_success = session.scalar(
        select(func.max(LoginAttempt.ts)).where(
            LoginAttempt.username == username, LoginAttempt.ip == ip, LoginAttempt.success
        )
    )
    pair_since = max(since, pair_success) if pair_success else since
    checks = [
        (
            _failures(session, LoginAttempt.username == username, LoginAttempt.ip == ip, LoginAttempt.ts > pair_since),
            get_settings().login_max_failures,
        ),
    ]
    if pair_success is None:  # not a known address for this user: the address's and the username's counts apply
        checks.append((_failures(session, LoginAttempt.ip == ip, LoginAttempt.ts > since), ADDRESS_FREE_FAILURES))
        checks.append((_unknown_address_failures(session, username, since), USERNAME_FREE_FAILURES))
    wait = 0.0
    for (count, last), free in checks:
        delay = throttle_delay(count, free)
        if delay and last is not None:  # a failure recorded after ``now`` by a concurrent login counts as just now
            wait = max(wait, delay - max(0.0, (now - last).total_seconds()))
    return wait


def check_throttle(username: str, ip: str) -> None:
    """Raise ``TooManyAttempts`` when this login must wait; reads in its own short session."""
    with session_scope() as own:
        wait = _wait_seconds(own, username.strip().lower(), ip, utcnow())
    if wait > 0:
        raise TooManyAttempts(math.ceil(wait))


def record_attempt(username: str, ip: str, success: bool) -> None:
    """Committed at once in its own transaction, so it counts even if the request fails, and holds no lock.

    Attempts older than ``ATTEMPT_RETENTION`` go: the throttle looks back one day, known addresses that long."""
    with session_scope() as own:
        own.add(LoginAttempt(username=username.strip().lower()[:60], ip=ip[:64], success=success))
        own.execute(delete(LoginAttempt).where(LoginAttempt.ts < utcnow() - ATTEMPT_RETENTION))


# --- login --------------------------------------------------------------------------------------------


def authenticate(session: Session, username: str, password: str, *, ip: str = "") -> tuple[User | None, str]:
    """Check a login, record the attempt and audit it; the caller commits ``session``.

    Raises ``TooManyAttempts`` (audited) before checking the password when the throttle says wait. Call it
    before writing anything in ``session``: the attempt is committed through a connection of its own.
    """
    username = username.strip().lower()
    try:
        check_throttle(username, ip)
    except TooManyAttempts as exc:
        audit.log(session, "login_throttled", "users", username, meta={"ip": ip, "retry_after": exc.retry_after})
        raise
    user = session.scalar(select(User).where(func.lower(User.username) == username))
    ok = verify_password(user.password_hash if user else None, password) and user is not None and user.active
    record_attempt(username, ip, ok)
    if not ok or user is None:
        audit.log(session, "login_failed", "users", user.id if user else username, meta={"ip": ip})
        return None, "用户名或密码错误，或账号已停用"
    user.last_login_at = utcnow()
    audit.log(session, "login", "users", user.id, meta={"ip": ip})
    return user, ""


# --- server-side sessions -------------------------------------------------------------------------------

SESSION_TOUCH = timedelta(minutes=1)  # last_seen_at is written at most this often per session


def start_session(session: Session, user: User, *, ip: str = "", user_agent: str = "") -> str:
    """A new login session; returns the token for the signed cookie (only its digest is stored)."""
    token = secrets.token_urlsafe(32)
    # Sessions past their maximum age can never be used again: keep a month of them to look back on, no more.
    old = utcnow() - max(timedelta(days=30), timedelta(hours=get_settings().session_max_hours))
    session.execute(delete(UserSession).where(UserSession.user_id == user.id, UserSession.created_at < old))
    session.add(UserSession(id=_token_digest(token), user_id=user.id, ip=ip[:64], user_agent=user_agent[:300]))
    session.flush()
    return token


def session_user(session: Session, token: str) -> User | None:
    """The active user of a live session, or None (revoked, idle too long, past its maximum age, unknown)."""
    row = session.get(UserSession, _token_digest(token))
    if row is None or row.revoked_at is not None:
        return None
    settings = get_settings()
    now = utcnow()
    if now - row.last_seen_at > timedelta(minutes=settings.session_idle_minutes) or now - row.created_at > timedelta(
        hours=settings.session_max_hours
    ):
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if now - row.last_seen_at > SESSION_TOUCH:
        with session_scope() as own:  # its own short write: a page view holds no lock for its whole length
            own.execute(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))
    return user


def end_session(session: Session, token: str) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.id == _token_digest(token), UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def revoke_sessions(session: Session, user: User) -> None:
    """End every open session of the user (password change, disabling, re-scoping, password reset)."""
    user.session_epoch += 1
    session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


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
