"""workers.first_due: a new membership's first due date (no month is due before the KPJ was recorded)

Revision ID: 0007_first_due
Revises: 0003_resilience
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_first_due"
down_revision = "0004_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workers") as batch:
        batch.add_column(sa.Column("first_due", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workers") as batch:
        batch.drop_column("first_due")
