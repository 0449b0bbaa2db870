"""state machines of trade: demands, offers, matches, open-licence declarations, licences, work-plan items,
objections and written authorisations name their column ``state`` and admit only their machine's states

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 11:30:00

The CHECK texts are the values of the states' enums on the day of this migration (``ipoc.workflow.check_sql``);
a later change of states changes its constraint in a migration of its own.
"""

from __future__ import annotations

from ipoc.migrations.state_columns import Tables, check_all, uncheck_all

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# table -> (old column name, whether it is indexed, its states); the column is ``state`` afterwards
STATES: Tables = {
    "tech_demands": ("status", True, ("draft", "published", "closed")),
    "tech_offers": ("status", True, ("draft", "published", "withdrawn")),
    "tech_matches": ("status", True, ("proposed", "accepted", "rejected", "forwarded")),
    "open_licence_declarations": ("state", True, ("draft", "submitted", "announced", "withdrawn")),
    "open_licences": ("status", False, ("effective", "recorded")),
    "plan_items": ("status", False, ("planned", "done", "dropped")),
    "objections": ("status", False, ("open", "upheld", "dismissed")),
    "rights_authorisations": ("state", False, ("pending", "confirmed", "rejected")),
}


def upgrade() -> None:
    check_all(STATES)


def downgrade() -> None:
    uncheck_all(STATES)
