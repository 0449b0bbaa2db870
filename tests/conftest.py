"""Test instances on real databases: every test that asks for ``instance`` runs on SQLite and on
PostgreSQL (when its server answers; ``IPOC_REQUIRE_POSTGRES=1``, set by CI, turns a skip into a failure).

Each backend is migrated once into a template; each test gets a fresh copy and its own data dir.
"""

from __future__ import annotations

import inspect
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.util import LRUCache

from ipoc import db as ipoc_db
from ipoc.auth import service as accounts
from ipoc.auth.models import User
from ipoc.auth.roles import Role
from ipoc.config import Settings, set_settings
from ipoc.db import dispose_engine, session_factory
from ipoc.search import index_sync

PG_URL = os.environ.get("IPOC_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "testPassw0rd"


# Every test's instance has a database of its own, so ipoc.db makes an engine per test, and a new engine starts with
# an empty cache of compiled SQL: each test compiled again every statement it ran (a quarter of the CPU time of a file
# such as test_deals.py). A production process keeps one engine, and so a warm cache. Here the engines of a backend
# share the dialect (same server, same SQL) and the compiled-statement cache of the first one that connected.
_COMPILED: dict[str, tuple[object, LRUCache]] = {}
_new_engine = ipoc_db.engine_for


def _engine_sharing_compiled_sql(url: str) -> Engine:
    fresh = url not in ipoc_db._engines
    engine = _new_engine(url)
    if not fresh:
        return engine
    shared = _COMPILED.get(engine.dialect.name)
    if shared is not None:
        engine.dialect, engine._compiled_cache = shared
    else:  # once connected, its dialect knows the server (dialect.initialize): share it from then on

        def remember(*_args: object) -> None:
            engine._compiled_cache = LRUCache(5000)  # the whole run's statements, not one test's
            _COMPILED.setdefault(engine.dialect.name, (engine.dialect, engine._compiled_cache))

        event.listen(engine.pool, "connect", remember, once=True)
    return engine


ipoc_db.engine_for = _engine_sharing_compiled_sql


def _pg_admin_url() -> str:
    return Settings(database_url=PG_URL, secret_key="x").sqlalchemy_url


def postgres_problem() -> str | None:
    """None when the PostgreSQL test server answers, else why not."""
    try:
        engine = create_engine(_pg_admin_url(), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure to connect means: no server for this run
        return f"PostgreSQL at {PG_URL} does not answer ({type(exc).__name__}); PostgreSQL tests skipped"
    return None


def _migrate(settings: Settings) -> None:
    from ipoc.ops.migrate import upgrade

    set_settings(settings)
    upgrade()
    dispose_engine(settings.sqlalchemy_url)


def _pg_execute(sql: str) -> None:
    engine = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


# DROP DATABASE makes PostgreSQL 15 force an immediate checkpoint and wait for it: 0.5–2 s a test on these machines,
# more than most tests take. Test databases are dropped in the background instead, several at once so that one
# checkpoint serves many drops; the session waits for them before it drops the template.
_DROPS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="drop-test-db")
_DROPPING: list[Future[None]] = []


def _drop_in_background(name: str) -> None:
    _DROPPING.append(_DROPS.submit(_pg_execute, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def _wait_for_drops() -> None:
    _DROPS.shutdown(wait=True)
    for failed in [f.exception() for f in _DROPPING if f.exception() is not None]:
        print(f"a test database was not dropped: {failed}")


def _pg_url_for(name: str) -> str:
    return make_url(_pg_admin_url()).set(database=name).render_as_string(hide_password=False)


# The longest files first (per-file sums of --durations over a whole run, longest first): `--dist loadfile` hands a
# worker its next file when it has two tests or fewer left, in the order given here, so a long file started last no
# longer runs alone at the end of the suite. xdist's own default (--loadscope-reorder) would sort the files by their
# number of tests instead, which sent the two-test load file and the four-test route crawl out last: it is turned
# off in pytest_configure below.
LONGEST_FIRST = (
    "test_robustness.py",
    "test_deals.py",
    "test_load.py",
    "test_backup.py",
    "test_events.py",
    "test_inbox.py",
    "test_confidentiality_crawl.py",
    "test_matching.py",
    "test_cli.py",
    "test_faults.py",
    "test_stock.py",
    "test_api_fuzz.py",
    "test_sessions_and_logins.py",
    "test_centers.py",
    "test_reviews.py",
    "test_browser_lifecycle.py",
    "test_browser.py",
    "test_browser_transfer.py",
)


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config.option, "loadscopereorder"):  # pytest-xdist: keep the order pytest_collection_modifyitems sets
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: within a file, and among the rest, the order stays as collected


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sqlite-template")
    db = root / "template.sqlite3"
    _migrate(Settings(data_dir=root / "var", database_url=f"sqlite:///{db}", secret_key="template"))
    return db


@pytest.fixture(scope="session")
def pg_template(tmp_path_factory) -> Iterator[str]:
    problem = postgres_problem()
    if problem:
        if os.environ.get("IPOC_REQUIRE_POSTGRES") == "1":
            pytest.fail(problem)
        pytest.skip(problem)
    name = f"ipoc_tpl_{os.getpid()}"
    _pg_execute(f"DROP DATABASE IF EXISTS {name}")
    _pg_execute(f"CREATE DATABASE {name}")
    root = tmp_path_factory.mktemp("pg-template")
    _migrate(Settings(data_dir=root / "var", database_url=_pg_url_for(name), secret_key="template"))
    yield name
    _wait_for_drops()
    _pg_execute(f"DROP DATABASE IF EXISTS {name}")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def instance(request, backend, tmp_path) -> Iterator[Settings]:
    """A fresh, migrated instance (database + data dir), made current for the app, services and CLI."""
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    if backend == "sqlite":
        db = data_dir / "ipoc.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), db)
        url, cleanup = f"sqlite:///{db}", None
    else:
        template = request.getfixturevalue("pg_template")
        name = f"ipoc_t_{uuid.uuid4().hex[:12]}"
        _pg_execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        url, cleanup = _pg_url_for(name), name
    settings = Settings(
        data_dir=data_dir,
        database_url=url,
        secret_key=f"test-{uuid.uuid4().hex}",
        password_hash_time_cost=1,  # cheap hashes keep the suite fast; production keeps argon2's defaults
        password_hash_memory_kib=1024,
    )
    set_settings(settings)
    yield settings
    index_sync.forget_handles()  # each test's indexes live in its own data dir
    dispose_engine(settings.sqlalchemy_url)
    if cleanup:
        _drop_in_background(cleanup)


@pytest.fixture
def session(instance) -> Iterator[Session]:
    s = session_factory()()
    yield s
    s.rollback()
    s.close()


@pytest.fixture
def app(instance):
    from ipoc.shell.app import create_app

    return create_app(instance)


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://testserver", follow_redirects=False) as c:
        yield c


def make_user(session: Session, username: str, role: Role, scope: str | None = None) -> User:
    user = accounts.create_user(
        session,
        username=username,
        display_name=username,
        role=role,
        password=PASSWORD,
        scope=scope,
        must_change_password=False,
    )
    session.commit()
    return user


def token(session, username: str, role: Role, scope: str | None = None) -> dict[str, str]:
    """Bearer headers: several roles act through one client without logging in and out."""
    user = make_user(session, username, role, scope)
    _, plaintext = accounts.create_token(session, user, "test")
    session.commit()
    return {"Authorization": f"Bearer {plaintext}"}


def csrf_of(client) -> str:
    """The session's CSRF token, read from a rendered page as the browser would see it."""
    page = client.get("/login", follow_redirects=True).text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "every page carries the session's CSRF token"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD):
    token = csrf_of(client)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def act_as(client, username: str | None) -> None:
    """Switch the client to another account, or to the public (None)."""
    client.cookies.clear()
    if username:
        login(client, username)


def post_form(client, path: str, data: dict[str, str]):
    """POST a form the way the browser does, with the token from the session."""
    return client.post(path, data={**data, "csrf_token": csrf_of(client)})


def _ready_to_log_in(session: Session) -> None:
    """Every account's password is PASSWORD and its forced first-login change is done."""
    for user in session.query(User).all():
        accounts.reset_password(session, user, PASSWORD)
        user.must_change_password = False


@pytest.fixture
def demo(session) -> Session:
    """The shipped demo data, with every demo account's forced password change already done."""
    from ipoc.ops import demo as demo_data

    demo_data.load(session)
    _ready_to_log_in(session)
    session.commit()
    return session


def load_full_demo() -> None:
    """What ``ipoc demo load`` loads (patents, transfer, matches, events, deals, stock), ready to log in."""
    from typer.testing import CliRunner

    from ipoc.cli import app as cli
    from ipoc.db import session_scope

    result = CliRunner().invoke(cli, ["demo", "load"])
    assert result.exit_code == 0, result.output
    with session_scope() as session:
        _ready_to_log_in(session)


@pytest.fixture
def full_demo(instance) -> None:
    load_full_demo()


@pytest.fixture
def world(request: pytest.FixtureRequest, session: Session):
    """The world of the test's module: its ``WORLD`` names the builder (tests/worlds), called with the session and
    any other fixture its parameters name (``tmp_path`` …). One fixture, so no module imports another's; it asks
    for ``session`` itself, so that every test of a world still runs on each backend."""
    build = getattr(request.module, "WORLD", None)
    assert build is not None, f"{request.module.__name__} asks for `world` but names no WORLD builder"
    needed = [p.name for p in inspect.signature(build).parameters.values() if p.default is p.empty]
    return build(*(session if name == "session" else request.getfixturevalue(name) for name in needed))


# The browser tests' fixtures (tests.browsing, imported only when a browser test asks, skips where Chromium is missing).
@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module."""
    from tests.browsing import chromium

    with chromium() as b:
        yield b


@pytest.fixture
def site(browser, live_server):
    """A desktop page on the module's own ``live_server``."""
    from tests.browsing import site_on

    with site_on(browser, live_server) as s:
        yield s
