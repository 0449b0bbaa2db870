"""E-mail copies of messages, sent by the job queue (kind ``mail``) after the decision has committed.

Only configured instances send (``IPOC_SMTP_HOST``); the copy carries the message's text and an absolute link
when ``IPOC_SITE_URL`` is set. Subject and body are UTF-8, in Chinese, like the message itself.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select

from ipoc.auth.models import User
from ipoc.config import Settings, get_settings
from ipoc.db import session_scope
from ipoc.errors import DomainError
from ipoc.jobs.models import Job
from ipoc.jobs.service import Progress
from ipoc.messages.models import Notification

SITE_NAME = "内蒙古自治区产业知识产权运营中心平台"


def compose(settings: Settings, user: User, note: Notification) -> EmailMessage:
    """One message's e-mail: its text as the subject (shortened) and the body, with where to read it."""
    mail = EmailMessage()
    subject = note.text if len(note.text) <= 60 else note.text[:59] + "…"
    mail["Subject"] = f"【站内消息】{subject}"
    mail["From"] = settings.smtp_sender
    mail["To"] = user.email or ""
    link = f"{settings.site_url.rstrip('/')}{note.link}" if note.link else ""
    lines = [f"{user.display_name}，您好：", "", note.text, ""]
    if link:
        lines += [f"查看详情：{link}", ""]
    lines += ["此邮件由系统自动发送，请登录平台的站内消息查看全部消息。", SITE_NAME]
    mail.set_content("\n".join(lines), charset="utf-8")
    return mail


def _connect(settings: Settings) -> smtplib.SMTP:
    server = smtplib.SMTP(settings.smtp_host or "", settings.smtp_port, timeout=30)
    if settings.smtp_tls:
        server.starttls(context=ssl.create_default_context())
    if settings.smtp_username:
        server.login(settings.smtp_username, settings.smtp_password or "")
    return server


def send_job(job: Job, progress: Progress) -> dict[str, Any]:
    """Send the e-mail copy of each message named in the job to its recipient's current address."""
    settings = get_settings()
    with session_scope() as session:
        rows = session.execute(
            select(Notification, User)
            .join(User, User.id == Notification.user_id)
            .where(Notification.id.in_(job.params.get("ids", [])), User.email.is_not(None))
            .order_by(Notification.id)
        ).all()
        mails = [compose(settings, user, note) for note, user in rows]
    if not mails or not settings.smtp_host:
        return {"sent": 0}
    try:
        with _connect(settings) as server:
            for done, mail in enumerate(mails, 1):
                server.send_message(mail)
                progress.update(done, total=len(mails))
    except (OSError, smtplib.SMTPException) as exc:
        raise DomainError(f"邮件发送失败：{exc}") from exc
    return {"sent": len(mails)}
