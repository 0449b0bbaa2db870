"""When the server is saturated it says so (503 with Retry-After) instead of hanging: a request that gets no
pooled connection in time, one that finds SQLite's write lock taken past its busy timeout, and one that waits
too long for a slot of the admission limit."""

from __future__ import annotations

import sqlite3

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from ipoc.auth.roles import Role
from ipoc.config import Settings, set_settings
from ipoc.db import dispose_engine, get_engine, session_factory
from ipoc.web.admission import AdmissionLimit
from tests.conftest import csrf_of, make_user


def _with(instance: Settings, **changes) -> Settings:
    """The instance with other concurrency settings, on an engine built for them."""
    settings = instance.model_copy(update=changes)
    dispose_engine(settings.sqlalchemy_url)
    set_settings(settings)
    return settings


def test_no_connection_in_time_is_a_503_with_retry_after(instance):
    from ipoc.shell.app import create_app

    settings = _with(instance, db_pool_size=1, db_max_overflow=0, db_pool_timeout_s=0.3)
    client = TestClient(create_app(settings), follow_redirects=False)  # no lifespan: no job runner, no follower
    assert client.get("/healthz").status_code == 200
    held = get_engine().connect()  # the pool's only connection
    try:
        page = client.get("/healthz")
        api = client.get("/api/v1/industries")
    finally:
        held.close()
    assert client.get("/healthz").status_code == 200, "the server recovers as soon as a connection is free"
    assert page.status_code == 503 and page.headers["retry-after"] == "5"
    assert api.status_code == 503 and api.headers["retry-after"] == "5"
    assert "服务繁忙" in api.json()["detail"]


def test_sqlite_write_lock_held_too_long_is_a_503(instance, backend):
    if backend != "sqlite":
        pytest.skip("SQLite's write lock")
    from ipoc.shell.app import create_app

    with session_factory()() as s:
        make_user(s, "alice", Role.EXPERT)
    with TestClient(create_app(instance), follow_redirects=False) as client:
        token = csrf_of(client)
        blocker = sqlite3.connect(make_url(instance.sqlalchemy_url).database, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another process writing, and not letting go
        try:
            answer = client.post("/login", data={"username": "alice", "password": "wrong-pass", "csrf_token": token})
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
    assert answer.status_code == 503, answer.text[:300]
    assert answer.headers["retry-after"] == "5"
    assert "服务繁忙" in answer.text


async def _app_that_waits(scope, receive, send, gate: anyio.Event) -> None:
    if scope["path"] == "/slow":
        await gate.wait()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.mark.anyio
async def test_admission_limit_queues_then_refuses_past_its_timeout():
    gate = anyio.Event()
    app = AdmissionLimit(
        lambda scope, receive, send: _app_that_waits(scope, receive, send, gate),
        slots=1,
        queue_timeout_s=0.3,
        threads=7,
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        statuses: dict[str, int] = {}

        async def get(name: str, path: str) -> None:
            statuses[name] = (await client.get(path)).status_code

        async with anyio.create_task_group() as tg:
            tg.start_soon(get, "slow", "/slow")  # takes the only slot and keeps it
            await anyio.sleep(0.05)
            tg.start_soon(get, "refused", "/fast")  # waits 0.3 s for the slot, then 503
            await anyio.sleep(0.6)
            tg.start_soon(get, "queued", "/fast")  # waits until the slow one answers
            await anyio.sleep(0.05)
            assert "queued" not in statuses
            gate.set()
        assert statuses == {"slow": 200, "refused": 503, "queued": 200}
        assert (await client.get("/static/app.js")).status_code == 200  # files pass without a slot
        assert anyio.to_thread.current_default_thread_limiter().total_tokens == 7
