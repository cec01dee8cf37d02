"""Unpaid months: warnings, then the lapse; arrears by OPD and kecamatan for officers; and the same arrears and status
in /tunggakan, "Pekerja saya", `tuwai stats` and the export."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from bot.app import App
from bot.cli.main import main
from bot.files import payments_import
from db.ledger import ensure_months
from db.models import Contribution, Sponsorship, Worker
from db.rules.months import Month
from tests.conftest import ROOT
from tests.contributions.steps import at, seed, tick
from tests.people import Person, agree_privacy, an_officer, any_text
from tests.records import stored
from tests.seed import seed_sponsorships

TODAY = date(2026, 11, 22)  # the clock fixture's day: November's due date (Mon 16th) has passed


@pytest.fixture
def cli(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """`tuwai ...` on the app's database, on the same day; returns what it printed."""
    monkeypatch.setenv("TUWAI_DATABASE__URL", db_url)
    monkeypatch.setattr(payments_import, "programme_today", lambda tz: TODAY)

    async def run(*args: str) -> str:
        import asyncio
        capsys.readouterr()
        code = await asyncio.to_thread(main, ["--config", str(ROOT / "config.toml"), *args])
        assert code == 0
        captured = capsys.readouterr()
        return captured.out + captured.err
    return run


async def history(app: App) -> int:
    """Cover since June 2026: June paid, July due, August's receipt awaiting verification, no September row (the
    ledger was not planned), October and November due. Months in arrears: July, September, October, November."""
    async with app.sessions() as session, session.begin():
        [sponsorship_id] = await seed_sponsorships(session, 1, start=date(2026, 6, 1))
        sponsorship = await session.get(Sponsorship, sponsorship_id)
        worker = await session.get(Worker, sponsorship.worker_id)
        months = [Month(2026, 6), Month(2026, 7), Month(2026, 8), Month(2026, 10), Month(2026, 11)]
        await ensure_months(session, sponsorship=sponsorship, worker=worker, months=months, rules=app.core.rules)
        for month, status in ((Month(2026, 6), "paid"), (Month(2026, 8), "paid_unverified")):
            await session.execute(update(Contribution).where(Contribution.sponsorship_id == sponsorship_id,
                                                             Contribution.period == month).values(status=status))
    return sponsorship_id


def stats_figure(text: str, label: str) -> int:
    line = next(line for line in text.splitlines() if label in line)
    return int(re.findall(r"(\d+)\s*[│|]?\s*$", line)[0])


async def exported_status(cli, tmp_path: Path) -> tuple[str, int]:
    out = tmp_path / "workers.xlsx"
    await cli("export", "workers", "--output", str(out))
    table = [list(r) for r in load_workbook(out, read_only=True).active.iter_rows(values_only=True)]
    row = dict(zip(table[0], table[1]))
    return row["Status"], row["Tunggakan (bulan)"]


async def test_unpaid_months_warn_then_lapse(app, inbox, clock) -> None:
    await seed(app, start=date(2026, 8, 1))
    await an_officer(app)
    await tick(app, clock, at(date(2026, 9, 16)))  # August unpaid past due
    assert "TIDAK terlindungi" in inbox.inbox["100000"][-1].text
    await tick(app, clock, at(date(2026, 10, 8)))  # August and September unpaid: next step is the lapse
    assert "berakhir" in inbox.inbox["100000"][-1].text
    await tick(app, clock, at(date(2026, 10, 16)))  # three consecutive months
    lapsed = await stored(app, Sponsorship)
    assert lapsed[0].lapsed_at is not None
    assert "Kepesertaan Pekerja 0 berakhir" in inbox.inbox["100000"][-1].text
    assert any("berakhir" in r.text for r in inbox.inbox["officer"])
    count = len(inbox.inbox["100000"])
    await tick(app, clock, at(date(2026, 11, 9)))
    assert len(inbox.inbox["100000"]) == count  # no more reminders for a lapsed sponsorship


