"""the last hand-set states on the kernel: a deal contact's column is ``state`` and admits only its machine's
states; an organisation's applicant names admit only theirs

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 12:00:00

The CHECK texts are the values of the states' enums on the day of this migration; a later change of states
changes its constraint in a migration of its own.
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

CONTACT_STATES = ("open", "deal", "closed")
NAME_STATES = ("proposed", "confirmed", "rejected")


def _check(states: tuple[str, ...]) -> str:
    return "state IN (" + ", ".join(f"'{s}'" for s in states) + ")"


def upgrade() -> None:
    # Two batches: SQLite's batch mode cannot index a column under the name it is given in the same batch.
    with op.batch_alter_table("tech_contacts", schema=None) as batch_op:
        batch_op.drop_index(op.f("ix_tech_contacts_status"))
        batch_op.alter_column("status", new_column_name="state")
    with op.batch_alter_table("tech_contacts", schema=None) as batch_op:
        batch_op.create_index(op.f("ix_tech_contacts_state"), ["state"], unique=False)
        batch_op.create_check_constraint(op.f("ck_tech_contacts_state"), _check(CONTACT_STATES))
    with op.batch_alter_table("organisation_names", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_organisation_names_state"), _check(NAME_STATES))


def downgrade() -> None:
    with op.batch_alter_table("organisation_names", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_organisation_names_state"), type_="check")
    with op.batch_alter_table("tech_contacts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_tech_contacts_state"), type_="check")
        batch_op.drop_index(op.f("ix_tech_contacts_state"))
        batch_op.alter_column("state", new_column_name="status")
    with op.batch_alter_table("tech_contacts", schema=None) as batch_op:
        batch_op.create_index(op.f("ix_tech_contacts_status"), ["status"], unique=False)
