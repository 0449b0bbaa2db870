"""Accounts, API tokens, server-side login sessions and login attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ipoc.auth.roles import ROLE_LABELS
from ipoc.centers.models import Center
from ipoc.db import Base, Timestamped, utcnow
from ipoc.labels import coded, named
from ipoc.orgs.models import Organisation
from ipoc.reference.models import Region


class User(Base, Timestamped):
    __tablename__ = "users"
    __audited__ = True
    __label__ = "用户"
    __labels__ = named(
        username="用户名",
        display_name="姓名",
        password_hash="密码",
        role="角色",
        email="电子邮箱",
        must_change_password="首次登录须改密码",
        session_epoch="会话版本",
        last_login_at="最近登录时间",
        org_id="所属单位",
        center_id="所属运营中心",
        region_id="所属盟市",
    )
    __value_labels__ = coded(role=ROLE_LABELS)
    __audit_redact__ = ("password_hash",)
    __audit_ignore__ = ("last_login_at",)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    center_id: Mapped[int | None] = mapped_column(ForeignKey("centers.id"))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Where e-mail copies of the user's messages go (set by the user in the message centre); none: no copies.
    email: Mapped[str | None] = mapped_column(String(254))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)

    region: Mapped[Region | None] = relationship(lazy="joined")
    center: Mapped[Center | None] = relationship(lazy="joined")
    org: Mapped[Organisation | None] = relationship(lazy="joined", foreign_keys=[org_id])


class ApiToken(Base):
    """A bearer token for API clients; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"
    __audited__ = True
    __label__ = "接口令牌"
    __labels__ = named(
        name="令牌名称",
        prefix="令牌前缀",
        token_hash="令牌摘要",
        expires_at="有效期至",
        revoked_at="吊销时间",
        last_used_at="最近使用时间",
    )
    __audit_redact__ = ("token_hash",)
    __audit_ignore__ = ("last_used_at",)  # written by each use without a record (see user_for_token)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship(lazy="joined")


class UserSession(Base):
    """A browser login. The signed cookie carries a random token; only its SHA-256 is kept, as the id.

    Each request looks the row up, so logging out (or a password change, or disabling the account) ends the
    session on the server: a copied cookie is worthless afterwards. Not audited: login and logout are."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")


class LoginAttempt(Base):
    """One checked login (throttled attempts are not checked, so not recorded here); the throttle counts these."""

    __tablename__ = "login_attempts"
    __table_args__ = (  # the throttle's counts (ipoc.auth.service), each answered from one index range
        Index("ix_login_attempts_username_success_ts", "username", "success", "ts"),
        Index("ix_login_attempts_username_ip_ts", "username", "ip", "ts"),
        Index("ix_login_attempts_ip_ts", "ip", "ts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), index=True)
    ip: Mapped[str] = mapped_column(String(64), default="")
    ts: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    success: Mapped[bool] = mapped_column(Boolean)
