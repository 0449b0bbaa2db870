"""The ``ipoc`` command line: accounts, tokens, demo data, audit verification, backup and restore.

Most tests call the Typer app in-process against the test instance (which ``instance`` makes current);
one runs the installed ``ipoc`` script in subprocesses configured by environment variables only.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ipoc.audit import service as audit
from ipoc.audit.context import SYSTEM, current_actor
from ipoc.audit.models import AuditRecord
from ipoc.auth.models import User
from ipoc.auth.passwords import verify_password
from ipoc.auth.roles import ROLE_LABELS, Role
from ipoc.cli import app
from ipoc.config import Settings
from ipoc.db import engine_for
from ipoc.ops import demo as demo_data
from ipoc.orgs.models import Organisation
from ipoc.shell.app import create_app
from tests.conftest import make_user

GOOD_PASSWORD = "goodPassw0rd1"
CREATE_EXPERT = ("user", "create", "--username", "zhang", "--role", "expert", "--password-stdin")
Invoke = Callable[..., Result]


@pytest.fixture
def cli(instance: Settings) -> Invoke:
    """Run ``ipoc ARGS`` in-process, with the instance's environment variables set as an operator would."""
    runner = CliRunner()
    env = {
        "IPOC_DATA_DIR": str(instance.data_dir),
        "IPOC_DATABASE_URL": instance.database_url,
        "IPOC_SECRET_KEY": instance.secret_key,
    }

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, list(args), env=env, input=input)

    return invoke


def _users(session: Session) -> list[str]:
    session.expire_all()
    return sorted(session.scalars(select(User.username)))


# --- user create --------------------------------------------------------------------------------------


