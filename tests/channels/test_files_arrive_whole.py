"""Files people send arrive whole or not at all, end to end over real HTTP against the stand-ins, whose downloads
come in 16 KiB writes as over a real network (issue 18, item 4: claim photos of 3 MB and 9 MB were "Diterima" and
kept as their first 126 KB and 65 KB).

On WhatsApp a family reporting a death sends claim documents of 1, 5 and 15 MB: the stored files are byte for byte
what was sent. A download cut short, a well-formed body shorter than the file, or a body whose SHA-256 is not the
webhook's, is refused with a request to send the file again (nothing stored, the form where it was); a file over
the limit is refused as too big without its whole body being downloaded. On Telegram the same for a 5 MB document
cut short or short (Telegram declares no hash of a file, so a body changed in transit is not detectable there;
the Bot API is reached over TLS)."""

from __future__ import annotations

import hashlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import App
from db.models import ClaimDocument, StoredFile
from db.rules.months import Month
from tests.chat_people import TgPerson, WaPerson
from tests.claims.chat_steps import report_death_in_chat
from tests.claims.steps import seed_worker
from tests.conftest import Clock
from tests.records import count
from tests.standins.apps import start_app, telegram_settings, whatsapp_settings
from tests.standins.telegram import TelegramStandin
from tests.standins.whatsapp import WhatsAppStandin

MB = 1024 * 1024
FAMILY = "6281298765432"
ASN = 6281300000000
SEND_AGAIN = "tidak sampai dengan utuh"
Starter = Callable[[int], Awaitable[App]]


def pdf_of(size: int, seed: int) -> bytes:
    """A PDF-looking file of exactly `size` bytes whose content does not repeat (a prefix is never the whole)."""
    head = b"%PDF-1.4\n"
    return head + random.Random(seed).randbytes(size - len(head))


@pytest.fixture
async def start(db_url: str, tmp_path: Path, whatsapp: WhatsAppStandin) -> AsyncIterator[Starter]:
    """Start the app with [storage].max_file_mb as given, a worker seeded, and the stand-in posting to it."""
    apps: list[App] = []

    async def started(max_file_mb: int) -> App:
        settings = whatsapp_settings(db_url, tmp_path, whatsapp, storage={"max_file_mb": max_file_mb},
                                     scheduler={"heartbeat_seconds": 3600})
        app = await start_app(settings, clock=Clock(datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc)),
                              whatsapp=whatsapp)
        apps.append(app)
        await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12), address_base=ASN,
                          channel="whatsapp")
        return app

    yield started
    for app in apps:
        await app.stop()


async def stored_hashes(app: App) -> list[str]:
    """The SHA-256 of every stored file as read back from disk, in the order they were stored."""
    async with app.sessions() as session:
        rows = (await session.execute(select(StoredFile).order_by(StoredFile.id))).scalars().all()
    for row in rows:
        assert hashlib.sha256((Path(app.settings.files_dir) / row.path).read_bytes()).hexdigest() == row.sha256
    return [row.sha256 for row in rows]


TG_FAMILY, TG_ASN = 801, 700  # on Telegram


@pytest.fixture
async def app(db_url: str, tmp_path: Path, telegram: TelegramStandin) -> AsyncIterator[App]:
    settings = telegram_settings(db_url, tmp_path, telegram, storage={"max_file_mb": 20},
                                 scheduler={"heartbeat_seconds": 3600})
    app = await start_app(settings, clock=Clock(datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc)))
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12), address_base=TG_ASN,
                      channel="telegram")
    yield app
    await app.stop()


@pytest.mark.standin_seed(whatsapp=18)
async def test_claim_documents_of_1_5_and_15_mb_are_stored_whole(start: Starter, whatsapp: WhatsAppStandin) -> None:
    app = await start(20)
    family = WaPerson(whatsapp, FAMILY)
    await report_death_in_chat(family)
    sent = []
    for label, size in (("Kartu peserta", 1 * MB), ("KTP pekerja", 5 * MB), ("KTP ahli waris", 15 * MB)):
        await family.press(label, "Kirim foto atau PDF")
        content = pdf_of(size, seed=size)
        sent.append(hashlib.sha256(content).hexdigest())
        whatsapp.send_document(family.phone, content, f"{label}.pdf")
        await family.expect(f"Diterima: {label}", timeout=60)
    assert await stored_hashes(app) == sent
    assert await count(app, ClaimDocument) == 3
    assert app.core.counters["errors"] == 0


