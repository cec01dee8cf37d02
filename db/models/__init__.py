"""Typed SQLAlchemy 2 models, by feature (people, sponsorships and the ledger, claims, channels and delivery, the
record). Schema changes go through Alembic migrations (db/migrations). Every model is importable from here."""

from db.models.audit import AuditEntry, StoredFile
from db.models.base import Base, UTCDateTime, utcnow
from db.models.channels import OutboxMessage, ProcessedEvent, WhatsAppContact, WhatsAppInbox
from db.models.claims import LIVE_DEATH_CLAIM, Claim, ClaimDocument, ClaimEvent, ClaimLookup, ClaimReporter
from db.models.people import Asn, Chat, ChatLink, Officer, RosterEntry
from db.models.sponsorships import ConsentToken, Contribution, Receipt, Sponsorship, Worker

__all__ = ["AuditEntry", "StoredFile", "Base", "UTCDateTime", "utcnow", "OutboxMessage", "ProcessedEvent",
           "WhatsAppContact", "WhatsAppInbox", "LIVE_DEATH_CLAIM", "Claim", "ClaimDocument", "ClaimEvent",
           "ClaimLookup", "ClaimReporter", "Asn", "Chat", "ChatLink", "Officer", "RosterEntry", "ConsentToken",
           "Contribution", "Receipt", "Sponsorship", "Worker"]
