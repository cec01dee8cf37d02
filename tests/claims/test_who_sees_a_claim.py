"""Who learns what of a claim: matches are masked and lookups limited, someone else's reference is refused, the
sponsor sees the status only, a reporter who is not the heir learns little."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from bot.app import App
from db.models import AuditEntry
from db.rules.months import Month
from handlers.engine.types import Choice
from tests.claims.steps import (JKM_DOCS, WORKER_NAME, accept_death, report_death, seed_worker, send_documents,
                                start_report, submit_death_claim)
from tests.people import NIK_MALE, Person, agree_privacy, an_officer, any_text, deliver


async def test_matches_are_masked_and_lookups_are_limited(app: App, inbox, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    stranger = Person(app, "stranger")
    await agree_privacy(stranger)
    await stranger.press("Laporkan musibah")
    await stranger.press("Laporkan musibah")
    await stranger.press("Setuju")
    await stranger.press("Nama dan desa")
    await stranger.say("syafrizal")
    await stranger.say("taratak")
    assert any_text(stranger.last, "S. R., Taratak, NIK 1377********0003")
    assert "\n".join(r.text + " ".join(o.label for o in r.options) for r in stranger.replies).count(
        WORKER_NAME) == 0 and not any(NIK_MALE in r.text for r in stranger.replies)
    await stranger.press("Bukan salah satunya")
    for attempt in range(4):  # 1 lookup so far; the limit is 5 an hour
        await stranger.press("Dengan NIK")
        await stranger.say(f"13770117087500{attempt + 10}")
        assert any_text(stranger.last, "tidak terdaftar"), stranger.text
        await stranger.say("/batal")
        await stranger.say("/klaim")
        await stranger.press("Laporkan musibah")
        await stranger.press("Setuju")
    await stranger.press("Dengan NIK")
    await stranger.say(NIK_MALE)
    assert any_text(stranger.last, "dibatasi") and any_text(stranger.last, "10:00")
    clock.advance(hours=1, minutes=1)
    await stranger.say(NIK_MALE)
    assert any_text(stranger.last, "1377********0003")


async def test_someone_elses_reference_is_refused_and_the_sponsor_sees_status_only(app: App, inbox, clock) -> None:
    family, asn_address, _ = await submit_death_claim(app, inbox)
    stranger = Person(app, "stranger")
    await agree_privacy(stranger)
    await stranger.say("/klaim KLM-2026-000001")
    assert any_text(stranger.last, "tidak berhak") and not any_text(stranger.last, "Meninggal")
    await stranger.say("/klaim KLM-2026-999999")
    assert any_text(stranger.last, "tidak berhak")  # the same words: nobody learns which references exist
    sponsor = Person(app, asn_address)
    await sponsor.say("/klaim klm 2026 000001")
    assert any_text(sponsor.last, "sedang diperiksa") and not any_text(sponsor.last, "Akta")
    await sponsor.send(Choice("!klm.docs:1"))  # documents are the reporter's only
    assert any_text(sponsor.last, "bukan milik Anda")
    async with app.sessions() as session:
        refused = await session.scalar(select(func.count()).select_from(AuditEntry)
                                       .where(AuditEntry.action == "claim_status_refused"))
    assert refused == 2


@pytest.mark.standin_seed(telegram=18)
async def test_what_a_reporter_who_is_not_the_heir_learns_stays_minimal(app: App, inbox, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    neighbour = Person(app, "neighbour")
    await start_report(neighbour)
    await neighbour.press("Meninggal, bkn kerja")
    await neighbour.say("1 januari 2025")
    assert any_text(neighbour.last, "sebelum pekerja terdaftar") and not any_text(neighbour.last, "program (")
    for answer in ("kemarin", "Di rumah", "Meninggal di rumah.", "Tetangga Baik"):
        await neighbour.say(answer)
    await neighbour.press("Lainnya")
    await neighbour.say("0813-1111-2222")
    await neighbour.press("Tidak")  # not the heir
    await neighbour.press("✅")
    await send_documents(neighbour, inbox, JKM_DOCS, salt="n")
    await neighbour.press("Kirim klaim")
    family = Person(app, "family")
    await report_death(family)  # joins as a further reporter
    officer = await an_officer(app)
    await accept_death(officer)
    await deliver(app)
    said = "\n".join(r.text for r in inbox.inbox["neighbour"])
    assert "Petugas akan memberi tahu perkiraan manfaatnya kepada ahli waris" in said
    assert "tercatat dibayar" not in said
    family_news = [r.text for r in inbox.inbox["family"]]
    assert family_news and all(text.startswith("Kabar laporan Anda KLM-2026-000001") for text in family_news)
