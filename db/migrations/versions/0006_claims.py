"""claims: reports of a death or work accident, their documents, their history, and lookup counting

Revision ID: 0006_claims
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_claims"
down_revision = "0005_journeys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=True),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("sponsorship_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=120), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("traffic", sa.Boolean(), nullable=True),
        sa.Column("police_report", sa.Boolean(), nullable=True),
        sa.Column("reporter_chat_id", sa.Integer(), nullable=False),
        sa.Column("reporter_name", sa.String(length=80), nullable=False),
        sa.Column("reporter_relation", sa.String(length=16), nullable=False),
        sa.Column("reporter_phone", sa.String(length=20), nullable=False),
        sa.Column("reporter_is_heir", sa.Boolean(), nullable=False),
        sa.Column("reporter_consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("estimate", sa.BigInteger(), nullable=True),
        sa.Column("scholarship", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("requested", sa.JSON(), nullable=False),
        sa.Column("paid_amount", sa.BigInteger(), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["worker_id"], ["workers.id"]),
        sa.ForeignKeyConstraint(["sponsorship_id"], ["sponsorships.id"]),
        sa.ForeignKeyConstraint(["reporter_chat_id"], ["chats.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference"),
    )
    op.create_index("ix_claims_worker_id", "claims", ["worker_id"])
    op.create_index("ix_claims_reporter_chat_id", "claims", ["reporter_chat_id"])
    op.create_index("ix_claims_status", "claims", ["status"])
    op.create_table(
        "claim_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("doc", sa.String(length=32), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"]),
        sa.ForeignKeyConstraint(["file_id"], ["files.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_claim_documents_claim_id", "claim_documents", ["claim_id"])
    op.create_table(
        "claim_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=90), nullable=False),
        sa.Column("from_status", sa.String(length=12), nullable=True),
        sa.Column("to_status", sa.String(length=12), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_claim_events_claim_id", "claim_events", ["claim_id"])
    op.create_table(
        "claim_lookups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_claim_lookups_chat_at", "claim_lookups", ["chat_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_claim_lookups_chat_at", table_name="claim_lookups")
    op.drop_table("claim_lookups")
    op.drop_index("ix_claim_events_claim_id", table_name="claim_events")
    op.drop_table("claim_events")
    op.drop_index("ix_claim_documents_claim_id", table_name="claim_documents")
    op.drop_table("claim_documents")
    op.drop_index("ix_claims_status", table_name="claims")
    op.drop_index("ix_claims_reporter_chat_id", table_name="claims")
    op.drop_index("ix_claims_worker_id", table_name="claims")
    op.drop_table("claims")
