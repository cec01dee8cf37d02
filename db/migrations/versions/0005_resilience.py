"""outbox rows remember which process holds them (lease renewal, durable replies)

Revision ID: 0005_resilience
Revises: 0004_claims
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_resilience"
down_revision = "0004_claims"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claimed_by")
