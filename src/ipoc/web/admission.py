"""Admission control: at most ``request_slots`` requests inside the application at once.

A request holds its database connection from its first query to its commit, across several hops between the
event loop and the thread pool (each dependency, then the route function). Were more requests let in than the
pool has connections, the threads of newcomers could all block waiting for a connection while the requests
holding the connections wait for a thread: nothing moves until the pool timeout. Requests past the limit
therefore wait here, on the event loop, holding neither a thread nor a connection; the slot is given back as
soon as the response starts (the request's session is closed by then), so a slow download holds none.
"""

from __future__ import annotations

import asyncio
import json

import anyio
from anyio import to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ipoc.web.problems import CODES, MEDIA_TYPE

BUSY = "服务繁忙，请稍后重试"
RETRY_AFTER_S = 5
UNLIMITED_PREFIXES = ("/static/",)  # files only: no database, no thread held for long


class AdmissionLimit:
    def __init__(self, app: ASGIApp, slots: int, queue_timeout_s: float, threads: int) -> None:
        self.app = app
        self.slots = slots
        self.queue_timeout_s = queue_timeout_s
        self.threads = threads
        self._limits: dict[asyncio.AbstractEventLoop, anyio.Semaphore] = {}

    def _limit(self) -> anyio.Semaphore:
        """One semaphore per event loop (a test client may run the same app on several loops in turn); the
        loop's thread pool, which runs the route functions and dependencies, is sized on first use."""
        loop = asyncio.get_running_loop()
        if loop not in self._limits:
            to_thread.current_default_thread_limiter().total_tokens = self.threads
            self._limits = {k: v for k, v in self._limits.items() if not k.is_closed()}
            self._limits[loop] = anyio.Semaphore(self.slots)
        return self._limits[loop]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNLIMITED_PREFIXES):
            await self.app(scope, receive, send)
            return
        limit = self._limit()
        held = False
        with anyio.move_on_after(self.queue_timeout_s):
            await limit.acquire()
            held = True
        if not held:  # no slot within the queue timeout
            await _busy(scope, send)
            return

        def release() -> None:
            nonlocal held
            if held:
                held = False
                limit.release()

        async def send_releasing(message: Message) -> None:
            if message["type"] == "http.response.start":
                release()
            await send(message)

        try:
            await self.app(scope, receive, send_releasing)
        finally:
            release()


async def _busy(scope: Scope, send: Send) -> None:
    """503 with Retry-After, as a problem document on the API and a short page elsewhere."""
    if scope["path"].startswith("/api/"):
        body = json.dumps(
            {
                "type": f"urn:ipoc:problem:{CODES[503]}",
                "title": "服务繁忙",
                "status": 503,
                "detail": BUSY,
                "code": CODES[503],
            },
            ensure_ascii=False,
        ).encode()
        media = MEDIA_TYPE.encode()
    else:
        body = f"<!doctype html><meta charset=utf-8><title>服务繁忙</title><p>{BUSY}</p>".encode()
        media = b"text/html; charset=utf-8"
    headers = [(b"content-type", media), (b"content-length", str(len(body)).encode())]
    headers.append((b"retry-after", str(RETRY_AFTER_S).encode()))
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})
