""""Sudah bayar" (handlers/contributions/payments.py): the months paid and the receipt, verified by an officer; only
the sponsor pays; paying a later month while an earlier is overdue warns gently."""

from __future__ import annotations

from datetime import date

from db.models import AuditEntry, Contribution
from db.rules.months import Month
from handlers.engine.types import Choice, File
from tests.conftest import Clock
from tests.contributions.steps import at, seed, tick
from tests.people import JPEG, Person, agree_privacy, an_officer, any_text
from tests.records import stored


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
    ledger = {row.period: row.status for row in await stored(app, Contribution)}
    assert ledger == {Month(2026, 11): "paid_unverified", Month(2026, 12): "paid_unverified"}

    await tick(app, clock, at(date(2026, 11, 13)))  # no reminder for a month that is paid
    assert not any("3 hari lagi" in r.text for r in inbox.inbox["100000"])

    officer = await an_officer(app)
    notice = next(r for r in inbox.inbox["officer"] if "Bukti bayar #1" in r.text)
    assert "Rp16.800" in notice.text and notice.extra["attachment_mime"] == "image/jpeg"
    await officer.send(Choice(notice.options[0].id))
    await officer.send(Choice(notice.options[0].id))  # a second tap
    assert any_text(officer.last, "sudah diputuskan")
    await tick(app, clock, at(date(2026, 11, 13), 10))
    assert "sudah diverifikasi" in inbox.inbox["100000"][-1].text
    assert {row.status for row in await stored(app, Contribution)} == {"paid"}
    audit = await stored(app, AuditEntry)
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


async def test_someone_else_cannot_pay_or_snooze_a_worker(app, inbox, clock) -> None:
    await seed(app, start=date(2026, 11, 1))
    await tick(app, clock, at(date(2026, 11, 9)))
    stranger = Person(app, "stranger")
    await agree_privacy(stranger)
    for option in inbox.inbox["100000"][-1].options:
        await stranger.send(Choice(option.id))
        assert any_text(stranger.last, "tidak ada di daftar Anda")


async def test_paying_a_later_month_while_an_earlier_is_overdue_warns_gently(app, inbox, clock: Clock) -> None:
    """Trial item 17: November overdue (due 16 Nov), December chosen on 20 Nov."""
    await seed(app, start=date(2026, 11, 1))
    clock.now = at(date(2026, 11, 20))
    asn = Person(app, "100000")
    await asn.say("/menu")
    await asn.press("Pekerja saya")
    await asn.press("Bayar")
    await asn.say("des")
    assert any_text(asn.last, "November 2026 sudah lewat jatuh tempo dan belum dibayar")
    await asn.say("nov")
    assert not any_text(asn.last, "lewat jatuh tempo")
