"""patent rights: current patentees, organisation names, authorisations, consents, contract checks

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 22:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "organisation_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("normalised", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_organisation_names_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_names_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"], ["users.id"], name=op.f("fk_organisation_names_proposed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_names")),
        sa.UniqueConstraint("organisation_id", "normalised", name="uq_organisation_names_org_name"),
    )
    with op.batch_alter_table("organisation_names", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organisation_names_normalised"), ["normalised"], unique=False)
        batch_op.create_index(batch_op.f("ix_organisation_names_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "rights_authorisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patent_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("grantor", sa.String(length=200), nullable=False),
        sa.Column("acts", sa.JSON(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("attachment_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["attachment_id"], ["attachments.id"], name=op.f("fk_rights_authorisations_attachment_id_attachments")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_rights_authorisations_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_rights_authorisations_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_rights_authorisations_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["patent_id"], ["patents.id"], name=op.f("fk_rights_authorisations_patent_id_patents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_authorisations")),
    )
    with op.batch_alter_table("rights_authorisations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rights_authorisations_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rights_authorisations_patent_id"), ["patent_id"], unique=False)

    op.create_table(
        "rights_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patent_id", sa.Integer(), nullable=False),
        sa.Column("act", sa.String(length=24), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("party", sa.String(length=200), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["attachment_id"], ["attachments.id"], name=op.f("fk_rights_consents_attachment_id_attachments")
        ),
        sa.ForeignKeyConstraint(
            ["patent_id"], ["patents.id"], name=op.f("fk_rights_consents_patent_id_patents"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_rights_consents_recorded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_consents")),
        sa.UniqueConstraint("patent_id", "act", "role", "party", name="uq_rights_consents_act_party"),
    )
    with op.batch_alter_table("rights_consents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rights_consents_patent_id"), ["patent_id"], unique=False)

    with op.batch_alter_table("patents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("patentees", sa.JSON(), nullable=False, server_default="[]"))
    # Contracts signed before the check existed keep rights_state NULL: the ledger leaves them out, saying why,
    # until the center checks them again.
    with op.batch_alter_table("tech_deals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("licence_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("licence_end", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("territory", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("rights_state", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("rights_note", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("rights_checked_on", sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f("ix_tech_deals_rights_state"), ["rights_state"], unique=False)
    with op.batch_alter_table("patents", schema=None) as batch_op:
        batch_op.alter_column("patentees", server_default=None)
    with op.batch_alter_table("tech_deals", schema=None) as batch_op:
        batch_op.alter_column("territory", server_default=None)
        batch_op.alter_column("rights_note", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("tech_deals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tech_deals_rights_state"))
        for column in ("rights_checked_on", "rights_note", "rights_state", "territory", "licence_end", "licence_start"):
            batch_op.drop_column(column)
    with op.batch_alter_table("patents", schema=None) as batch_op:
        batch_op.drop_column("patentees")
    op.drop_table("rights_consents")
    op.drop_table("rights_authorisations")
    op.drop_table("organisation_names")
