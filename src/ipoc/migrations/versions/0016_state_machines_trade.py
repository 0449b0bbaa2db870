"""state machines of trade: demands, offers, matches, open-licence declarations, licences, work-plan items,
objections and written authorisations name their column ``state`` and admit only their machine's states

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 11:30:00

The CHECK texts are the values of the states' enums on the day of this migration (``ipoc.workflow.check_sql``);
a later change of states changes its constraint in a migration of its own.
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# table -> (old column name, whether it is indexed, its states); the column is ``state`` afterwards
STATES: dict[str, tuple[str, bool, tuple[str, ...]]] = {
    "tech_demands": ("status", True, ("draft", "published", "closed")),
    "tech_offers": ("status", True, ("draft", "published", "withdrawn")),
    "tech_matches": ("status", True, ("proposed", "accepted", "rejected", "forwarded")),
    "open_licence_declarations": ("state", True, ("draft", "submitted", "announced", "withdrawn")),
    "open_licences": ("status", False, ("effective", "recorded")),
    "plan_items": ("status", False, ("planned", "done", "dropped")),
    "objections": ("status", False, ("open", "upheld", "dismissed")),
    "rights_authorisations": ("state", False, ("pending", "confirmed", "rejected")),
}


def _check(states: tuple[str, ...]) -> str:
    return "state IN (" + ", ".join(f"'{s}'" for s in states) + ")"


def _rename(table: str, old: str, new: str, indexed: bool) -> None:
    """Two batches: SQLite's batch mode cannot index a column under the name it is given in the same batch."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        if indexed:
            batch_op.drop_index(op.f(f"ix_{table}_{old}"))
        batch_op.alter_column(old, new_column_name=new)
    if indexed:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(op.f(f"ix_{table}_{new}"), [new], unique=False)


def upgrade() -> None:
    for table, (old, indexed, states) in STATES.items():
        if old != "state":
            _rename(table, old, "state", indexed)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(op.f(f"ck_{table}_state"), _check(states))


def downgrade() -> None:
    for table, (old, indexed, _states) in STATES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_state"), type_="check")
        if old != "state":
            _rename(table, "state", old, indexed)
