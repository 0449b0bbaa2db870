"""review integrity: a panel's minimum of valid scores per subject

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 22:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("panels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("min_scores", sa.Integer(), nullable=False, server_default="3"))


def downgrade() -> None:
    with op.batch_alter_table("panels", schema=None) as batch_op:
        batch_op.drop_column("min_scores")
