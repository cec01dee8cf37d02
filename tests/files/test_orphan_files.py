"""Uploads that leave nothing behind (issue 18): a file whose transaction does not commit is removed at once, and the
daily sweep (and `tuwai files sweep`) removes files no row names once they are older than the grace period, keeps
younger ones and every file with a row, and reports rows whose file is missing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import zlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from bot.app import App
from bot.cli.main import main
from db.files.private import private_dir
from db.files.sweep import UPLOAD_NAME
from db.models import Chat, StoredFile
from db.rules.months import Month
from tests.claims.steps import report_death, seed_worker
from tests.conftest import Clock
from tests.people import JPEG, Person, RecordingChannel
from tests.registration.steps import approved_asn
from tests.workers.steps import enrol


def uploads_on_disk(app: App) -> set[str]:
    folder = Path(app.settings.files_dir)
    return {p.name for p in folder.iterdir() if UPLOAD_NAME.fullmatch(p.name)} if folder.is_dir() else set()


async def paths_in_rows(app: App) -> set[str]:
    async with app.sessions() as session:
        return set((await session.execute(select(StoredFile.path))).scalars())


@contextlib.contextmanager
def full_disk(app: App, commits: int | None = None) -> Iterator[None]:
    """A full disk as the bot sees it: the database refuses to commit (the next `commits` times, or all of them)."""
    left = [commits]

    def refuse(connection: object) -> None:
        if left[0] is None or left[0] > 0:
            left[0] = None if left[0] is None else left[0] - 1
            raise OperationalError("COMMIT", None, Exception("database or disk is full"))
    event.listen(app.engine.sync_engine, "commit", refuse)
    try:
        yield
    finally:
        event.remove(app.engine.sync_engine, "commit", refuse)


async def at_the_consent_form(app: App, inbox: RecordingChannel) -> Person:
    """An ASN whose worker waits for consent, asked for the photo of the signed paper form."""
    asn = await approved_asn(app, inbox)
    await enrol(asn)
    await asn.say("/menu")
    await asn.press("Pekerja saya")
    await asn.press("Formulir")
    assert any("Kirim foto" in reply.text for reply in asn.last)
    return asn


async def test_uploads_whose_commit_fails_leave_no_file(app: App, inbox: RecordingChannel) -> None:
    asn = await at_the_consent_form(app, inbox)
    with full_disk(app):  # the tester's case: three documents sent while the database disk was full
        for page in range(3):
            await asn.upload(inbox, JPEG + bytes([page]))
            assert any("Maaf" in reply.text for reply in asn.last)
    assert uploads_on_disk(app) == set() and await paths_in_rows(app) == set()
    await asn.upload(inbox, JPEG)  # room again: the same step takes the file
    assert any("Simpan" in reply.text for reply in asn.last)
    kept = await paths_in_rows(app)
    assert len(kept) == 1 and uploads_on_disk(app) == kept
    assert (Path(app.settings.files_dir) / kept.pop()).read_bytes() == JPEG


async def test_a_failed_batch_keeps_only_the_files_of_its_events_run_again(app: App, inbox: RecordingChannel) -> None:
    asn = await at_the_consent_form(app, inbox)
    # Someone whose events share the ASN's writer lane (PostgreSQL runs 4 lanes; a person always has the same one).
    lane = zlib.crc32(b"console:asn") % 4
    other = Person(app, next(name for name in (f"tetangga{n}" for n in range(100))
                             if zlib.crc32(f"console:{name}".encode()) % 4 == lane))
    batches = app.core.counters["batches"]
    with full_disk(app, commits=1):  # the batch's commit fails; each event is run again on its own and commits
        await asyncio.gather(asn.upload(inbox, JPEG), other.say("/start"))
    assert app.core.counters["batches"] == batches + 1  # both events were in the batch that failed
    assert any("Simpan" in reply.text for reply in asn.last)
    assert any("setuju" in reply.text for reply in other.last)
    kept = await paths_in_rows(app)
    assert len(kept) == 1 and uploads_on_disk(app) == kept  # the failed batch's copy of the photo is gone


async def test_a_replaced_document_keeps_its_file_until_the_replacement_commits(app: App, inbox: RecordingChannel,
                                                                               clock: Clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    family = Person(app, "family")
    await report_death(family)
    await family.press("KTP pekerja")
    await family.upload(inbox, JPEG + b"front")
    await family.upload(inbox, JPEG + b"front")  # the same photo again: not kept twice
    assert any("tidak disimpan dua kali" in reply.text for reply in family.last)
    [first] = await paths_in_rows(app)
    assert uploads_on_disk(app) == {first}
    await family.say("ktp pekerja")
    with full_disk(app):  # "replace" cannot be saved: the photo stays, with its row
        await family.say("ganti yang terkirim")
        assert any("Maaf" in reply.text for reply in family.last)
    assert uploads_on_disk(app) == {first} == await paths_in_rows(app)
    await family.say("ganti yang terkirim")
    assert any("dihapus" in reply.text for reply in family.last)
    assert uploads_on_disk(app) == set() == await paths_in_rows(app)


async def test_the_daily_sweep_removes_old_files_without_a_row(app: App, inbox: RecordingChannel, clock: Clock,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    asn = await at_the_consent_form(app, inbox)
    await asn.upload(inbox, JPEG)
    [with_row] = await paths_in_rows(app)
    folder = private_dir(Path(app.settings.files_dir))
    async with app.sessions() as session, session.begin():  # a row whose file someone deleted by hand
        chat = (await session.execute(select(Chat).where(Chat.address == "asn"))).scalar_one()
        lost = StoredFile(chat_id=chat.id, purpose="receipt", path="c" * 32 + ".png", mime_type="image/png", size=1,
                          sha256="0" * 64, created_at=clock())
        session.add(lost)
    old, young = folder / ("a" * 32 + ".jpg"), folder / ("b" * 32 + ".pdf")  # left by a crash mid-upload
    notes = folder / "catatan-petugas.txt"  # not a name the bot gives uploads: never touched
    for path, age in ((old, timedelta(hours=25)), (young, timedelta(hours=1)), (notes, timedelta(days=90)),
                      (folder / with_row, timedelta(days=90))):
        path.write_bytes(JPEG) if path.name != with_row else None
        moment = (clock() - age).timestamp()
        os.utime(path, (moment, moment))
    caplog.set_level(logging.INFO)
    await app.heartbeat()
    assert not old.exists() and young.exists() and notes.exists() and (folder / with_row).exists()
    assert f"1 row(s) whose file is missing (files ids {lost.id})" in caplog.text
    assert "1 file(s) without a database row removed, 1 without a row kept (newer than 24 h), 1 with a row" \
           in caplog.text
    clock.advance(hours=2)
    os.utime(young, ((clock() - timedelta(hours=30)).timestamp(),) * 2)
    await app.heartbeat()  # the sweep runs once a day: not yet
    assert young.exists()
    clock.advance(days=1)
    await app.heartbeat()
    assert not young.exists() and (folder / with_row).exists()


def test_tuwai_files_sweep(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def tuwai(*args: str) -> tuple[int, str]:
        code = main(["--config", str(config), "files", "sweep", *args])
        captured = capsys.readouterr()
        assert "Traceback" not in captured.out + captured.err
        return code, " ".join((captured.out + captured.err).split())

    code, said = tuwai()
    assert code == 1 and "files folder" in said and "does not exist" in said
    folder = private_dir(tmp_path / "data" / "files")  # [storage] files_dir, from the config file's folder
    orphan, fresh = folder / ("d" * 32 + ".jpg"), folder / ("e" * 32 + ".jpg")
    for path, hours in ((orphan, 48), (fresh, 0)):
        path.write_bytes(JPEG)
        moment = (datetime.now(timezone.utc) - timedelta(hours=hours)).timestamp()
        os.utime(path, (moment, moment))
    assert tuwai("--dry-run") == (0, "Files: 1 file(s) without a database row would be removed, 1 without a row "
                                     "kept (newer than 24 h), 0 with a row.")
    assert orphan.exists()
    assert tuwai() == (0, "Files: 1 file(s) without a database row removed, 1 without a row kept (newer than 24 h), "
                          "0 with a row.")
    assert not orphan.exists() and fresh.exists()
