"""offer rights and advertising phrases: who holds a stock patent, and the admin-extendable phrase list

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 23:00:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# 细则85 keeps commercial advertising out of an open-licence declaration; the seed follows 广告法 第九条's kind
# (国家级、最高级、最佳) and the wording market regulators cite. The region admin adds or removes phrases after.
SEED_PHRASES = (
    "国家级", "世界级", "最高级", "最佳", "最好", "最优", "最优惠", "最先进", "最低价", "最便宜",
    "最强", "最新科技", "第一", "全国第一", "世界第一", "行业第一", "第一品牌", "全国领先", "国际领先", "世界领先",
    "行业领先", "遥遥领先", "国际一流", "顶级", "顶尖", "极品", "极致", "独家", "独一无二", "唯一",
    "首个", "首家", "首创", "首选", "国内首创", "填补国内空白", "史无前例", "前所未有", "绝对", "万能",
    "100%", "百分之百", "完美", "王牌", "永久有效", "零风险", "稳赚", "包赚", "销量冠军", "领袖品牌",
)  # fmt: skip


def upgrade() -> None:
    phrases = op.create_table(
        "advertising_phrases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phrase", sa.String(length=50), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_advertising_phrases_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advertising_phrases")),
        sa.UniqueConstraint("phrase", name=op.f("uq_advertising_phrases_phrase")),
    )
    now = datetime.now(UTC).replace(tzinfo=None)  # stored naive UTC, as ipoc.db.utcnow does
    op.bulk_insert(phrases, [{"phrase": p, "created_at": now, "updated_at": now} for p in SEED_PHRASES])
    with op.batch_alter_table("stock_patents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("holder_state", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("holders", sa.String(length=500), nullable=False, server_default=""))
    with op.batch_alter_table("stock_patents", schema=None) as batch_op:
        batch_op.alter_column("holders", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("stock_patents", schema=None) as batch_op:
        batch_op.drop_column("holders")
        batch_op.drop_column("holder_state")
    op.drop_table("advertising_phrases")
