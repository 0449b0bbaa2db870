"""Concurrent logins over real HTTP do not stop the server (issue 11: eight logins, even failed ones, once left
it answering nothing). A real uvicorn server on loopback, twelve clients logging in at once (half with a wrong
password), and the health check polled all the while: every answer comes, in bounded time."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager

import httpx
import uvicorn

from ipoc.auth.roles import Role
from ipoc.db import session_factory
from tests.conftest import PASSWORD, make_user
from tests.live import free_port

CLIENTS = 12
BOUND_S = 30  # every answer, login or health check, comes within this


@contextmanager
def serving(app) -> Iterator[str]:
    """The app over real HTTP on a free port of 127.0.0.1, in a uvicorn thread, stopped afterwards."""
    port = free_port()
    # idle connections kept as `ipoc serve` keeps them: a client reuses its connection after the others logged in
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", timeout_keep_alive=75)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-concurrency-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=BOUND_S)
    assert not thread.is_alive(), "uvicorn did not stop"


def _login_form(client: httpx.Client) -> str:
    page = client.get("/login")
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the login page carries the session's CSRF token"
    return match.group(1)


def test_twelve_concurrent_logins_and_the_health_check_all_answer(instance):
    from ipoc.shell.app import create_app

    with session_factory()() as s:
        for i in range(CLIENTS // 2):
            make_user(s, f"expert{i}", Role.EXPERT)
    with serving(create_app(instance)) as url:
        clients = [httpx.Client(base_url=url, follow_redirects=False, timeout=BOUND_S) for _ in range(CLIENTS)]
        tokens = [_login_form(c) for c in clients]
        start = threading.Barrier(CLIENTS + 1)
        logins_done = threading.Event()
        health: list[tuple[int, float]] = []

        def log_in(i: int) -> tuple[int, float]:
            right = i % 2 == 0
            form = {
                "username": f"expert{i // 2}",
                "password": PASSWORD if right else "wrong-Passw0rd",
                "csrf_token": tokens[i],
            }
            start.wait()
            t0 = time.monotonic()
            answer = clients[i].post("/login", data=form)
            return answer.status_code, time.monotonic() - t0

        def poll_health() -> None:
            with httpx.Client(base_url=url, timeout=BOUND_S) as probe:
                start.wait()
                while not logins_done.is_set():
                    t0 = time.monotonic()
                    health.append((probe.get("/healthz").status_code, time.monotonic() - t0))
                    time.sleep(0.05)

        with ThreadPoolExecutor(CLIENTS + 1) as pool:
            prober = pool.submit(poll_health)
            logins = [pool.submit(log_in, i) for i in range(CLIENTS)]
            _, pending = wait(logins, timeout=2 * BOUND_S)
            logins_done.set()
            assert not pending, f"{len(pending)} of {CLIENTS} logins never answered"
            prober.result(timeout=BOUND_S)
        answers = [f.result() for f in logins]
        for c in clients:
            c.close()

        assert [status for status, _ in answers] == [303 if i % 2 == 0 else 401 for i in range(CLIENTS)]
        assert max(seconds for _, seconds in answers) < BOUND_S
        assert health, "the health check was polled while the logins ran"
        assert {status for status, _ in health} == {200}
        assert max(seconds for _, seconds in health) < BOUND_S
        with httpx.Client(base_url=url, timeout=5) as after:
            assert after.get("/healthz").status_code == 200
