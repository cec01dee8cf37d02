"""Seeding active sponsorships straight into the database, for contribution tests and benchmarks."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import insert

from db.models import Asn, Chat, Sponsorship, Worker

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)




async def seed_sponsorships(session: Any, count: int, *, start: date, channel: str = "console",
                            occupation: str = "nelayan", address_base: int = 100_000, opds: tuple[str, ...] =
                            ("Dinas Sosial", "Dinas Kesehatan")) -> list[int]:
    """`count` approved ASNs, each with one active worker (cover from `start`); returns the sponsorship ids."""
    chats = [{"channel": channel, "address": str(address_base + i), "language": "id", "answers": {}, "version": 0,
              "privacy_version": 1, "privacy_agreed_at": T0, "created_at": T0, "updated_at": T0}
             for i in range(count)]
    chat_ids = (await session.execute(insert(Chat).returning(Chat.id), chats)).scalars().all()
    asns = [{"chat_id": chat_id, "nip": f"{address_base + i:018d}", "nip_kind": "pns", "name": f"ASN {i}",
             "opd": opds[i % len(opds)], "phone": "+6281234567890", "status": "approved", "created_at": T0}
            for i, chat_id in enumerate(chat_ids)]
    asn_ids = (await session.execute(insert(Asn).returning(Asn.id), asns)).scalars().all()
    workers = [{"nik": f"9{address_base + i:015d}", "name": f"Pekerja {i}", "birth_date": date(1975, 8, 17), "sex": "M",
                "occupation": occupation, "kecamatan_code": "13.77.01", "desa_code": "13.77.01.1013",
                "status": "active", "kpj": None, "bpjs_start": start, "consent_method": "link", "consent_at": T0,
                "created_at": T0} for i in range(count)]
    worker_ids = (await session.execute(insert(Worker).returning(Worker.id), workers)).scalars().all()
    sponsorships = [{"asn_id": a, "worker_id": w, "created_at": T0, "funding": "personal"}
                    for a, w in zip(asn_ids, worker_ids, strict=True)]
    return list((await session.execute(insert(Sponsorship).returning(Sponsorship.id), sponsorships)).scalars().all())