@pytest.mark.parametrize("line_end", ["\n", ""], ids=["lf", "no-newline"])  # CRLF: in the subprocess test
def test_user_create_reads_the_password_from_stdin(cli, session, line_end):
    result = cli(
        "user", "create", "--username", "zhang", "--role", "bureau_officer", "--scope", "包头市",
        "--name", "张三", "--password-stdin", input=f"{GOOD_PASSWORD}{line_end}",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "created user zhang" in result.stdout
    user = session.scalar(select(User).where(User.username == "zhang"))
    assert (user.role, user.region.name, user.display_name) == ("bureau_officer", "包头市", "张三")
    assert user.must_change_password
    assert verify_password(user.password_hash, GOOD_PASSWORD)  # the line end is not part of the password
    record = session.scalar(
        select(AuditRecord).where(AuditRecord.entity_type == "users", AuditRecord.entity_id == str(user.id))
    )
    assert record.action == "create" and record.actor_label.startswith("cli:")
    assert audit.verify_chain(session).ok


def test_user_create_refuses_an_unknown_role(cli, session):
    result = cli("user", "create", "--username", "zhang", "--role", "superuser", input="x")
    assert result.exit_code == 2
    assert "unknown role 'superuser'" in result.stderr and "bureau_officer" in result.stderr
    assert _users(session) == []


def test_user_create_needs_a_scope_for_a_bureau_officer(cli, session):
    result = cli(
        "user", "create", "--username", "zhang", "--role", "bureau_officer", "--password-stdin",
        input=f"{GOOD_PASSWORD}\n",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "该角色必须指定所属盟市" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)  # a message, not a traceback
    assert _users(session) == []


@pytest.mark.parametrize(
    ("password", "message"),
    [("short1", "至少"), ("onlyletterslong", "字母和数字"), ("zhang1234567", "用户名"), ("", "至少")],
    ids=["too-short", "no-digit", "contains-username", "empty-stdin"],
)
def test_user_create_refuses_a_weak_password(cli, session, password, message):
    result = cli(*CREATE_EXPERT, input=password)
    assert result.exit_code == 1
    assert message in result.stderr
    assert _users(session) == []


def test_user_create_refuses_a_taken_username(cli, session):
    make_user(session, "zhang", Role.EXPERT)
    result = cli("user", "create", "--username", "ZHANG", "--role", "expert", "--password-stdin", input="x")
    assert result.exit_code == 1
    assert "用户名已存在" in result.stderr  # checked before the password
    assert _users(session) == ["zhang"]


# --- token create -------------------------------------------------------------------------------------


def _me(instance: Settings, token: str):
    with TestClient(create_app(instance), base_url="http://testserver") as client:
        return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_token_create_prints_a_token_that_authenticates(cli, instance, session):
    make_user(session, "officer", Role.BUREAU_OFFICER, "包头市")
    result = cli("token", "create", "--user", "officer", "--name", "数据同步")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("ipoc_") and token == result.stdout.rstrip("\n")  # the token and nothing else

    me = _me(instance, token)
    assert me.status_code == 200
    assert me.json()["role"] == "bureau_officer" and me.json()["label"] == "officer"
    assert _me(instance, token[:-1] + ("A" if token[-1] != "A" else "B")).status_code == 401


def test_a_token_of_a_user_who_must_change_the_password_is_refused(cli, instance, session):
    created = cli(*CREATE_EXPERT, input=GOOD_PASSWORD)
    assert created.exit_code == 0, created.output
    result = cli("token", "create", "--user", "zhang", "--name", "脚本")
    assert result.exit_code == 0, result.output
    assert _me(instance, result.stdout.strip()).status_code == 403


def test_token_create_for_an_unknown_user_fails(cli, session):
    result = cli("token", "create", "--user", "nobody", "--name", "x")
    assert result.exit_code == 1
    assert "no such user: nobody" in result.stderr
    assert "ipoc_" not in result.stdout


# --- demo load ----------------------------------------------------------------------------------------


def test_demo_load_prints_every_login_and_is_idempotent(cli, session):
    first = cli("demo", "load")
    assert first.exit_code == 0, first.output
    assert demo_data.DEMO_PASSWORD in first.stdout
    lines = first.stdout.splitlines()
    for login in demo_data.LOGINS:
        line = next(x for x in lines if x.split()[:1] == [login.username])
        assert ROLE_LABELS[login.role] in line
        assert login.scope is None or f"[{login.scope}]" in line
    assert _users(session) == sorted(login.username for login in demo_data.LOGINS)
    orgs = session.scalar(select(func.count()).select_from(Organisation))
    records = audit.verify_chain(session).checked

    second = cli("demo", "load")
    assert second.exit_code == 0, second.output
    assert "already loaded" in second.stdout
    assert all(login.username in second.stdout for login in demo_data.LOGINS)
    assert _users(session) == sorted(login.username for login in demo_data.LOGINS)
    assert session.scalar(select(func.count()).select_from(Organisation)) == orgs == len(demo_data.ORGS)
    assert audit.verify_chain(session).checked == records  # the second run wrote nothing


# --- audit verify -------------------------------------------------------------------------------------


@pytest.fixture
def five_records(instance, session) -> Session:
    for n in range(5):
        make_user(session, f"user{n}", Role.EXPERT)
    assert [r.id for r in session.scalars(select(AuditRecord).order_by(AuditRecord.id))] == [1, 2, 3, 4, 5]
    return session


def test_audit_verify_passes_an_intact_chain(cli, five_records):
    result = cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "audit chain intact: 5 records" in result.stdout


def _swap_contents(conn, a: int, b: int) -> None:
    """Give rows a and b each other's contents, keeping their ids: a reorder of the trail."""
    rows = {r["id"]: dict(r) for r in conn.execute(text("SELECT * FROM audit_records")).mappings()}
    for target, source in ((a, b), (b, a)):
        values = {k: v for k, v in rows[source].items() if k != "id"}
        assignments = ", ".join(f"{k} = :{k}" for k in values)
        conn.execute(text(f"UPDATE audit_records SET {assignments} WHERE id = :id"), {**values, "id": target})


TAMPERING = {
    "edit-content": (lambda c: c.execute(text("UPDATE audit_records SET after_json = '{}' WHERE id = 2")), 2),
    "delete-middle": (lambda c: c.execute(text("DELETE FROM audit_records WHERE id = 3")), 4),
    "swap-two-rows": (lambda c: _swap_contents(c, 2, 3), 2),
    "delete-newest": (lambda c: c.execute(text("DELETE FROM audit_records WHERE id >= 4")), 4),
}


@pytest.mark.parametrize(("tamper", "bad_id"), TAMPERING.values(), ids=TAMPERING.keys())
def test_audit_verify_names_the_first_bad_record(cli, instance, five_records, tamper, bad_id):
    with engine_for(instance.sqlalchemy_url).begin() as conn:
        tamper(conn)
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert result.stdout.strip() == str(bad_id)
    assert f"audit chain broken at record {bad_id}" in result.stderr


# --- db backup / restore ------------------------------------------------------------------------------


def test_db_backup_and_restore_round_trip(cli, instance, session, tmp_path):
    make_user(session, "alice", Role.EXPERT)
    archive = tmp_path / "out" / "ipoc.tar.gz"
    backed = cli("db", "backup", str(archive))
    assert backed.exit_code == 0, backed.output
    assert f"backup written to {archive}" in backed.stdout and archive.is_file()
    make_user(session, "bob", Role.EXPERT)

    restored = cli("db", "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    assert f"from {archive}" in restored.stdout
    assert _users(session) == ["alice"]
    assert cli("audit", "verify").exit_code == 0
    actions = list(session.scalars(select(AuditRecord.action).order_by(AuditRecord.id)))
    assert actions[-2:] == ["backup", "restore"]


def test_db_restore_of_a_bad_file_says_why_and_changes_nothing(cli, session, tmp_path):
    make_user(session, "alice", Role.EXPERT)
    bad = tmp_path / "not-a-backup.tar.gz"
    bad.write_bytes(b"this is not a tar.gz file at all" * 10)
    result = cli("db", "restore", str(bad))
    assert result.exit_code == 1
    assert "无法读取备份文件" in result.stderr
    assert _users(session) == ["alice"]
    missing = cli("db", "restore", str(tmp_path / "missing.tar.gz"))
    assert missing.exit_code == 1 and "备份文件不存在" in missing.stderr


# --- the CLI's own context ----------------------------------------------------------------------------


def test_the_cli_actor_does_not_outlive_the_command(cli, session):
    """Run in-process (tests, embedding), a command's actor must not label later, unrelated changes."""
    result = cli(*CREATE_EXPERT, input=GOOD_PASSWORD)
    assert result.exit_code == 0, result.output
    assert current_actor() == SYSTEM
    make_user(session, "later", Role.EXPERT)
    labels = list(session.scalars(select(AuditRecord.actor_label).order_by(AuditRecord.id)))
    assert labels[0].startswith("cli:") and labels[-1] == "system"


def test_the_cli_works_where_the_os_user_has_no_name(cli, session, monkeypatch):
    """Containers often run under a uid with no passwd entry; getpass then raises instead of naming it."""

    def nameless() -> str:
        raise KeyError(f"getpwuid(): uid not found: {os.getuid()}")

    monkeypatch.setattr("getpass.getuser", nameless)
    result = cli(*CREATE_EXPERT, input=GOOD_PASSWORD)
    assert result.exit_code == 0, result.output
    label = session.scalar(select(AuditRecord.actor_label).order_by(AuditRecord.id.desc()).limit(1))
    assert label == f"cli:uid{os.getuid()}"


# --- the installed script, configured by environment variables only -----------------------------------


IPOC = Path(sys.executable).with_name("ipoc")


def _run(env: dict[str, str], cwd: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(IPOC), *args], env=env, cwd=cwd, input=input, capture_output=True, text=True, timeout=120
    )


def test_the_ipoc_script_honours_the_environment_and_keeps_instances_apart(tmp_path):
    """Two SQLite instances side by side (one run is enough to prove the environment is read)."""
    assert IPOC.is_file(), f"the ipoc script is installed next to {sys.executable}"
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    base = {k: v for k, v in os.environ.items() if not k.startswith("IPOC_")}
    base |= {"IPOC_PASSWORD_HASH_TIME_COST": "1", "IPOC_PASSWORD_HASH_MEMORY_KIB": "1024"}
    a_dir, b_dir, b_db = tmp_path / "a", tmp_path / "b", tmp_path / "b-db" / "other.sqlite3"
    b_db.parent.mkdir()
    env_a = {**base, "IPOC_DATA_DIR": str(a_dir), "IPOC_SECRET_KEY": "secret-of-a"}
    env_b = {**base, "IPOC_DATA_DIR": str(b_dir), "IPOC_DATABASE_URL": f"sqlite:///{b_db}"}

    for env in (env_a, env_b):
        done = _run(env, cwd, "db", "upgrade")
        assert done.returncode == 0, done.stderr
    loaded = _run(env_a, cwd, "demo", "load")
    assert loaded.returncode == 0, loaded.stderr
    assert all(login.username in loaded.stdout for login in demo_data.LOGINS)
    created = _run(
        env_b, cwd, "user", "create", "--username", "onlyinb", "--role", "expert", "--password-stdin",
        input=GOOD_PASSWORD + "\r\n",  # as a file written on Windows has it; the real stdin keeps the \r
    )  # fmt: skip
    assert created.returncode == 0, created.stderr

    for env in (env_a, env_b):
        verified = _run(env, cwd, "audit", "verify")
        assert verified.returncode == 0, verified.stderr
        assert "audit chain intact" in verified.stdout
    # each instance sees only its own accounts
    assert _run(env_a, cwd, "token", "create", "--user", "admin", "--name", "x").stdout.startswith("ipoc_")
    assert "no such user" in _run(env_a, cwd, "token", "create", "--user", "onlyinb", "--name", "x").stderr
    assert "no such user" in _run(env_b, cwd, "token", "create", "--user", "admin", "--name", "x").stderr
    assert _run(env_b, cwd, "token", "create", "--user", "onlyinb", "--name", "x").stdout.startswith("ipoc_")
    # and keeps its files where it was told to
    assert (a_dir / "ipoc.sqlite3").is_file() and b_db.is_file()
    assert not (b_dir / "ipoc.sqlite3").exists()
    assert (a_dir / "audit-anchor.json").is_file() and (b_dir / "audit-anchor.json").is_file()
    assert (b_dir / "secret.key").is_file() and not (a_dir / "secret.key").exists()
    assert list(cwd.iterdir()) == []  # nothing written to the default ./var
    with sqlite3.connect(b_db) as conn:
        (stored,) = conn.execute("SELECT password_hash FROM users WHERE username = 'onlyinb'").fetchone()
    assert verify_password(stored, GOOD_PASSWORD)
    # the chain's key comes from IPOC_SECRET_KEY: under another key the same records do not verify
    forged = _run({**env_a, "IPOC_SECRET_KEY": "another"}, cwd, "audit", "verify")
    assert forged.returncode == 1 and forged.stdout.strip() == "1"
