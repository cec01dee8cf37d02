"""outbox rows remember which process holds them (lease renewal, durable replies)

Revision ID: 0003_resilience
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_resilience"
down_revision = "0006_claims"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claimed_by")
