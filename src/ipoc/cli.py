"""The ``ipoc`` command line."""

from __future__ import annotations

import getpass
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from ipoc.audit.context import Actor, acting_as
from ipoc.auth.roles import ACCOUNT_ROLES, Role
from ipoc.errors import DomainError

app = typer.Typer(help="内蒙古产业知识产权运营中心平台 (ipoc)", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database: migrations, backup and restore.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
for sub, name in [
    (db_app, "db"),
    (demo_app, "demo"),
    (user_app, "user"),
    (token_app, "token"),
    (audit_app, "audit"),
]:
    app.add_typer(sub, name=name)


def _os_user() -> str:
    """Who ran the command; a uid with no passwd entry (common in containers) has no name to give."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid{os.getuid()}"


@app.callback()
def _main(ctx: typer.Context) -> None:
    """Every command acts as the operating-system user who ran it, for the audit trail; only while the
    command runs, so that a caller running it in-process (tests) does not go on acting as the CLI."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("ipoc").setLevel(logging.INFO)
    ctx.with_resource(acting_as(Actor(id=None, label=f"cli:{_os_user()}")))


def _fail(message: str, code: int = 1) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the platform over HTTP."""
    import uvicorn

    uvicorn.run("ipoc.web.app:create_app", factory=True, host=host, port=port, proxy_headers=False)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply the Alembic migrations (reference data included)."""
    from ipoc.ops.migrate import upgrade

    upgrade(revision)
    typer.echo(f"database at revision {revision}")


@db_app.command("backup")
def db_backup(path: Path) -> None:
    """Back up the database, uploaded files and the audit anchor to PATH (tar.gz)."""
    from ipoc.db import session_scope
    from ipoc.ops.backup import backup

    with session_scope() as session:
        manifest = backup(session, path)
    typer.echo(f"backup written to {path}: {sum(manifest['tables'].values())} rows")


@db_app.command("restore")
def db_restore(path: Path) -> None:
    """Replace this instance's data with a backup made by `ipoc db backup`."""
    from ipoc.db import session_scope
    from ipoc.ops.backup import restore

    try:
        with session_scope() as session:
            manifest = restore(session, path)
    except DomainError as exc:
        _fail(exc.message)
    typer.echo(f"restored {sum(manifest['tables'].values())} rows from {path}")


@demo_app.command("load")
def demo_load() -> None:
    """Load the demo organisations, center and one login per role, then print the logins."""
    from ipoc.auth.roles import ROLE_LABELS
    from ipoc.db import session_scope
    from ipoc.ops import demo

    with session_scope() as session:
        logins = demo.load(session)
    if logins is None:
        typer.echo("demo data already loaded (logins as printed then; passwords may have been changed)")
        logins = demo.LOGINS
    typer.echo(f"demo logins (password for all: {demo.DEMO_PASSWORD}; each must be changed at first login):")
    for login in logins:
        scope = f" [{login.scope}]" if login.scope else ""
        typer.echo(f"  {login.username:<10} {ROLE_LABELS[login.role]}{scope}")


_PASSWORD_STDIN = typer.Option("--password-stdin", help="read the password from stdin")


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Option(help="login name")],
    role: Annotated[str, typer.Option(help="|".join(r.value for r in ACCOUNT_ROLES))],
    scope: Annotated[str | None, typer.Option(help="league/city, center or organisation")] = None,
    name: Annotated[str | None, typer.Option(help="display name")] = None,
    password_stdin: Annotated[bool, _PASSWORD_STDIN] = False,
) -> None:
    """Create an account; the user must change the password at first login."""
    from ipoc.auth import service as accounts
    from ipoc.db import session_scope

    if role not in {r.value for r in ACCOUNT_ROLES}:
        _fail(f"unknown role {role!r}; choose one of: {', '.join(r.value for r in ACCOUNT_ROLES)}", 2)
    # A file written on Windows ends its line with \r\n: neither character is part of the password.
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else getpass.getpass("password: ")
    try:
        with session_scope() as session:
            user = accounts.create_user(
                session,
                username=username,
                display_name=name or username,
                role=Role(role),
                password=password,
                scope=scope,
            )
    except DomainError as exc:
        _fail(exc.message)
    typer.echo(f"created user {user.username} (id {user.id}, {role})")  # only once it is committed


@token_app.command("create")
def token_create(
    username: Annotated[str, typer.Option("--user", help="whose token")],
    name: Annotated[str, typer.Option(help="what the token is for")],
    days: Annotated[int, typer.Option(help="days until it expires")] = 365,
) -> None:
    """Create an API token and print it once."""
    from sqlalchemy import select

    from ipoc.auth import service as accounts
    from ipoc.auth.models import User
    from ipoc.db import session_scope

    with session_scope() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            _fail(f"no such user: {username}")
        try:
            _token, plaintext = accounts.create_token(session, user, name, days=days)
        except DomainError as exc:
            _fail(exc.message)
    typer.echo(plaintext)


@audit_app.command("verify")
def audit_verify() -> None:
    """Exit 0 when the audit chain is intact; 1, naming the first bad record, when it is not."""
    from ipoc.audit.service import verify_chain
    from ipoc.db import session_scope

    with session_scope() as session:
        result = verify_chain(session)
    if result.ok:
        typer.echo(f"audit chain intact: {result.checked} records")
        return
    typer.echo(f"audit chain broken at record {result.bad_id}: {result.message}", err=True)
    typer.echo(str(result.bad_id))
    raise typer.Exit(1)
