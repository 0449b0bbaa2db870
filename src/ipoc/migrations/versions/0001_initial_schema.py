"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 17:17:03.927459
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from ipoc.reference import seed  # changing these lists later needs a new migration

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "audit_records",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("ts", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=120), nullable=False),
        sa.Column("entity_type", sa.String(length=60), nullable=False),
        sa.Column("entity_id", sa.String(length=60), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("before_json", sa.Text(), nullable=True),
        sa.Column("after_json", sa.Text(), nullable=True),
        sa.Column("meta_json", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_records")),
    )
    with op.batch_alter_table("audit_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_records_entity_id"), ["entity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_records_entity_type"), ["entity_type"], unique=False)

    op.create_table(
        "industries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("naming_term", sa.String(length=60), nullable=False),
        sa.Column("category", sa.String(length=8), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_industries")),
        sa.UniqueConstraint("name", name=op.f("uq_industries_name")),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("ts", sa.DateTime(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_attempts_ts"), ["ts"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_attempts_username"), ["username"], unique=False)

    op.create_table(
        "org_types",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_org_types")),
    )
    op.create_table(
        "regions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("acts_as_recommender", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["regions.id"], name=op.f("fk_regions_parent_id_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regions")),
        sa.UniqueConstraint("code", name=op.f("uq_regions_code")),
        sa.UniqueConstraint("name", name=op.f("uq_regions_name")),
    )
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("type_code", sa.String(length=32), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("contact_name", sa.String(length=40), nullable=False),
        sa.Column("contact_phone", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("review_note", sa.Text(), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_organisations_region_id_regions")),
        sa.ForeignKeyConstraint(["type_code"], ["org_types.code"], name=op.f("fk_organisations_type_code_org_types")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("uscc", name=op.f("uq_organisations_uscc")),
    )
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organisations_region_id"), ["region_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_organisations_status"), ["status"], unique=False)

    op.create_table(
        "centers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("industry_id", sa.Integer(), nullable=False),
        sa.Column("builder_org_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("recognised_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["builder_org_id"], ["organisations.id"], name=op.f("fk_centers_builder_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(["industry_id"], ["industries.id"], name=op.f("fk_centers_industry_id_industries")),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_centers_region_id_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centers")),
        sa.UniqueConstraint("name", name=op.f("uq_centers_name")),
    )
    with op.batch_alter_table("centers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_centers_region_id"), ["region_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("display_name", sa.String(length=60), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("center_id", sa.Integer(), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("session_epoch", sa.Integer(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["center_id"], ["centers.id"], name=op.f("fk_users_center_id_centers")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_users_org_id_organisations")),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_users_region_id_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_role"), ["role"], unique=False)

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    # organisations and users refer to each other: the second reference is added once both exist.
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_organisations_reviewed_by_id_users"), "users", ["reviewed_by_id"], ["id"]
        )
    _seed_reference_data()


def _seed_reference_data() -> None:
    regions = sa.table(
        "regions",
        sa.column("id", sa.Integer),
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("kind", sa.String),
        sa.column("parent_id", sa.Integer),
        sa.column("acts_as_recommender", sa.Boolean),
        sa.column("sort_order", sa.Integer),
    )
    ids = {code: n for n, (code, *_rest) in enumerate(seed.REGIONS, start=1)}
    op.bulk_insert(
        regions,
        [
            {
                "id": ids[code],
                "code": code,
                "name": name,
                "kind": kind,
                "parent_id": ids[parent] if parent else None,
                "acts_as_recommender": True,
                "sort_order": n,
            }
            for n, (code, name, kind, parent) in enumerate(seed.REGIONS, start=1)
        ],
    )
    org_types = sa.table(
        "org_types",
        sa.column("code", sa.String),
        sa.column("label", sa.String),
        sa.column("sort_order", sa.Integer),
    )
    op.bulk_insert(
        org_types,
        [{"code": c, "label": label, "sort_order": n} for n, (c, label) in enumerate(seed.ORG_TYPES)],
    )
    industries = sa.table(
        "industries",
        sa.column("name", sa.String),
        sa.column("naming_term", sa.String),
        sa.column("category", sa.String),
        sa.column("source", sa.String),
        sa.column("active", sa.Boolean),
        sa.column("created_at", sa.DateTime),
        sa.column("updated_at", sa.DateTime),
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    op.bulk_insert(
        industries,
        [
            {
                "name": name,
                "naming_term": term,
                "category": cat,
                "source": src,
                "active": True,
                "created_at": now,
                "updated_at": now,
            }
            for name, term, cat, src in seed.INDUSTRIES
        ],
    )
    head = sa.table(
        "audit_head",
        sa.column("id", sa.Integer),
        sa.column("last_id", sa.Integer),
        sa.column("last_hash", sa.String),
    )
    op.bulk_insert(head, [{"id": 1, "last_id": 0, "last_hash": "0" * 64}])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT setval('regions_id_seq', (SELECT max(id) FROM regions))")


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_role"))

    op.drop_table("users")
    with op.batch_alter_table("centers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_centers_region_id"))

    op.drop_table("centers")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisations_status"))
        batch_op.drop_index(batch_op.f("ix_organisations_region_id"))

    op.drop_table("organisations")
    op.drop_table("regions")
    op.drop_table("org_types")
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_attempts_username"))
        batch_op.drop_index(batch_op.f("ix_login_attempts_ts"))

    op.drop_table("login_attempts")
    op.drop_table("industries")
    with op.batch_alter_table("audit_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_records_entity_type"))
        batch_op.drop_index(batch_op.f("ix_audit_records_entity_id"))

    op.drop_table("audit_records")
    op.drop_table("audit_head")
