"""official document numbers: 发文字号 sequences per issuer and year, and the number each decision was issued with

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_sequences",
        sa.Column("issuer", sa.String(length=100), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("issuer", "year", name=op.f("pk_document_sequences")),
    )
    with op.batch_alter_table("centers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision_number", sa.String(length=40), nullable=True))
    with op.batch_alter_table("rectifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notice_number", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("issued_on", sa.Date(), nullable=True))
    with op.batch_alter_table("revocations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision_number", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("revocations", schema=None) as batch_op:
        batch_op.drop_column("decision_number")
    with op.batch_alter_table("rectifications", schema=None) as batch_op:
        batch_op.drop_column("issued_on")
        batch_op.drop_column("notice_number")
    with op.batch_alter_table("centers", schema=None) as batch_op:
        batch_op.drop_column("decision_number")
    op.drop_table("document_sequences")
