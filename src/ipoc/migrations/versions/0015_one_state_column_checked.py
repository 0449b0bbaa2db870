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

from ipoc.migrations.state_columns import Tables, check_all, uncheck_all

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# table -> (column before, whether it is indexed, its states); the column is ``state`` afterwards
STATES: Tables = {
    "applications": (
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
    "tech_events": ("status", True, ("draft", "open", "closed", "held", "cancelled")),
    "tech_deals": ("stage", True, ("intention", "negotiation", "signed", "recorded", "abandoned")),
    "panels": ("status", False, ("open", "closed")),
    "organisations": ("status", True, ("pending", "verified", "rejected")),
    "centers": ("status", False, ("recognized", "rectifying", "revoked", "cycle_ended")),
    "self_evaluations": ("status", False, ("draft", "submitted", "returned", "audited")),
    "rectifications": ("status", False, ("open", "reported", "passed", "failed")),
}


def _unrevoked_names_index(column: str) -> None:
    """Art. 8: a center's name is unique among the centers not revoked (the index names the state column)."""
    where = sa.text(f"{column} <> 'revoked'")
    op.create_index(
        "uq_centers_name_unrevoked", "centers", ["name"], unique=True, sqlite_where=where, postgresql_where=where
    )


def upgrade() -> None:
    op.drop_index("uq_centers_name_unrevoked", table_name="centers")
    check_all(STATES)
    _unrevoked_names_index("state")


def downgrade() -> None:
    op.drop_index("uq_centers_name_unrevoked", table_name="centers")
    uncheck_all(STATES)
    _unrevoked_names_index("status")
