"""Schemathesis over every operation of the JSON API, as the public, a member, a city bureau and the region admin.

Used by tests/test_api_fuzz.py (a bounded run in every ``make test``) and benchmarks/api_fuzz.py (the full run).
Each call's answer is checked against the OpenAPI document: no 5xx, every status documented, the documented
content type and body schema (problem details for errors), and invalid input (negative generation) refused with
a 4xx. Each path is also sent a method it does not answer: 405 with ``Allow``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import update

from ipoc.auth import service as accounts
from ipoc.auth.models import ApiToken, User
from ipoc.auth.roles import Role
from ipoc.config import Settings, set_settings
from ipoc.db import session_factory, session_scope
from tests.live import env_for, free_port

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass
class Tally:
    calls: int = 0
    server_errors: int = 0
    violations: list[str] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    operations: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        top = ", ".join(f"{s}×{n}" for s, n in sorted(self.statuses.items()))
        return (
            f"{self.calls} calls over {self.operations} operations in {self.seconds:.1f} s: "
            f"{self.server_errors} × 5xx, {len(self.violations)} schema violations (statuses: {top})"
        )


def demo_instance(data_dir: Path, template: Path) -> Settings:
    """A SQLite instance copied from a migrated template, with the whole demo loaded (as ``ipoc demo load``)."""
    from ipoc.ops import demo, demo_deals, demo_events, demo_matching, demo_stock, demo_transfer
    from ipoc.ops.demo_lifecycle import load_lifecycle

    data_dir.mkdir(parents=True, exist_ok=True)
    db = data_dir / "ipoc.sqlite3"
    shutil.copyfile(template, db)
    settings = Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{db}",
        secret_key="fuzz",
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
    )
    set_settings(settings)
    with session_scope() as session:
        demo.load(session)
        load_lifecycle(session)
    demo.load_patents()
    with session_scope() as session:
        demo_transfer.load(session)
        for loader in (demo_stock.load, demo_matching.load, demo_events.load, demo_deals.load):
            loader(session)
    return settings


ROLES = (  # (name, demo login, role): a member, the region admin, and a league/city bureau for the scoped checks
    ("member", "member", Role.MEMBER),
    ("admin", "admin", Role.REGION_ADMIN),
    ("officer", "baotou", Role.BUREAU_OFFICER),
)


class Principals:
    """API tokens of demo users (``ROLES``). Fuzzed writes may revoke a token, deactivate its user or
    change its role: ``restore`` puts them back before each operation, so every role keeps being exercised."""

    def __init__(self) -> None:
        self.tokens: dict[str, tuple[int, int, str, str]] = {}  # role name -> (user id, token id, role, plaintext)
        with session_scope() as session:
            for name, username, role in ROLES:
                user = session.query(User).filter_by(username=username).one()
                user.must_change_password = False
                token, plaintext = accounts.create_token(session, user, f"fuzz-{name}", days=None)
                self.tokens[name] = (user.id, token.id, role.value, plaintext)

    def headers(self) -> dict[str, dict[str, str]]:
        auth = {name: {"Authorization": f"Bearer {t[3]}"} for name, t in self.tokens.items()}
        return {"anonymous": {}, **auth}

    def restore(self) -> None:
        session = session_factory()()
        try:
            for user_id, token_id, role, _ in self.tokens.values():
                session.execute(
                    update(User).where(User.id == user_id).values(active=True, must_change_password=False, role=role)
                )
                revived = update(ApiToken).where(ApiToken.id == token_id).values(revoked_at=None, expires_at=None)
                session.execute(revived)
            session.commit()
        finally:
            session.close()


def _record(tally: Tally, label: str, response: Any, exc: BaseException | None) -> None:
    tally.calls += 1
    tally.statuses[response.status_code] += 1
    if response.status_code >= 500:
        tally.server_errors += 1
    if exc is not None:
        lines = str(exc).strip().splitlines()
        curl = [line.strip() for line in lines if line.strip().startswith("curl ")]  # how to reproduce it
        tally.violations.append(f"{label}: {' / '.join(lines[:6] + curl[:1])}")


def _exercise(
    operation: Any,
    mode: GenerationMode,
    roles: dict[str, dict[str, str]],
    server: Server,
    examples: int,
    tally: Tally,
    seed: int | None,
) -> None:
    """Each generated case is sent as every role: generation costs more than a call."""
    checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=seed is None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        for role, headers in roles.items():
            response = case.call(base_url=server.url, session=server.http, headers=headers)
            label = f"{operation.label} [{mode.value}, {role}]"
            try:
                case.validate_response(response, checks=checks, headers=headers)
            except FailureGroup as exc:
                _record(tally, label, response, exc)
            else:
                _record(tally, label, response, None)

    if seed is not None:
        run = hypothesis_seed(seed)(run)
    try:
        run()
    except Exception as exc:  # an operation schemathesis cannot generate for (e.g. no negative form) is skipped
        if "Unsatisfiable" not in type(exc).__name__ and "unsatisf" not in str(exc).lower():
            tally.violations.append(f"{operation.label} [{mode.value}]: {type(exc).__name__}: {exc}"[:400])


def _unsupported_methods(server: Server, schema: dict[str, Any], headers: dict[str, str], tally: Tally) -> None:
    """A method a path does not answer: 405 with an ``Allow`` header listing the ones it does (RFC 9110)."""
    if True:
        for path, operations in schema["paths"].items():
            listed = {m for m in operations if m in METHODS}
            other = next((m for m in ("delete", "put", "patch", "post") if m not in listed), None)
            if other is None:
                continue
            concrete = "/".join(c for _, c in _parts(path))
            response = server.http.request(other.upper(), server.url + concrete, headers=headers)
            tally.calls += 1
            tally.statuses[response.status_code] += 1
            allow = {m.strip().lower() for m in response.headers.get("allow", "").split(",") if m.strip()}
            # Allow may name more: a method another operation answers on the same path ({application_no} …)
            if response.status_code != 405 or not listed <= allow or other in allow:
                tally.violations.append(
                    f"{other.upper()} {path}: {response.status_code}, Allow={response.headers.get('allow')!r}, "
                    f"expected 405 with {sorted(listed)}"
                )


def _parts(path: str) -> list[tuple[str, str]]:
    """(template part, concrete part): a path parameter becomes ``1``; routing decides 405 before it is read."""
    out = []
    for part in path.split("/"):
        if part.startswith("{") and part.endswith("}"):
            out.append((part, "1"))
        else:
            out.append((part, part))
    return out


class Server:
    """The app served by uvicorn in its own process on a loopback port: real HTTP, and the server's work runs
    beside the generation of the next case instead of taking turns with it."""

    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env_for(settings)
        self.http = requests.Session()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        command = [sys.executable, "-m", "uvicorn", "--factory", "ipoc.shell.app:create_app"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--log-level", "error", "--no-access-log"]
        self.process = subprocess.Popen(command, env=self.env)
        deadline = time.monotonic() + 60
        while True:
            try:
                self.http.get(self.url + "/healthz", timeout=5)
                return self
            except requests.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.__exit__()
                    raise RuntimeError("the fuzzed server did not start") from None
                time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        self.http.close()
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _has_input(operation: Any) -> bool:
    """Whether there is anything to make invalid: parameters or a body."""
    definition = operation.definition.raw
    return bool(definition.get("parameters") or definition.get("requestBody"))


def fuzz(settings: Settings, principals: Principals, *, examples: int, seed: int | None = None) -> Tally:
    """Every operation × (valid, invalid) input × role, up to ``examples`` generated cases each; the same cases on
    every run unless a ``seed`` asks for others."""
    started = time.monotonic()
    tally = Tally()
    roles = principals.headers()
    with Server(settings) as server:
        schema = schemathesis.openapi.from_dict(server.http.get(server.url + "/api/openapi.json").json())
        for result in schema.get_all_operations():
            operation = result.ok()
            tally.operations += 1
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                if mode is GenerationMode.NEGATIVE and not _has_input(operation):
                    continue
                if operation.method.lower() != "get":
                    principals.restore()
                _exercise(operation, mode, roles, server, examples, tally, seed)
        principals.restore()
        _unsupported_methods(server, schema.raw_schema, roles["admin"], tally)
    tally.seconds = time.monotonic() - started
    return tally
