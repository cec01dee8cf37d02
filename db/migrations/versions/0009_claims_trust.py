"""Claims trust: a reported death is accepted by an officer before it changes anything; one live death claim per
worker (a unique partial index), further reporters of the same death; documents of a former reporter kept aside

Revision ID: 0009_claims_trust
Revises: 0008_whatsapp
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_claims_trust"
down_revision = "0008_whatsapp"
branch_labels = None
depends_on = None

DEATHS = "('jkm', 'jkk_death')"
LIVE = f"kind IN {DEATHS} AND status NOT IN ('rejected', 'withdrawn', 'expired', 'merged')"
# Before this revision a submitted death claim ended the sponsorship at once: those deaths count as accepted (by
# "legacy"), so an officer can reverse one that was false with the same action as any other.
STOOD = "('review', 'more_docs', 'forwarded', 'paid')"


def upgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("death_confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("death_confirmed_by", sa.String(length=90), nullable=True))
    with op.batch_alter_table("claim_documents") as batch:
        batch.add_column(sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "claim_reporters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("is_heir", sa.Boolean(), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=120), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"]),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("claim_id", "chat_id", name="uq_claim_reporters_claim_chat"),
    )
    op.create_index("ix_claim_reporters_claim_id", "claim_reporters", ["claim_id"])
    op.create_index("ix_claim_reporters_chat_id", "claim_reporters", ["chat_id"])
    op.execute(f"UPDATE claims SET death_confirmed_at = COALESCE(submitted_at, updated_at), "
               f"death_confirmed_by = 'legacy' WHERE kind IN {DEATHS} AND status IN {STOOD}")
    _fold_duplicates()
    op.create_index("uq_claims_live_death", "claims", ["worker_id"], unique=True,
                    sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))


def _fold_duplicates() -> None:
    """Live death claims of a worker after the first (two reports of one death, from before the index): their
    reporters join the first claim, and they become "merged" (every row kept, with a history line)."""
    first = (f"(SELECT MIN(c2.id) FROM claims c2 WHERE c2.worker_id = claims.worker_id AND c2.kind IN {DEATHS} "
             f"AND c2.status NOT IN ('rejected', 'withdrawn', 'expired', 'merged'))")
    duplicate = f"{LIVE} AND id > {first}"
    op.execute(f"INSERT INTO claim_reporters (claim_id, chat_id, name, relation, phone, is_heir, consent_at, kind, "
               f"event_date, place, description, created_at) SELECT {first}, reporter_chat_id, reporter_name, "
               f"reporter_relation, reporter_phone, reporter_is_heir, reporter_consent_at, kind, event_date, place, "
               f"description, created_at FROM claims WHERE {duplicate}")
    op.execute(f"INSERT INTO claim_events (claim_id, at, actor, from_status, to_status, note) SELECT id, "
               f"updated_at, 'migration', status, 'merged', 'a second report of the same death' "
               f"FROM claims WHERE {duplicate}")
    op.execute(f"UPDATE claims SET status = 'merged' WHERE {duplicate}")


def downgrade() -> None:
    op.drop_index("uq_claims_live_death", table_name="claims")
    op.drop_index("ix_claim_reporters_chat_id", table_name="claim_reporters")
    op.drop_index("ix_claim_reporters_claim_id", table_name="claim_reporters")
    op.drop_table("claim_reporters")
    with op.batch_alter_table("claim_documents") as batch:
        batch.drop_column("superseded_at")
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("death_confirmed_by")
        batch.drop_column("death_confirmed_at")
