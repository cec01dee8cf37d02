"""birth date that differs from the NIK, what "Lainnya" is (occupation, OPD)

Revision ID: 0005_journeys
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_journeys"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workers") as batch:
        batch.add_column(sa.Column("birth_date_differs", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("occupation_other", sa.String(length=80), nullable=True))
    with op.batch_alter_table("asns") as batch:
        batch.add_column(sa.Column("opd_other", sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("asns") as batch:
        batch.drop_column("opd_other")
    with op.batch_alter_table("workers") as batch:
        batch.drop_column("occupation_other")
        batch.drop_column("birth_date_differs")
