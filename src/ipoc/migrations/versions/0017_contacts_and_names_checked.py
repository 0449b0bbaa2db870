"""the last hand-set states on the kernel: a deal contact's column is ``state`` and admits only its machine's
states; an organisation's applicant names admit only theirs

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 12:00:00

The CHECK texts are the values of the states' enums on the day of this migration; a later change of states
changes its constraint in a migration of its own.
"""

from __future__ import annotations

from ipoc.migrations.state_columns import Tables, check_all, uncheck_all

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# table -> (column before, whether it is indexed, its states); the column is ``state`` afterwards
STATES: Tables = {
    "tech_contacts": ("status", True, ("open", "deal", "closed")),
    "organisation_names": ("state", False, ("proposed", "confirmed", "rejected")),
}


def upgrade() -> None:
    check_all(STATES)


def downgrade() -> None:
    uncheck_all(STATES)
