"""one state column, checked: stateful tables name their column ``state`` and admit only their machine's states

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 11:00:00

The CHECK texts are the values of the states' enums on the day of this migration (``ipoc.workflow.check_sql``);
a later change of states changes its constraint in a migration of its own.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# table -> (column before, column after, whether it is indexed, its states)
STATES: dict[str, tuple[str, str, bool, tuple[str, ...]]] = {
    "applications": (
        "state",
        "state",
        True,
        (
            "draft",
            "submitted",
            "prefecture_review",
            "recommended",
            "not_recommended",
            "region_recheck",
            "expert_review",
            "shortlisted",
            "public_notice",
            "objection_handling",
            "recognized",
            "rejected",
            "returned",
            "withdrawn",
        ),
    ),
    "tech_events": ("status", "state", True, ("draft", "open", "closed", "held", "cancelled")),
    "tech_deals": ("stage", "state", True, ("intention", "negotiation", "signed", "recorded", "abandoned")),
    "panels": ("status", "state", False, ("open", "closed")),
    "organisations": ("status", "state", True, ("pending", "verified", "rejected")),
    "centers": ("status", "state", False, ("recognized", "rectifying", "revoked", "cycle_ended")),
    "self_evaluations": ("status", "state", False, ("draft", "submitted", "returned", "audited")),
    "rectifications": ("status", "state", False, ("open", "reported", "passed", "failed")),
}


def _check(column: str, states: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{s}'" for s in states) + ")"


def _rename(table: str, old: str, new: str, indexed: bool) -> None:
    """Two batches: SQLite's batch mode cannot index a column under the name it is given in the same batch."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        if indexed:
            batch_op.drop_index(op.f(f"ix_{table}_{old}"))
        batch_op.alter_column(old, new_column_name=new)
    if indexed:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(op.f(f"ix_{table}_{new}"), [new], unique=False)


def _unrevoked_names_index(column: str) -> None:
    """Art. 8: a center's name is unique among the centers not revoked (the index names the state column)."""
    where = sa.text(f"{column} <> 'revoked'")
    op.create_index(
        "uq_centers_name_unrevoked", "centers", ["name"], unique=True, sqlite_where=where, postgresql_where=where
    )


def upgrade() -> None:
    op.drop_index("uq_centers_name_unrevoked", table_name="centers")
    for table, (before, after, indexed, states) in STATES.items():
        if before != after:
            _rename(table, before, after, indexed)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(op.f(f"ck_{table}_{after}"), _check(after, states))
    _unrevoked_names_index("state")


def downgrade() -> None:
    op.drop_index("uq_centers_name_unrevoked", table_name="centers")
    for table, (before, after, indexed, _states) in STATES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_{after}"), type_="check")
        if before != after:
            _rename(table, after, before, indexed)
    _unrevoked_names_index("status")
