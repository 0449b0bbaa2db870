"""Alembic environment: runs against the instance's configured database."""

from __future__ import annotations

from alembic import context

import ipoc.models  # noqa: F401  (registers every table)
from ipoc.db import Base, get_engine

target_metadata = Base.metadata


def run_migrations() -> None:
    connectable = context.config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    with get_engine().begin() as connection:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
