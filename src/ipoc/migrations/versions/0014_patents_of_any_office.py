"""patents of any office: the key may be a publication number, family links, kept columns, field sources

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("patents", schema=None) as batch_op:
        batch_op.alter_column("application_no", existing_type=sa.String(length=16), type_=sa.String(length=32))
        batch_op.add_column(sa.Column("office", sa.String(length=4), server_default="CN", nullable=False))
        batch_op.add_column(sa.Column("publication_key", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("family_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("extra", sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
        batch_op.add_column(sa.Column("sources", sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
        batch_op.create_index(batch_op.f("ix_patents_publication_key"), ["publication_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_patents_family_key"), ["family_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("patents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patents_family_key"))
        batch_op.drop_index(batch_op.f("ix_patents_publication_key"))
        batch_op.drop_column("sources")
        batch_op.drop_column("extra")
        batch_op.drop_column("family_key")
        batch_op.drop_column("publication_key")
        batch_op.drop_column("office")
        batch_op.alter_column("application_no", existing_type=sa.String(length=32), type_=sa.String(length=16))
