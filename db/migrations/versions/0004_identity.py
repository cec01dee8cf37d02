"""identity: the roster's phone, consent waiting for an officer's check and the number it came from

Revision ID: 0004_identity
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_identity"
down_revision = "0003_resilience"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("roster") as batch:
        batch.add_column(sa.Column("phone", sa.String(length=20), nullable=True))
    with op.batch_alter_table("workers") as batch:
        batch.add_column(sa.Column("consent_review", sa.String(length=12), nullable=True))
        batch.add_column(sa.Column("consent_phone", sa.String(length=20), nullable=True))
    op.create_index("ix_audit_log_actor_at", "audit_log", ["actor", "at"])
    op.create_index("ix_audit_log_target", "audit_log", ["target"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_target", table_name="audit_log")
    op.drop_index("ix_audit_log_actor_at", table_name="audit_log")
    with op.batch_alter_table("workers") as batch:
        batch.drop_column("consent_phone")
        batch.drop_column("consent_review")
    with op.batch_alter_table("roster") as batch:
        batch.drop_column("phone")
