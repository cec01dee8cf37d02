"""contributions ledger, receipts, sponsorship funding and lapse, quiet outbox rows

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asn_id", sa.Integer(), nullable=False),
        sa.Column("sponsorship_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("decided_by", sa.String(length=90), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["asn_id"], ["asns.id"]),
        sa.ForeignKeyConstraint(["sponsorship_id"], ["sponsorships.id"]),
        sa.ForeignKeyConstraint(["file_id"], ["files.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_receipts_asn_id", "receipts", ["asn_id"])
    op.create_table(
        "contributions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sponsorship_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=12), nullable=True),
        sa.Column("receipt_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["sponsorship_id"], ["sponsorships.id"]),
        sa.ForeignKeyConstraint(["receipt_id"], ["receipts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sponsorship_id", "period", name="uq_contributions_month"),
    )
    op.create_index("ix_contributions_status_due", "contributions", ["status", "due_date"])
    with op.batch_alter_table("sponsorships") as batch:
        batch.add_column(sa.Column("funding", sa.String(length=12), nullable=False, server_default="personal"))
        batch.add_column(sa.Column("lapsed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("quiet", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("quiet")
    with op.batch_alter_table("sponsorships") as batch:
        batch.drop_column("lapsed_at")
        batch.drop_column("funding")
    op.drop_index("ix_contributions_status_due", table_name="contributions")
    op.drop_table("contributions")
    op.drop_index("ix_receipts_asn_id", table_name="receipts")
    op.drop_table("receipts")
