"""The programme files' test data: a payments database as an officer's import finds it (fishermen and a motorbike-taxi
driver with a ledger, a worker awaiting BPJS, one whose sponsorship ended), read back row by row; `tuwai` run; a
sheet as WPS Office writes it."""

from __future__ import annotations

import asyncio
import re
import zipfile
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.app import App
from bot.cli.main import main
from bot.config import load_settings
from db.engine import create_engine, session_factory
from db.ledger import ensure_months
from db.models import Asn, Chat, Contribution, Sponsorship, Worker
from db.rules.months import Month

TODAY = date(2026, 11, 22)  # the programme's day for the imports (payments_import.programme_today)
NELAYAN, OJEK, WAITING, UNSPONSORED = "1377010101900001", "1377014101850002", "1377010202900003", "1377010303900004"
KPJ_NELAYAN, KPJ_OJEK = "12345678901", "12345678902"


async def seed_payments(config: Path) -> None:
    """An approved ASN sponsoring a fisherman and a motorbike-taxi driver (both active since September 2026), a worker
    still awaiting BPJS, and an active worker whose sponsorship ended. The fisherman's September is paid (receipt),
    October has a receipt waiting, November is due; nobody has rows beyond."""
    settings = load_settings(config)
    app = App(settings)
    await app.prepare()
    async with app.sessions() as session, session.begin():
        chat = Chat(channel="console", address="asn")
        session.add(chat)
        await session.flush()
        asn = Asn(chat_id=chat.id, nip="198503172010011002", nip_kind="pns", name="Rahmat Hidayat",
                  opd="Dinas Sosial", phone="+6281234567890", status="approved")
        session.add(asn)
        workers = {}
        for nik, name, occupation, kpj, start in (
                (NELAYAN, "Budi Nelayan", "nelayan", KPJ_NELAYAN, date(2026, 9, 1)),
                (OJEK, "Siti Ojek", "tukang_ojek", KPJ_OJEK, date(2026, 9, 1)),
                (WAITING, "Andi Menunggu", "petani", None, None),
                (UNSPONSORED, "Dedi Lepas", "petani", "12345678904", date(2026, 9, 1))):
            workers[nik] = Worker(nik=nik, name=name, birth_date=date(1990, 1, 1), sex="M", occupation=occupation,
                                  kecamatan_code="13.77.01", desa_code="13.77.01.1001", kpj=kpj, bpjs_start=start,
                                  status="active" if start else "awaiting_bpjs")
        session.add_all(workers.values())
        await session.flush()
        sponsorships = {nik: Sponsorship(asn_id=asn.id, worker_id=worker.id,
                                         ended_at=datetime(2026, 10, 1, tzinfo=timezone.utc)
                                         if nik == UNSPONSORED else None)
                        for nik, worker in workers.items()}
        session.add_all(sponsorships.values())
        await session.flush()
        await ensure_months(session, sponsorship=sponsorships[NELAYAN], worker=workers[NELAYAN],
                            months=Month(2026, 9).until(Month(2026, 11)), rules=settings.program.ledger_rules())
        for month, status, paid_on, source in ((Month(2026, 9), "paid", date(2026, 9, 10), "receipt"),
                                               (Month(2026, 10), "paid_unverified", None, None)):
            row = (await session.execute(select(Contribution).where(
                Contribution.sponsorship_id == sponsorships[NELAYAN].id, Contribution.period == month))).scalar_one()
            row.status, row.paid_on, row.source = status, paid_on, source
    await app.engine.dispose()


def ledger(db_url: str) -> dict[tuple[str, str], tuple[str, str | None, date | None, int]]:
    """(NIK, "2026-11") -> (status, source, paid_on, amount) for every ledger row."""
    async def read() -> dict[tuple[str, str], tuple[str, str | None, date | None, int]]:
        engine = create_engine(db_url)
        async with session_factory(engine)() as session:
            query = (select(Worker.nik, Contribution)
                     .join(Sponsorship, Contribution.sponsorship_id == Sponsorship.id)
                     .join(Worker, Sponsorship.worker_id == Worker.id))
            result = {(nik, str(c.period)): (c.status, c.source, c.paid_on, c.amount)
                      for nik, c in await session.execute(query)}
        await engine.dispose()
        return result
    return asyncio.run(read())


SEEDED = {(NELAYAN, "2026-09"): ("paid", "receipt", date(2026, 9, 10), 8400),
          (NELAYAN, "2026-10"): ("paid_unverified", None, None, 8400),
          (NELAYAN, "2026-11"): ("due", None, None, 8400)}


def run(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def output(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    return " ".join((captured.out + captured.err).split())


# ---------------------------------------------------------------- import


def dimension_a1(path: Path) -> None:
    """Rewrite the sheet's <dimension> to A1, as WPS Office does."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    parts["xl/worksheets/sheet1.xml"] = re.sub(r'<dimension ref="[^"]+"\s*/>', '<dimension ref="A1"/>', sheet).encode()
    assert '<dimension ref="A1"/>' in parts["xl/worksheets/sheet1.xml"].decode()
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    sheet_rows = list(load_workbook(path, read_only=True).active.iter_rows(values_only=True))
    assert len(sheet_rows) == 1  # what a reader that trusts the dimension sees
