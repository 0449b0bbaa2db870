"""A request's unit of work is safe by default: a refused action undoes exactly its own writes (a savepoint), what
the request wrote before it is committed with the request, and a refusal raised later leaves nothing at all, on
SQLite as on PostgreSQL. Background work starts only with the commit that created its job, and the navigation's
counts are read through the request's own session, on an error page too."""

from __future__ import annotations

import re
import threading

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ipoc.auth.roles import Role
from ipoc.db import session_scope
from ipoc.errors import Conflict, DomainError
from ipoc.jobs import queue
from ipoc.jobs import service as jobs
from ipoc.jobs.models import Job
from ipoc.messages import service as messages
from ipoc.reference.models import Industry
from ipoc.web.deps import DB
from ipoc.web.forms import FormResult, attempt, refusable
from tests.conftest import login, make_user


def _industry(session, name: str) -> None:
    session.add(Industry(name=name, naming_term=name, category="重点", source="test"))
    session.flush()


def _refused_action(session) -> None:
    _industry(session, "撤回")
    raise Conflict("状态不允许")


def _stored() -> set[str]:
    with session_scope() as session:
        return set(session.scalars(select(Industry.name).where(Industry.source == "test")))


def _routes() -> APIRouter:
    router = APIRouter()

    @router.get("/test/uow/refused")
    def write_then_refused(session: DB):
        _industry(session, "先")
        try:
            with refusable(session):
                _refused_action(session)
        except DomainError as exc:
            return PlainTextResponse(exc.message, status_code=exc.status_code)
        return PlainTextResponse("done")

    @router.get("/test/uow/form")
    def write_then_refused_form(session: DB):
        _industry(session, "先")
        form: FormResult = FormResult({}, object(), {})  # a valid form (its data any non-None value)
        attempt(session, form, lambda: _refused_action(session))
        _industry(session, "后")
        return PlainTextResponse(form.errors["__all__"], status_code=form.status)

    @router.get("/test/uow/refused-later")
    def kept_action_then_refused(session: DB):
        with refusable(session):  # the request's first write: its savepoint must not commit on its own
            _industry(session, "早")
        raise Conflict("随后被拒绝")

    return router


def test_a_refused_action_undoes_its_own_writes_and_keeps_the_requests_earlier_ones(app, client):
    app.include_router(_routes())
    answer = client.get("/test/uow/refused")
    assert (answer.status_code, answer.text) == (409, "状态不允许")
    assert _stored() == {"先"}


def test_a_refused_form_keeps_what_the_request_wrote_before_and_after(app, client):
    app.include_router(_routes())
    answer = client.get("/test/uow/form")
    assert (answer.status_code, answer.text) == (409, "状态不允许")
    assert _stored() == {"先", "后"}


def test_an_actions_savepoint_commits_only_with_the_request(app, client):
    app.include_router(_routes())
    assert client.get("/test/uow/refused-later").status_code == 409
    assert _stored() == set()


# --- jobs start with the commit that created them --------------------------------------------------------------


def test_a_job_starts_only_with_the_commit_that_created_it_and_never_after_a_rollback(instance, session):
    ran: list[int] = []
    started = threading.Event()
    queue.register("test-uow", lambda job, _progress: ran.append(job.id) or started.set() or {"ok": True})
    runner = queue.Runner("worker", poll=600).start()  # an idle slot waits for a wake-up, not for its poll
    try:
        before = jobs.generation()
        dropped = jobs.create(session, "test-uow", owner_id=None, label="dropped", params={}).id
        session.rollback()
        assert jobs.generation() == before and session.get(Job, dropped) is None

        kept = jobs.create(session, "test-uow", owner_id=None, label="kept", params={}).id
        with session.begin_nested():  # a savepoint's release is no commit: the job is not visible yet
            pass
        assert jobs.generation() == before
        session.commit()
        assert jobs.generation() == before + 1
        assert started.wait(30), "the committed job wakes the runner"
        assert ran == [kept]
    finally:
        assert runner.stop(30)


# --- the navigation's counts ------------------------------------------------------------------------------------


def test_an_error_page_counts_unread_messages_through_the_requests_own_session(session, client):
    user = make_user(session, "reader", Role.REGION_ADMIN)
    messages.tell(session, text="新的提醒", link="/dashboard", users=[user.id])
    session.commit()
    login(client, "reader")
    sessions: set[int] = set()

    def began(began_session: Session, _transaction, _connection) -> None:
        if not threading.current_thread().name.startswith("ipoc-"):  # not the job runner's slots and heartbeat
            sessions.add(id(began_session))

    event.listen(Session, "after_begin", began)
    try:
        page = client.get("/centers/999999")
    finally:
        event.remove(Session, "after_begin", began)
    assert page.status_code == 404
    assert re.search(r'data-testid="messages-unread">1<', page.text)
    assert len(sessions) == 1, "the error page read its badges through the request's session"
