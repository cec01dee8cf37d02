"""Words as people write them where the form expects something else: an OPD's abbreviation, a month alone, a start
date as `kemarin` or `5 nov` (trial item 12)."""

from __future__ import annotations

from tests.conftest import Clock
from tests.people import Person, agree_privacy
from tests.workers.steps import start_recording_kpj, worker_ready_for_kpj


async def test_typed_words_opd_abbreviation_month_alone_and_start_dates_as_people_write_them(
        app, inbox, clock: Clock) -> None:
    """Trial item 12: `dinkes` in the chat, `nov`/`desember` for a listed month, `kemarin`/`5 nov` for a start date."""
    person = Person(app, "newasn")
    await agree_privacy(person)
    await person.say("daftar")
    await person.say("199001012015031002")
    await person.say("Rina Marlina")
    await person.say("dinkes")
    assert "HP" in person.last[-1].text  # on to the phone number
    await person.say("0812-3456-7000")
    assert "Dinas Kesehatan" in person.last[-1].text  # the summary

    asn = await worker_ready_for_kpj(app, inbox)
    officer = await start_recording_kpj(app)
    await officer.say("5 nov")
    assert "5 November 2026" in officer.last[-1].text  # the summary
    await officer.press("✖️ Batal")
    await officer.say("/petugas")
    await officer.press("Menunggu BPJS")
    await officer.press("Catat KPJ #1")
    await officer.say("2301 2345 678")
    await officer.say("kemarin")
    assert "21 November 2026" in officer.last[-1].text
    await officer.press("✅")
    await asn.say("/menu")
    await asn.press("Pekerja saya")
    await asn.press("Bayar")
    await asn.say("nov")  # only one November is listed
    await asn.say("desember")  # and one December (a number alone is the option's number, as everywhere)
    labels = [o.label for o in asn.last[-1].options]
    assert "✅ Nov 2026 Rp8.400" in labels and "✅ Des 2026 Rp8.400" in labels
