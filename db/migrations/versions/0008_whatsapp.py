"""WhatsApp: the webhook inbox (unique wamid), contacts with the 24-hour window and the daily limit, delivery
statuses on outbox rows, chats linked across channels

Revision ID: 0008_whatsapp
Revises: 0007_first_due
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_whatsapp"
down_revision = "0007_first_due"
branch_labels = None
depends_on = None
WIDER = (("chats", "address", 140), ("officers", "address", 140), ("outbox", "address", 140),
         ("processed_events", "event_id", 160))


def upgrade() -> None:
    op.create_table(
        "whatsapp_inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=140), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("name", sa.String(length=80), nullable=True),
        sa.Column("item", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_key"),
    )
    op.create_index("ix_whatsapp_inbox_processed_at", "whatsapp_inbox", ["processed_at"])
    op.create_table(
        "whatsapp_contacts",
        sa.Column("address", sa.String(length=140), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reached_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("address"),
    )
    op.create_index("ix_whatsapp_contacts_phone", "whatsapp_contacts", ["phone"])
    op.create_index("ix_whatsapp_contacts_reached_at", "whatsapp_contacts", ["reached_at"])
    op.create_table(
        "chat_links",
        sa.Column("chat_id", sa.Integer(), nullable=False),
        sa.Column("asn_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"]),
        sa.ForeignKeyConstraint(["asn_id"], ["asns.id"]),
        sa.PrimaryKeyConstraint("chat_id"),
    )
    op.create_index("ix_chat_links_asn_id", "chat_links", ["asn_id"])
    # WhatsApp's business-scoped user ids (up to 131 characters) and wamids are longer than Telegram's ids. SQLite
    # does not enforce VARCHAR lengths (and rebuilding `chats`, which others reference, is best avoided there).
    if op.get_bind().dialect.name != "sqlite":
        for table, column, length in WIDER:
            op.alter_column(table, column, type_=sa.String(length=length), existing_type=sa.String(length=64))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("external_id", sa.String(length=160), nullable=True))
        batch.add_column(sa.Column("delivery", sa.String(length=12), nullable=True))
        batch.create_index("ix_outbox_external_id", ["external_id"])


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_external_id")
        batch.drop_column("delivery")
        batch.drop_column("external_id")
    op.drop_table("chat_links")
    op.drop_table("whatsapp_contacts")
    op.drop_table("whatsapp_inbox")
    if op.get_bind().dialect.name != "sqlite":
        for table, column, length in WIDER:
            op.alter_column(table, column, type_=sa.String(length=64), existing_type=sa.String(length=length))
