"""One death, one claim, any number of reporters (handlers/claims/reporters.py, withdraw.py): a saved report never
blocks the family, a draft left alone expires or passes to the next reporter, two reports at the same moment make
one claim, and a reporter may withdraw."""

from __future__ import annotations

import asyncio
import zlib
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.app import App
from db.models import AuditEntry, Chat, Claim, ClaimDocument, ClaimReporter, Sponsorship
from db.rules.months import Month
from tests.chat_people import TgPerson, agree
from tests.claims.chat_steps import open_claim, report_death_as_other, send_documents_in_chat, start_on_telegram
from tests.claims.steps import JKM_DOCS, report_death, seed_worker, send_documents, submit_death_claim
from tests.conftest import Clock
from tests.people import JPEG, Person, agree_privacy, any_text, deliver

pytestmark = pytest.mark.standin_seed(telegram=18)


OFFICER, ASN, STRANGER, FAMILY, WORKER_CHAT = 9001, 700, 802, 801, 803


async def _chat_id(session, channel: str, address: int) -> int:  # type: ignore[no-untyped-def]
    return (await session.execute(select(Chat.id).where(Chat.channel == channel, Chat.address == str(address)))
            ).scalar_one()


def _lane(address: str, lanes: int = 4) -> int:
    return zlib.crc32(f"console:{address}".encode()) % lanes


async def test_a_saved_report_never_blocks_the_family_and_an_officer_decides(db_url, tmp_path, telegram) -> None:
    clock = Clock(datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc))
    app = await start_on_telegram(db_url, tmp_path, telegram, clock)
    try:
        await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12), address_base=ASN,
                          channel="telegram")
        stranger, family = TgPerson(telegram, STRANGER), TgPerson(telegram, FAMILY)
        officer = TgPerson(telegram, OFFICER)
        await agree(officer)
        await report_death_as_other(stranger, name="Orang Asing")
        await stranger.press("Akta kematian", "Kirim foto atau PDF")
        telegram.push_photo(STRANGER, JPEG + b"junk")
        await stranger.expect("Diterima")
        await stranger.press("Nanti saja", "tersimpan")  # saved, never submitted

        await report_death_as_other(family, name="Yusnidar", saved="digabungkan dengan klaim KLM-2026-000001")
        assert any("sudah pernah dilaporkan orang lain" in text for text in family.texts())
        await officer.expect("laporan lain untuk kematian yang sama")
        await open_claim(officer)  # the draft is in the officers' list
        await officer.press("Utama: Yusnidar", "Pelapor utama kini Yusnidar")
        told = await family.expect("pelapor utama klaim KLM-2026-000001")
        assert [label for label, _ in telegram.buttons(told)] == ["Kirim dokumen"]
        await stranger.expect("pelapor lain sebagai pelapor utama")
        await family.press("Kirim dokumen", "⬜ Akta kematian")  # the stranger's photo does not count
        await send_documents_in_chat(family, JKM_DOCS, salt="real")
        await family.press("Kirim klaim", "Nomor klaim: KLM-2026-000001")
        async with app.sessions() as session:
            claim = (await session.execute(select(Claim))).scalar_one()
            family_chat = await _chat_id(session, "telegram", FAMILY)
            assert (claim.status, claim.reporter_chat_id, claim.reporter_name) == ("review", family_chat, "Yusnidar")
            [other] = (await session.execute(select(ClaimReporter))).scalars().all()
            assert other.name == "Orang Asing"
            superseded = await session.scalar(select(func.count()).select_from(ClaimDocument)
                                              .where(ClaimDocument.superseded_at.is_not(None)))
            assert superseded == 1
    finally:
        await app.stop()