@pytest.mark.standin_seed(whatsapp=18)
@pytest.mark.parametrize("fault", ["cut", "short", "altered"])
async def test_a_file_that_does_not_arrive_whole_is_asked_for_again(start: Starter, whatsapp: WhatsAppStandin,
                                                                    fault: str) -> None:
    """"cut": the connection drops before Content-Length bytes came; "short": a well-formed body of half the file
    (only the lookup's file_size and the webhook's sha256 tell); "altered": the whole length, one byte changed, and
    a lookup without its sha256 (only the webhook's, in base64, tells)."""
    whatsapp.lookup_gives_hash = fault != "altered"
    app = await start(20)
    family = WaPerson(whatsapp, FAMILY)
    await report_death_in_chat(family)
    await family.press("KTP pekerja", "Kirim foto atau PDF")
    content = pdf_of(3_146_138, seed=1)  # the size of the tester's claim photo
    whatsapp.send_document(family.phone, content, "ktp.pdf", fault=fault)
    refusal = await family.expect(SEND_AGAIN, timeout=60)
    assert "Kirim foto atau PDF" in refusal["text"] or await family.expect("Kirim foto atau PDF")
    assert not any("Diterima" in text for text in family.texts())
    assert await count(app, StoredFile) == 0 and await count(app, ClaimDocument) == 0
    # The form is where it was: the same file sent again, whole this time, is taken for the same document.
    whatsapp.send_document(family.phone, content, "ktp.pdf")
    await family.expect("Diterima: KTP pekerja", timeout=60)
    assert await stored_hashes(app) == [hashlib.sha256(content).hexdigest()]
    assert app.core.counters["errors"] == 0


@pytest.mark.standin_seed(whatsapp=18)
async def test_a_file_over_the_limit_is_refused_without_downloading_it_whole(start: Starter,
                                                                             whatsapp: WhatsAppStandin) -> None:
    app = await start(1)
    family = WaPerson(whatsapp, FAMILY)
    await report_death_in_chat(family)
    await family.press("KTP pekerja", "Kirim foto atau PDF")
    big = pdf_of(25 * MB, seed=2)
    # The media lookup says its size: refused before any download.
    whatsapp.send_document(family.phone, big, "besar.pdf")
    await family.expect("terlalu besar", timeout=60)
    assert whatsapp.calls["download"] == 0
    # A lookup without file_size: refused by the download's Content-Length, before its body.
    whatsapp.lookup_gives_size = False
    whatsapp.send_document(family.phone, big, "besar.pdf")
    await family.expect("terlalu besar", timeout=60)
    assert whatsapp.calls["download"] >= 1 and sum(whatsapp.served.values()) < 2 * MB
    # Neither file_size nor Content-Length: the download stops once past the limit.
    whatsapp.download_gives_length = False
    whatsapp.served.clear()
    whatsapp.send_document(family.phone, big, "besar.pdf")
    await family.expect("terlalu besar", timeout=60)
    assert MB < sum(whatsapp.served.values()) < 12 * MB
    assert not any("Diterima" in text for text in family.texts())
    assert await count(app, StoredFile) == 0
    assert app.core.counters["errors"] == 0


@pytest.mark.standin_seed(telegram=18)
@pytest.mark.parametrize("fault", ["cut", "short"])
async def test_a_telegram_file_that_does_not_arrive_whole_is_asked_for_again(app: App, telegram: TelegramStandin,
                                                                             fault: str) -> None:
    family = TgPerson(telegram, TG_FAMILY)
    await report_death_in_chat(family)
    await family.press("KTP pekerja", "Kirim foto atau PDF")
    content = pdf_of(5 * MB, seed=3)
    telegram.push_document(family.id, content, "ktp.pdf", "application/pdf", fault=fault)
    await family.expect(SEND_AGAIN, timeout=60)
    async with app.sessions() as session:
        assert (await session.execute(select(func.count()).select_from(StoredFile))).scalar_one() == 0
    telegram.push_document(family.id, content, "ktp.pdf", "application/pdf")  # again, whole: the same step takes it
    await family.expect("Diterima: KTP pekerja", timeout=60)
    assert await stored_hashes(app) == [hashlib.sha256(content).hexdigest()]
    assert app.core.counters["errors"] == 0
