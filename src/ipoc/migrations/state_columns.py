"""What the migrations that put a table on the state-machine kernel (0015–0017) share: the stateful column is
named ``state`` and a CHECK admits only the states listed in the migration (the enum's values on its day; a later
change of states changes its constraint in a migration of its own)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from alembic import op

# table -> (its column before, whether that column is indexed, its states): what a migration declares
Tables = Mapping[str, tuple[str, bool, tuple[str, ...]]]


def check_text(states: Iterable[str]) -> str:
    return "state IN (" + ", ".join(f"'{s}'" for s in states) + ")"


def rename(table: str, old: str, new: str, *, indexed: bool) -> None:
    """Two batches: SQLite's batch mode cannot index a column under the name it is given in the same batch."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        if indexed:
            batch_op.drop_index(op.f(f"ix_{table}_{old}"))
        batch_op.alter_column(old, new_column_name=new)
    if indexed:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(op.f(f"ix_{table}_{new}"), [new], unique=False)


def checked(table: str, before: str, states: Iterable[str], *, indexed: bool) -> None:
    """``table``'s column ``before`` becomes ``state`` and admits only ``states``."""
    if before != "state":
        rename(table, before, "state", indexed=indexed)
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_check_constraint(op.f(f"ck_{table}_state"), check_text(states))


def unchecked(table: str, before: str, *, indexed: bool) -> None:
    """Undo :func:`checked`."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(f"ck_{table}_state"), type_="check")
    if before != "state":
        rename(table, "state", before, indexed=indexed)


def check_all(tables: Tables) -> None:
    """:func:`checked` for every table a migration declares."""
    for table, (before, indexed, states) in tables.items():
        checked(table, before, states, indexed=indexed)


def uncheck_all(tables: Tables) -> None:
    """:func:`unchecked` for every table a migration declares."""
    for table, (before, indexed, _states) in tables.items():
        unchecked(table, before, indexed=indexed)