async def test_a_draft_left_alone_expires_and_never_blocks_a_later_report(app: App, inbox, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    stranger = Person(app, "stranger")
    await report_death(stranger)
    await stranger.press("Nanti saja")
    await agree_privacy(Person(app, "officer"))
    officer = Person(app, "officer")
    await officer.say("/petugas")
    assert "Klaim (1)" in [o.label for o in officer.prompt().options]  # officers see the draft
    clock.advance(days=11, hours=1)
    await app.heartbeat()
    await deliver(app)
    assert any("belum dikirim ke petugas" in r.text for r in inbox.inbox["stranger"])
    clock.advance(days=3)
    await app.heartbeat()
    await deliver(app)
    assert any("ditutup karena belum dikirim" in r.text for r in inbox.inbox["stranger"])
    family = Person(app, "family")
    await report_death(family)
    assert any_text(family.last, "KLM-2026-000002") and not any_text(family.last, "digabungkan")
    async with app.sessions() as session:
        statuses = dict((await session.execute(select(Claim.id, Claim.status))).all())
    assert statuses == {1: "expired", 2: "documents"}


async def test_when_a_draft_expires_the_next_reporter_takes_it_over(app: App, inbox, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    stranger, family = Person(app, "stranger"), Person(app, "family")
    await report_death(stranger)
    await send_documents(stranger, inbox, JKM_DOCS[:2], salt="junk")
    await stranger.press("Nanti saja")
    await report_death(family)
    assert any_text(family.last, "digabungkan dengan klaim KLM-2026-000001")
    clock.advance(days=15)
    await app.heartbeat()
    await deliver(app)
    assert any("pelapor utama klaim KLM-2026-000001" in r.text for r in inbox.inbox["family"])
    await family.say("/klaim")
    await family.press("Lanjutkan #1")
    assert any_text(family.last, "⬜ Kartu peserta")  # the stranger's documents do not count for the family
    async with app.sessions() as session:
        claim = await session.get(Claim, 1)
        assert claim.status == "documents" and claim.reporter_name == "Yusnidar"
        assert await session.scalar(select(func.count()).select_from(ClaimReporter)) == 0


async def test_two_reports_of_one_death_at_the_same_moment_make_one_claim(app: App, inbox, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    first = "reporter-a"
    second = next(f"reporter-{n}" for n in range(100) if _lane(f"reporter-{n}") != _lane(first))
    people = [Person(app, first), Person(app, second)]
    for person in people:
        await report_death(person, confirm=False)
        assert any_text(person.last, "Periksa laporan musibah")
    await asyncio.gather(*(person.press("✅") for person in people))  # "Simpan" in the same instant
    async with app.sessions() as session:
        claims = (await session.execute(select(Claim).where(Claim.kind == "jkm"))).scalars().all()
        reporters = (await session.execute(select(ClaimReporter))).scalars().all()
    assert len(claims) == 1 and len(reporters) == 1
    assert all(any_text(person.last, "KLM-2026-000001") for person in people)


async def test_the_database_refuses_a_second_live_death_claim(app: App, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    await report_death(Person(app, "family"))
    async with app.sessions() as session:
        first = await session.get(Claim, 1)
        values = {c.key: getattr(first, c.key) for c in Claim.__table__.columns if c.key not in ("id", "reference")}
    with pytest.raises(IntegrityError):
        async with app.sessions() as session, session.begin():
            session.add(Claim(**values))
    async with app.sessions() as session, session.begin():  # a closed one does not count
        session.add(Claim(**{**values, "status": "rejected"}))


async def test_a_reporter_withdraws_and_the_sponsor_hears_nothing_changed(app: App, inbox, clock) -> None:
    family, asn, sponsorship_id = await submit_death_claim(app, inbox)
    await family.say("/klaim")
    await family.press("Tarik #1")
    assert any_text(family.last, "Tarik laporan KLM-2026-000001?")
    await family.press("Tidak")
    assert any_text(family.last, "Laporan musibah dan klaim")
    await family.press("Tarik #1")
    await family.press("Ya, tarik")
    assert any_text(family.last, "sudah ditarik")
    await deliver(app)
    assert "ditarik oleh pelapornya" in inbox.inbox[asn][-1].text
    async with app.sessions() as session:
        assert (await session.get(Claim, 1)).status == "withdrawn"
        assert (await session.get(Sponsorship, sponsorship_id)).ended_at is None
        assert await session.scalar(select(func.count()).select_from(AuditEntry)
                                    .where(AuditEntry.action == "claim_report_withdrawn")) == 1
