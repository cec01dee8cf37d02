"""The officer's side of receipts (handlers/contributions/receipt_review.py, receipt_checks.py): in the to-do list,
typed by number; rejected with a reason the ASN hears, after a confirmation; the same file twice recognised."""

from __future__ import annotations

from datetime import date

from bot.channels.console import render
from db.models import Contribution, Receipt
from handlers.engine.types import Choice
from tests.contributions.steps import a_receipt_waiting, at, seed, tick
from tests.people import JPEG, Person, an_officer, any_text, deliver
from tests.records import stored


async def test_receipts_to_verify_are_in_the_officer_menu_typed_by_number(app, inbox, clock) -> None:
    await a_receipt_waiting(app, inbox, clock)
    officer = await an_officer(app)
    notice = next(r for r in inbox.inbox["officer"] if "Bukti bayar #1" in r.text)
    assert "/petugas → «Bukti bayar»" in notice.text  # how to reach it on a text channel
    await officer.say("/petugas")
    entries = [o.label for o in officer.last[-1].options]
    assert "Bukti bayar (1)" in entries and "ASN menunggu (0)" in entries and "Menunggu BPJS (0)" in entries
    await officer.say("bukti bayar")  # typed, as in the terminal
    listing = officer.last[-1]
    assert "#1 ASN ASN 0 (Dinas Sosial) untuk Pekerja 0: Nov 2026, Rp8.400" in listing.text
    await officer.say("1")  # "Lihat #1": the photo again, in this chat
    assert any_text(officer.last, "dikirim sebentar lagi")
    await deliver(app)
    sent = inbox.inbox["officer"][-1]
    assert sent.text == "Bukti bayar #1:" and sent.extra["attachment_mime"] == "image/jpeg"
    assert f"(berkas / file: {sent.extra['attachment']})" in render(sent)  # the terminal names the file to open
    await officer.say("terima")  # "Terima #1", typed as a word
    assert any_text(officer.last, "Bukti bayar #1 diterima")
    assert "Tidak ada bukti bayar yang menunggu" in officer.last[-1].text  # still in the list, now empty
    assert {row.status for row in await stored(app, Contribution)} == {"paid"}


async def test_rejecting_a_receipt_offers_reasons_confirms_and_the_asn_hears_it(app, inbox, clock) -> None:
    await a_receipt_waiting(app, inbox, clock)
    officer = await an_officer(app)
    await officer.say("/petugas")
    await officer.press("Bukti bayar")
    await officer.press("Tolak #1")
    assert [o.label for o in officer.last[-1].options][:3] == ["Foto tidak terbaca", "Jumlah tidak sesuai",
                                                                "Bukan bukti bayar"]
    await officer.press("Foto tidak terbaca")
    assert "Tolak bukti bayar ini dengan alasan berikut?" in officer.last[-1].text  # a confirmation
    assert {row.status for row in await stored(app, Receipt)} == {"pending"}  # nothing decided yet
    await officer.say("simpan")
    assert any_text(officer.last, "ditolak; ASN diberi tahu alasannya")
    assert "Tidak ada bukti bayar yang menunggu" in officer.last[-1].text  # back in the list
    await deliver(app)
    assert "Foto bukti bayar tidak terbaca" in inbox.inbox["100000"][-1].text or\
        "Foto tidak terbaca" in inbox.inbox["100000"][-1].text


async def test_ya_confirms_rejecting_a_receipt(app, inbox, clock) -> None:
    """Trial item 11: "Tolak bukti bayar ini dengan alasan berikut?" answered `ya`."""
    await a_receipt_waiting(app, inbox, clock)
    officer = await an_officer(app)
    await officer.say("/petugas")
    await officer.press("Bukti bayar")
    await officer.press("Tolak #1")
    await officer.press("Foto tidak terbaca")
    assert "Tolak bukti bayar ini" in officer.last[-1].text
    await officer.say("ya")
    assert any_text(officer.last, "ditolak; ASN diberi tahu alasannya")
    assert {row.status for row in await stored(app, Receipt)} == {"rejected"}


async def test_a_rejected_receipt_puts_the_months_back_with_the_reason(app, inbox, clock) -> None:
    await seed(app, start=date(2026, 11, 1))
    await tick(app, clock, at(date(2026, 11, 9)))
    asn = Person(app, "100000")
    await asn.send(Choice(inbox.inbox["100000"][-1].options[0].id))
    await asn.press("Selesai")
    await asn.upload(inbox, JPEG, kind="photo")
    await asn.press("✅")
    officer = await an_officer(app)
    while await app.deliverer.deliver_once():
        pass
    notice = next(r for r in inbox.inbox["officer"] if "Bukti bayar #1" in r.text)
    await officer.send(Choice(notice.options[1].id))
    await officer.say("Foto buram, nominal tidak terbaca")
    await officer.press("✅")
    await tick(app, clock, at(date(2026, 11, 9), 10))
    assert "Foto buram" in inbox.inbox["100000"][-1].text
    assert [(r.status, r.reason) for r in await stored(app, Receipt)] == [
        ("rejected", "Foto buram, nominal tidak terbaca")]
    assert {row.status for row in await stored(app, Contribution)} == {"due"}
    await tick(app, clock, at(date(2026, 11, 13)))  # reminders resume
    assert "3 hari lagi" in inbox.inbox["100000"][-1].text


async def test_the_same_receipt_twice_is_recognised(app, inbox, clock) -> None:
    asn = await a_receipt_waiting(app, inbox, clock)
    await asn.say("/menu")
    await asn.press("Pekerja saya")
    await asn.press("Bayar")
    await asn.say("Des 2026")
    await asn.press("Selesai")
    await asn.upload(inbox, JPEG, kind="photo")  # the very same file as for November
    assert any_text(asn.last, "sama persis dengan yang sudah Anda kirim") and any_text(asn.last, "bukti #1")
    assert "bukti bayar" in asn.last[-1].text.lower()  # asked again, nothing lost
    assert len(await stored(app, Receipt)) == 1
    await asn.upload(inbox, JPEG + b"another", kind="photo")
    await asn.press("✅")
    assert len(await stored(app, Receipt)) == 2
