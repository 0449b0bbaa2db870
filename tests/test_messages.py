"""The message centre (站内消息): decisions tell the organisations they affect, with a working link and an unread
badge, in the decision's own transaction (a refused one tells nobody); each user reads only their own messages,
on the page and through the API; reminders land there too; with SMTP configured, a copy goes out by e-mail
through the job queue."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from ipoc.auth.models import User
from ipoc.config import set_settings
from ipoc.jobs import queue
from ipoc.jobs.models import Job
from ipoc.messages import service as messages
from ipoc.messages.models import Notification
from tests.conftest import act_as, csrf_of, post_form
from tests.live import free_port
from tests.worlds.messages import make_world


def _unread_badge(page: str) -> int:
    found = re.search(r'data-testid="messages-unread">(\d+)<', page)
    return int(found.group(1)) if found else 0


def _messages_of(session, org_id: int) -> list[Notification]:
    session.expire_all()
    stmt = select(Notification).join(User, User.id == Notification.user_id).where(User.org_id == org_id)
    return list(session.scalars(stmt.order_by(Notification.id)))


def test_decisions_reach_the_affected_members_centre_and_nobody_else(client, session):
    owner, people, dossier, match, deal = make_world(session)
    told_of_the_deal = _messages_of(session, owner.id)
    assert [m.link for m in told_of_the_deal] == [f"/deals/{deal.id}"], "registering the deal told the seeker"

    act_as(client, "bureau")
    refused = post_form(client, f"/applications/{dossier.id}/actions/return", {"reason": ""})
    assert refused.status_code == 422 and len(_messages_of(session, owner.id)) == 1, "a refusal tells nobody"
    assert (
        post_form(client, f"/applications/{dossier.id}/actions/return", {"reason": "缺少财务报表"}).status_code == 303
    )
    act_as(client, "staff")
    assert post_form(client, f"/matches/{match.id}/decision", {"action": "forward"}).status_code == 303
    assert post_form(client, f"/matches/{match.id}/decision", {"action": "accept"}).status_code == 303
    wrong = post_form(client, f"/deals/{deal.id}/transition", {"action": "record", "recorded_on": "2026-11-30"})
    assert wrong.status_code == 409 and len(_messages_of(session, owner.id)) == 4
    step = {"action": "negotiate", "negotiation_on": "2026-11-30"}
    assert post_form(client, f"/deals/{deal.id}/transition", step).status_code == 303

    told = _messages_of(session, owner.id)
    assert [m.link for m in told[1:]] == [
        f"/applications/{dossier.id}",
        f"/demands/{match.demand_id}/matches",
        f"/demands/{match.demand_id}",
        f"/deals/{deal.id}",
    ]
    assert "退回补正" in told[1].text and "缺少财务报表" in told[1].text
    assert "转交" in told[2].text and "采纳" in told[3].text and "洽谈" in told[4].text
    assert {m.user_id for m in told} == {people["owner"].user_id}

    act_as(client, "owner")
    page = client.get("/messages").text
    assert _unread_badge(page) == 5 and all(f'href="{m.link}"' in page for m in told)
    for m in told[1:]:
        assert client.get(m.link).status_code == 200, m.link  # each link opens for the member
    api = client.get("/api/v1/messages").json()
    assert [m["id"] for m in api][:1] == [told[-1].id] and api[0]["created_at"].endswith("+08:00")
    assert client.get("/api/v1/messages/unread").json() == {"unread": 5}
    marked = client.post(f"/api/v1/messages/{told[1].id}/read", headers={"X-CSRF-Token": csrf_of(client)})
    assert marked.json() == {"marked": 1}
    assert client.get("/api/v1/messages", params={"unread": True}).json()[-1]["id"] != told[1].id
    assert _unread_badge(client.get("/dashboard").text) == 4

    act_as(client, "other")
    assert _unread_badge(client.get("/messages").text) == 0
    assert "缺少财务报表" not in client.get("/messages").text
    assert client.get("/api/v1/messages").json() == []
    assert (
        client.post(f"/api/v1/messages/{told[2].id}/read", headers={"X-CSRF-Token": csrf_of(client)}).status_code == 404
    )
    assert post_form(client, f"/messages/{told[2].id}/read", {}).status_code == 404
    assert client.get("/api/v1/messages/unread").json() == {"unread": 0}
    act_as(client, None)
    assert client.get("/api/v1/messages").status_code == 401

    act_as(client, "owner")
    assert post_form(client, "/messages/read", {}).status_code == 303
    assert client.get("/api/v1/messages/unread").json() == {"unread": 0}
    assert _messages_of(session, owner.id)[2].read_at is not None


def test_a_message_is_mailed_through_the_job_queue_when_smtp_is_configured(instance, session):
    received: list[bytes] = []

    class Sink:
        async def handle_DATA(self, server, smtp_session, envelope):
            received.append(envelope.original_content)
            return "250 OK"

    port = free_port()
    sink = Controller(Sink(), hostname="127.0.0.1", port=port)
    sink.start()
    try:
        owner, people, _dossier, _match, deal = make_world(session)
        member = session.get(User, people["owner"].user_id)
        assert session.scalar(select(func.count(Job.id)).where(Job.kind == "mail")) == 0, "no SMTP host, no mail"
        messages.set_email(session, people["owner"], "zhang@example.cn")
        set_settings(
            instance.model_copy(
                update={"smtp_host": "127.0.0.1", "smtp_port": port, "site_url": "https://ipoc.example.cn"}
            )
        )
        told = messages.tell(
            session, text="技术合同交易“永磁体工艺转让”：进入洽谈", link=f"/deals/{deal.id}", organisations=[owner.id]
        )
        session.commit()
        job = queue.claim("test-mail")
        assert job is not None and job.kind == "mail" and job.params["ids"] == [told[0].id]
        queue.execute(job)
        session.expire_all()
        assert session.get(Job, job.id).status == "done" and session.get(Job, job.id).result == {"sent": 1}
    finally:
        sink.stop()
        set_settings(instance)
    mail = message_from_bytes(received[0], policy=policy.default)
    assert mail["To"] == member.email and mail["Subject"] == "【站内消息】技术合同交易“永磁体工艺转让”：进入洽谈"
    body = mail.get_content()
    assert f"https://ipoc.example.cn/deals/{deal.id}" in body and body.startswith("owner，您好")
