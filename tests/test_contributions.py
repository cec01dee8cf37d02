"""Contributions through the core with the clock moved by the test: reminders, payments, receipts, lapse."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import func, select

from bot.app import App
from db.models import AuditEntry, Contribution, OutboxMessage, Receipt, Sponsorship
from db.rules.months import Month
from handlers.engine.types import Choice, File
from tests.conftest import Clock
from tests.people import JPEG, Person, agree_privacy, any_text
from tests.seed import seed_sponsorships

WIB = 7  # hours ahead of UTC


def at(day: date, hour: int = 9) -> datetime:
    """`hour` o'clock in the programme's time zone (WIB) on `day`, as UTC."""
    return datetime(day.year, day.month, day.day, hour - WIB if hour >= WIB else 0, tzinfo=timezone.utc)


async def seed(app: App, start: date, count: int = 1, occupation: str = "nelayan") -> list[int]:
    async with app.sessions() as session, session.begin():
        return await seed_sponsorships(session, count, start=start, occupation=occupation)


async def tick(app: App, clock: Clock, moment: datetime) -> list:
    """The heartbeat at `moment`: plan, then deliver everything that may go out now."""
    clock.now = moment
    await app.planner.plan(moment)
    while await app.deliverer.deliver_once():
        pass


async def rows(app: App, model: type, *where: object) -> list:
    async with app.sessions() as session:
        return list((await session.execute(select(model).where(*where))).scalars().all())


async def test_reminders_come_on_the_right_days_once_and_skip_the_stale(app, inbox, clock) -> None:
    await seed(app, start=date(2026, 11, 1))
    asn = "100000"
    await tick(app, clock, at(date(2026, 11, 8)))
    assert inbox.inbox[asn] == []  # 8 days before the due date (Mon 16 Nov: the 15th is a Sunday)
    await tick(app, clock, at(date(2026, 11, 9)))
    first = inbox.inbox[asn][-1]
    assert "November 2026" in first.text and "Rp8.400" in first.text and "16 November 2026" in first.text
    assert [o.label for o in first.options] == ["Sudah bayar", "Ingatkan nanti"]
    await tick(app, clock, at(date(2026, 11, 9), 15))
    await tick(app, clock, at(date(2026, 11, 12)))
    assert len(inbox.inbox[asn]) == 1  # the same reminder is never sent twice
    await tick(app, clock, at(date(2026, 11, 13)))
    assert len(inbox.inbox[asn]) == 2 and "3 hari lagi" in inbox.inbox[asn][-1].text
    # The bot is down from the 14th to the 17th: the day-before reminder is stale and skipped.
    await tick(app, clock, at(date(2026, 11, 17)))
    assert len(inbox.inbox[asn]) == 3 and "TIDAK terlindungi" in inbox.inbox[asn][-1].text
    keys = sorted(row.key for row in await rows(app, OutboxMessage) if row.key.startswith("reminder:"))
    assert [k.rsplit(":", 1)[1] for k in keys] == ["-3", "-7", "1"]


async def test_reminders_wait_for_the_morning(app, inbox, clock) -> None:
    await seed(app, start=date(2026, 11, 1))
    await tick(app, clock, at(date(2026, 11, 9), 22))
    assert inbox.inbox["100000"] == []  # planned at night, held
    await tick(app, clock, at(date(2026, 11, 10), 7))
    assert inbox.inbox["100000"] == []
    await tick(app, clock, at(date(2026, 11, 10), 8))
    assert len(inbox.inbox["100000"]) == 1


async def test_discount_and_sector_in_the_amounts(app, inbox, clock) -> None:
    await seed(app, start=date(2027, 1, 1), count=1, occupation="tukang_ojek")
    async with app.sessions() as session, session.begin():
        await seed_sponsorships(session, 1, start=date(2027, 1, 1), occupation="petani", address_base=200_000)
    await tick(app, clock, at(date(2027, 1, 8)))
    assert "Rp8.400" in inbox.inbox["100000"][-1].text  # transport: discounted until March 2027
    assert "Rp16.800" in inbox.inbox["200000"][-1].text  # other sectors: back to the full tariff in 2027


async def test_paid_with_a_receipt_then_verified_by_an_officer(app, inbox, clock) -> None:
    [sponsorship] = await seed(app, start=date(2026, 11, 1))
    await tick(app, clock, at(date(2026, 11, 9)))
    asn = Person(app, "100000")
    reminder = inbox.inbox["100000"][-1]
    await asn.send(Choice(reminder.options[0].id))
    assert any_text(asn.last, "Dipilih: 1 bulan, Rp8.400")
    await asn.say("Des 2026")  # prepay one more month
    assert any_text(asn.last, "Dipilih: 2 bulan, Rp16.800")
    await asn.say("Jan 2029")
    assert any_text(asn.last, "paling jauh 12 bulan")
    await asn.say("Okt 2026")
    assert any_text(asn.last, "sebelum kepesertaan dimulai")
    await asn.press("Selesai")
    await asn.upload(inbox, b"\x01", kind="sticker")
    assert any_text(asn.last, "foto atau berkas PDF")
    await asn.upload(inbox, b"MZ\x90\x00 renamed.pdf", kind="document")
    assert any_text(asn.last, "bukan foto")
    await asn.send(File("huge", "bukti.pdf", "application/pdf", 30 * 1024 * 1024, "document"))  # 30 MB
    assert any_text(asn.last, "terlalu besar")
    await asn.upload(inbox, JPEG, kind="photo")
    assert any_text(asn.last, "Jumlah: Rp16.800")
    await asn.press("✅")
    assert any_text(asn.last, "menunggu verifikasi petugas")
    ledger = {row.period: row.status for row in await rows(app, Contribution)}
    assert ledger == {Month(2026, 11): "paid_unverified", Month(2026, 12): "paid_unverified"}

    await tick(app, clock, at(date(2026, 11, 13)))  # no reminder for a month that is paid
    assert not any("3 hari lagi" in r.text for r in inbox.inbox["100000"])

    officer = Person(app, "officer")
    await agree_privacy(officer)
    notice = next(r for r in inbox.inbox["officer"] if "Bukti bayar #1" in r.text)
    assert "Rp16.800" in notice.text and notice.extra["attachment_mime"] == "image/jpeg"
    await officer.send(Choice(notice.options[0].id))
    await officer.send(Choice(notice.options[0].id))  # a second tap
    assert any_text(officer.last, "sudah diputuskan")
    await tick(app, clock, at(date(2026, 11, 13), 10))
    assert "sudah diverifikasi" in inbox.inbox["100000"][-1].text
    assert {row.status for row in await rows(app, Contribution)} == {"paid"}
    audit = await rows(app, AuditEntry)
    assert [a.action for a in audit if a.action != "view"] == ["receipt_verified"]
    # The notice showed each officer the receipt file: audited as a view of the ASN's data.
    assert sorted(a.actor for a in audit if a.action == "view" and a.details["fields"] == ["receipt"]) == [
        "console:officer", "telegram:9001"]

    await asn.say("/menu")
    await asn.press("Pekerja saya")
    assert any_text(asn.last, "Iuran dibayar: 2 bulan") and any_text(asn.last, "terlindungi ✅")
    assert any_text(asn.last, "Januari 2027, Rp16.800")
    await asn.press("Bayar")
    await asn.say("Nov 2026")
    assert any_text(asn.last, "sudah tercatat dibayar")
    assert "Januari 2027" in " ".join(o.label for o in asn.last[-1].options) or any(
        "Jan 2027" in o.label for o in asn.last[-1].options)


async def test_a_rejected_receipt_puts_the_months_back_with_the_reason(app, inbox, clock) -> None:
    await seed(app, start=date(2026, 11, 1))
    await tick(app, clock, at(date(2026, 11, 9)))
    asn = Person(app, "100000")
    await asn.send(Choice(inbox.inbox["100000"][-1].options[0].id))
    await asn.press("Selesai")
    await asn.upload(inbox, JPEG, kind="photo")
    await asn.press("✅")
    officer = Person(app, "officer")
    await agree_privacy(officer)
    while await app.deliverer.deliver_once():
        pass
    notice = next(r for r in inbox.inbox["officer"] if "Bukti bayar #1" in r.text)
    await officer.send(Choice(notice.options[1].id))
    await officer.say("Foto buram, nominal tidak terbaca")
    await officer.press("✅")
    await tick(app, clock, at(date(2026, 11, 9), 10))
    assert "Foto buram" in inbox.inbox["100000"][-1].text
    assert [(r.status, r.reason) for r in await rows(app, Receipt)] == [("rejected", "Foto buram, nominal tidak terbaca")]
    assert {row.status for row in await rows(app, Contribution)} == {"due"}
    await tick(app, clock, at(date(2026, 11, 13)))  # reminders resume
    assert "3 hari lagi" in inbox.inbox["100000"][-1].text


async def test_remind_me_later_comes_back_tomorrow_morning(app, inbox, clock) -> None:
    await seed(app, start=date(2026, 11, 1))
    await tick(app, clock, at(date(2026, 11, 9), 19))
    asn = Person(app, "100000")
    await asn.send(Choice(inbox.inbox["100000"][-1].options[1].id))
    assert any_text(asn.last, "besok pukul 08:00")
    await tick(app, clock, at(date(2026, 11, 9), 21))
    assert len(inbox.inbox["100000"]) == 1
    await tick(app, clock, at(date(2026, 11, 10), 8))
    assert len(inbox.inbox["100000"]) == 2 and "Pengingat: iuran" in inbox.inbox["100000"][-1].text


async def test_someone_else_cannot_pay_or_snooze_a_worker(app, inbox, clock) -> None:
    await seed(app, start=date(2026, 11, 1))
    await tick(app, clock, at(date(2026, 11, 9)))
    stranger = Person(app, "stranger")
    await agree_privacy(stranger)
    for option in inbox.inbox["100000"][-1].options:
        await stranger.send(Choice(option.id))
        assert any_text(stranger.last, "tidak ada di daftar Anda")


async def test_unpaid_months_warn_then_lapse(app, inbox, clock) -> None:
    await seed(app, start=date(2026, 8, 1))
    officer = Person(app, "officer")
    await agree_privacy(officer)
    await tick(app, clock, at(date(2026, 9, 16)))  # August unpaid past due
    assert "TIDAK terlindungi" in inbox.inbox["100000"][-1].text
    await tick(app, clock, at(date(2026, 10, 8)))  # August and September unpaid: next step is the lapse
    assert "berakhir" in inbox.inbox["100000"][-1].text
    await tick(app, clock, at(date(2026, 10, 16)))  # three consecutive months
    lapsed = await rows(app, Sponsorship)
    assert lapsed[0].lapsed_at is not None
    assert "Kepesertaan Pekerja 0 berakhir" in inbox.inbox["100000"][-1].text
    assert any("berakhir" in r.text for r in inbox.inbox["officer"])
    count = len(inbox.inbox["100000"])
    await tick(app, clock, at(date(2026, 11, 9)))
    assert len(inbox.inbox["100000"]) == count  # no more reminders for a lapsed sponsorship


async def test_officers_see_arrears_by_opd_and_kecamatan_and_a_daily_digest(app, inbox, clock) -> None:
    await seed(app, start=date(2026, 10, 1), count=3)
    officer = Person(app, "officer")
    await agree_privacy(officer)
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


async def test_two_planners_at_once_plan_nothing_twice(app, settings, clock) -> None:
    await seed(app, start=date(2026, 11, 1), count=50)
    other = App(settings, clock=clock)
    await other.prepare()
    moment = at(date(2026, 11, 9))
    import asyncio

    await asyncio.gather(app.planner.plan(moment), other.planner.plan(moment), app.planner.plan(moment))
    await other.stop()
    async with app.sessions() as session:
        count = (await session.execute(select(func.count()).select_from(OutboxMessage))).scalar_one()
        months = (await session.execute(select(func.count()).select_from(Contribution))).scalar_one()
    assert (count, months) == (50, 50)
