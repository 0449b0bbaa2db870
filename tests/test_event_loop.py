"""Nothing blocking runs on the event loop: route functions that use the database, hash passwords or touch
files are plain ``def`` (FastAPI runs them in the thread pool), and the few coroutines left only await the
request body. An ``async def`` route that works a synchronous session holds the loop while it waits on a
lock or a pool connection, and the whole server stops answering (eight concurrent logins did that)."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_dependant
from fastapi.routing import APIRoute

import ipoc
from ipoc.web.deps import csrf_protect, get_db

SRC = Path(ipoc.__file__).resolve().parent

# Every coroutine function in src/ipoc, with why it may be one. Route endpoints: none.
ASYNC_ALLOWED: dict[tuple[str, str], str] = {
    ("web/deps.py", "csrf_protect"): "only awaits the posted form to read the CSRF token",
    ("web/forms.py", "posted_form"): "only awaits the posted form; routes take it as a parameter",
    ("stock/api.py", "_posted_rows"): "only awaits the body (JSON bytes or the multipart form)",
    ("web/admission.py", "__call__"): "the admission limit: waits for a slot on the loop, holding nothing",
    ("web/admission.py", "send_releasing"): "passes a message on, giving the slot back at the response start",
    ("web/admission.py", "_busy"): "sends a fixed 503 answer",
    ("shell/app.py", "__call__"): "request-context middleware: request id, refusals; the session closes in a thread",
    ("shell/app.py", "send_with_headers"): "passes a message on, adding the request id and security headers",
    ("shell/app.py", "_lifespan"): "the application's lifespan (startup and shutdown), not a request",
}


@dataclass(frozen=True)
class Walked:
    """One route as FastAPI runs it: its endpoint's tree and the dependencies its routers add."""

    path: str
    methods: frozenset[str]
    endpoint: Callable
    trees: tuple[Dependant, ...]

    def __str__(self) -> str:
        return f"{sorted(self.methods)} {self.path}"


def _walk(routes: list, prefix: str = "", extra: tuple = ()) -> Iterator[Walked]:
    """app.routes, into included routers (FastAPI keeps them as branches with their own dependencies)."""
    for route in routes:
        if isinstance(route, APIRoute):
            path = prefix + route.path
            added = tuple(get_dependant(path=path, call=d.dependency) for d in extra)
            yield Walked(path, frozenset(route.methods), route.endpoint, (route.dependant, *added))
        elif (inner := getattr(route, "original_router", None)) is not None:
            context = route.include_context
            yield from _walk(inner.routes, prefix + context.prefix, (*extra, *context.dependencies))


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> FastAPI:
    from ipoc.config import Settings
    from ipoc.shell.app import create_app

    root = tmp_path_factory.mktemp("event-loop")
    return create_app(Settings(data_dir=root, database_url=f"sqlite:///{root / 'unused.sqlite3'}", secret_key="x"))


@pytest.fixture(scope="module")
def routes(app) -> list[Walked]:
    """The app's routes, web and API, with the router-level dependencies (CSRF) they are included with."""
    return list(_walk(app.routes))


def test_exception_handlers_run_in_the_thread_pool(app):
    """Starlette awaits a coroutine handler on the loop; a page it renders reads the database (the badge)."""
    handlers = [h for h in app.exception_handlers.values() if h.__module__.startswith("ipoc.")]
    assert len(handlers) >= 5
    coroutines = [h.__name__ for h in handlers if _is_coroutine(h)]
    assert not coroutines, f"async exception handlers: {coroutines}"


def _calls(dependant: Dependant) -> Iterator[Callable]:
    """Every callable FastAPI runs for a tree: its call and its dependencies, recursively."""
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _uses_db(dependant: Dependant) -> bool:
    return any(call is get_db for call in _calls(dependant))


def _is_coroutine(call: Callable) -> bool:
    """A coroutine function, or an object whose ``__call__`` is one (FastAPI awaits both on the loop)."""
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(vars(type(call)).get("__call__"))


def _where(call: Callable) -> tuple[str, str]:
    path = Path(inspect.getsourcefile(call) or "").resolve()
    return str(path.relative_to(SRC)) if path.is_relative_to(SRC) else str(path), call.__name__


def test_the_walk_sees_every_route_and_the_database(routes):
    assert len(routes) > 300, "web pages and API operations are all walked"
    assert sum(any(_uses_db(t) for t in r.trees) for r in routes) > 250, "the session dependency is found"
    assert all(csrf_protect in {c for t in r.trees for c in _calls(t)} for r in routes if r.path != "/api/docs")


def test_no_coroutine_route_or_dependency_works_a_database_session(routes):
    """A coroutine whose dependency tree opens the request's session would run that session on the loop."""
    offenders = []
    for route in routes:
        stack = list(route.trees)
        while stack:
            dependant = stack.pop()
            if dependant.call is not None and _is_coroutine(dependant.call) and _uses_db(dependant):
                offenders.append(f"{route}: {_where(dependant.call)}")
            stack.extend(dependant.dependencies)
    assert not offenders, "async def with a database session (make it a plain def):\n" + "\n".join(offenders)


def test_no_route_endpoint_is_a_coroutine(routes):
    offenders = [
        f"{r}: {_where(r.endpoint)}"
        for r in routes
        if _is_coroutine(r.endpoint) and _where(r.endpoint) not in ASYNC_ALLOWED
    ]
    assert not offenders, "async route functions (take the form as `posted: Posted` and use def):\n" + "\n".join(
        offenders
    )


def test_every_coroutine_dependency_is_allowed(routes):
    seen = {_where(call) for route in routes for tree in route.trees for call in _calls(tree) if _is_coroutine(call)}
    unexpected = sorted(seen - ASYNC_ALLOWED.keys())
    assert not unexpected, f"async dependencies not on the allow-list: {unexpected}"


def _async_defs() -> Iterator[tuple[str, str]]:
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.AsyncFunctionDef):
                yield str(path.relative_to(SRC)), node.name


def test_every_async_def_in_the_package_is_on_the_allow_list():
    """Services and helpers are synchronous; a new coroutine must say here why it may run on the loop."""
    found = set(_async_defs())
    unexpected = sorted(found - ASYNC_ALLOWED.keys())
    assert not unexpected, f"async def outside the allow-list (make it def, or allow it with a reason): {unexpected}"


@pytest.mark.parametrize("name", ["parse_form", "submit", "attempt"])
def test_form_helpers_are_synchronous(name):
    from ipoc.web import forms

    assert not inspect.iscoroutinefunction(getattr(forms, name))
