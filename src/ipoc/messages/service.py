"""The message centre's primitive: ``tell`` whoever a decision affects, inside the decision's transaction.

A low-level domain: it reads only the kernel and the accounts, so every other domain can call it without an
import cycle. A message is written in the same transaction as the decision it reports, so a refused (rolled
back) decision leaves no message; the optional e-mail is a queued job, claimed only once that transaction has
committed, and sent by a worker, never inside the request.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import ColumnElement, false, func, or_, select, update
from sqlalchemy.orm import Session

from ipoc.audit.context import current_actor
from ipoc.auth.models import User
from ipoc.auth.roles import Principal, Role
from ipoc.config import get_settings
from ipoc.db import rowcount, utcnow
from ipoc.errors import InvalidInput, NotFound
from ipoc.jobs import service as jobs
from ipoc.messages.models import CATEGORIES, Notification
from ipoc.reference.models import Region

MAIL_JOB = "mail"
TEXT_MAX = 300


def _bureaus_of(region_ids: Iterable[int]) -> ColumnElement[bool]:
    """Officers of these leagues/cities, and of the league/city a separately addressed city lies in."""
    ids = list(region_ids)
    parents = select(Region.parent_id).where(Region.id.in_(ids), Region.parent_id.is_not(None))
    return (User.role == Role.BUREAU_OFFICER.value) & or_(User.region_id.in_(ids), User.region_id.in_(parents))


def recipients(
    session: Session,
    *,
    users: Iterable[int | None] = (),
    organisations: Iterable[int | None] = (),
    centers: Iterable[int | None] = (),
    bureaus: Iterable[int | None] = (),
    region_admins: bool = False,
) -> list[User]:
    """The active accounts named directly, of the organisations, of the centers' staff, of the bureaus of
    the leagues/cities, and the region bureau's administrators; each once."""
    wanted: list[ColumnElement[bool]] = [
        User.id.in_([u for u in users if u]),
        User.org_id.in_([o for o in organisations if o]),
        User.center_id.in_([c for c in centers if c]),
    ]
    if region_ids := [r for r in bureaus if r]:
        wanted.append(_bureaus_of(region_ids))
    if region_admins:
        wanted.append(User.role == Role.REGION_ADMIN.value)
    stmt = select(User).where(User.active.is_(True), or_(false(), *wanted)).order_by(User.id)
    return list(session.scalars(stmt))


def tell(
    session: Session,
    *,
    text: str,
    link: str,
    users: Iterable[int | None] = (),
    organisations: Iterable[int | None] = (),
    centers: Iterable[int | None] = (),
    bureaus: Iterable[int | None] = (),
    region_admins: bool = False,
    key: str | None = None,
    due_on: date | None = None,
) -> list[Notification]:
    """Put a message with a link in the centre of everyone the decision affects (see ``recipients``), except
    the person who took it. With a ``key``, a user who already has that message gets no second one; a reminder
    carries the deadline it is about (``due_on``). When SMTP
    is configured, a mail job for the recipients with an e-mail address is queued in the same transaction."""
    actor = current_actor(session.info).id
    people = [
        u
        for u in recipients(
            session,
            users=users,
            organisations=organisations,
            centers=centers,
            bureaus=bureaus,
            region_admins=region_admins,
        )
        if u.id != actor
    ]
    if key is not None and people:
        had = select(Notification.user_id).where(
            Notification.key == key, Notification.user_id.in_([u.id for u in people])
        )
        already = set(session.scalars(had))
        people = [u for u in people if u.id not in already]
    text = text[:TEXT_MAX]
    made = [
        Notification(user_id=u.id, key=key or f"msg:{uuid.uuid4().hex}", text=text, link=link, due_on=due_on)
        for u in people
    ]
    session.add_all(made)
    session.flush()
    mail_to = [n.id for n, u in zip(made, people, strict=True) if u.email]
    if mail_to and get_settings().smtp_host:
        jobs.create(session, MAIL_JOB, owner_id=None, label="邮件通知", params={"ids": mail_to})
    return made


# --- reading one's own messages ----------------------------------------------------------------------------


def _own(principal: Principal):
    return select(Notification).where(Notification.user_id == principal.user_id)


def list_for(
    session: Session,
    principal: Principal,
    *,
    unread: bool = False,
    category: str | None = None,
    limit: int = 200,
) -> list[Notification]:
    """The caller's own messages, unread first, newest first; only unread ones, or of one category, on request."""
    if category is not None and category not in CATEGORIES:
        raise InvalidInput("未知的消息类别，只能是办理通知或期限提醒", field="category")
    stmt = _own(principal)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    if category is not None:
        reminder = Notification.due_on.is_not(None)
        stmt = stmt.where(reminder if category == "reminder" else ~reminder)
    stmt = stmt.order_by(Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id.desc())
    return list(session.scalars(stmt.limit(limit)))


def unread_count(session: Session, principal: Principal) -> int:
    stmt = select(func.count(Notification.id)).where(
        Notification.user_id == principal.user_id, Notification.read_at.is_(None)
    )
    return session.scalar(stmt) or 0


def mark_read(session: Session, principal: Principal, message_id: int | None = None) -> int:
    """Mark one of the caller's messages read (another user's is 404), or all of them when no id."""
    stmt = update(Notification).where(Notification.user_id == principal.user_id, Notification.read_at.is_(None))
    if message_id is not None:
        own = session.get(Notification, message_id)
        if own is None or own.user_id != principal.user_id:
            raise NotFound("消息不存在")
        stmt = stmt.where(Notification.id == message_id)
    return rowcount(session.execute(stmt.values(read_at=utcnow())))


def set_email(session: Session, principal: Principal, email: str) -> User:
    """The caller's own address for e-mail copies of their messages; empty turns the copies off."""
    user = session.get(User, principal.user_id)
    if user is None:
        raise NotFound("用户不存在")
    email = email.strip()
    local, _, domain = email.partition("@")
    if email and (not local or "." not in domain or any(c.isspace() for c in email) or len(email) > 254):
        raise InvalidInput("电子邮箱格式不正确，例如 name@example.com", field="email")
    user.email = email or None
    session.flush()
    return user