async def test_officers_see_arrears_by_opd_and_kecamatan_and_a_daily_digest(app, inbox, clock) -> None:
    await seed(app, start=date(2026, 10, 1), count=3)
    officer = await an_officer(app)
    await tick(app, clock, at(date(2026, 10, 20)))
    digest = [r.text for r in inbox.inbox["officer"] if "Ringkasan harian" in r.text]
    assert len(digest) == 1 and "Dinas Sosial: 2 pekerja, 2 bulan" in digest[0]
    await tick(app, clock, at(date(2026, 10, 20), 15))
    assert len([r for r in inbox.inbox["officer"] if "Ringkasan harian" in r.text]) == 1  # once a day
    await officer.say("/tunggakan")
    text = officer.last[-1].text
    assert "Dinas Sosial: 2 pekerja" in text and "Dinas Kesehatan: 1 pekerja" in text and "Pariaman Tengah" in text
    stranger = Person(app, "stranger")
    await agree_privacy(stranger)
    await stranger.say("/tunggakan")
    assert any_text(stranger.last, "hanya untuk petugas")


async def test_arrears_and_status_agree_in_every_place(app, cli, tmp_path: Path) -> None:
    sponsorship_id = await history(app)
    officer, asn = Person(app, "officer"), Person(app, "100000")
    await agree_privacy(officer)

    await officer.say("/tunggakan")
    assert "Dinas Sosial: 1 pekerja, 4 bulan" in officer.last[-1].text
    assert "Pariaman Tengah: 1 pekerja, 4 bulan" in officer.last[-1].text
    await asn.say("/menu")
    await asn.press("Pekerja saya")
    text = asn.last[-1].text
    assert "aktif, iuran menunggak" in text and "TIDAK terlindungi ⚠️ (4 bulan lewat jatuh tempo" in text
    stats = await cli("stats")
    assert stats_figure(stats, "Pekerja aktif dengan iuran menunggak") == 1
    assert stats_figure(stats, "Bulan iuran lewat jatuh tempo") == 4
    assert stats_figure(stats, "Pekerja terlindungi") == 0 and stats_figure(stats, "Pekerja yang kepesertaan") == 0
    assert await exported_status(cli, tmp_path) == ("aktif, iuran menunggak", 4)

    # The planner marks the sponsorship lapsed: no place counts the worker as active any more.
    async with app.sessions() as session, session.begin():
        await session.execute(update(Sponsorship).where(Sponsorship.id == sponsorship_id)
                              .values(lapsed_at=datetime(2026, 11, 20, tzinfo=timezone.utc)))
    await asn.say("/menu")
    await asn.press("Pekerja saya")
    assert "berakhir (3 bulan tidak dibayar)" in asn.last[-1].text and "aktif" not in asn.last[-1].text
    stats = await cli("stats")
    assert stats_figure(stats, "Pekerja yang kepesertaan") == 1
    assert stats_figure(stats, "Pekerja aktif dengan iuran menunggak") == 0
    assert stats_figure(stats, "Pekerja terlindungi") == 0
    assert await exported_status(cli, tmp_path) == ("berakhir (3 bulan tidak dibayar)", 4)
    await officer.say("/tunggakan")
    assert "Dinas Sosial: 1 pekerja, 4 bulan" in officer.last[-1].text  # its months stay unpaid

    # Every month paid: protected everywhere, nothing in /tunggakan.
    async with app.sessions() as session, session.begin():
        await session.execute(update(Sponsorship).where(Sponsorship.id == sponsorship_id).values(lapsed_at=None))
        sponsorship = await session.get(Sponsorship, sponsorship_id)
        worker = await session.get(Worker, sponsorship.worker_id)
        await ensure_months(session, sponsorship=sponsorship, worker=worker, months=[Month(2026, 9)],
                            rules=app.core.rules)
        await session.execute(update(Contribution).values(status="paid"))
        assert len((await session.execute(select(Contribution))).scalars().all()) == 6
    await officer.say("/tunggakan")
    assert "pekerja," not in officer.last[-1].text
    await asn.say("/menu")
    await asn.press("Pekerja saya")
    assert "terlindungi ✅" in asn.last[-1].text
    stats = await cli("stats")
    assert stats_figure(stats, "Pekerja terlindungi") == 1 and stats_figure(stats, "Bulan iuran lewat") == 0
    assert await exported_status(cli, tmp_path) == ("aktif", 0)
