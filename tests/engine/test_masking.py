"""Own data in full on one's own summary, masked in lists and wherever others read it (issue 8 point 5)."""

from __future__ import annotations

from bot.app import App
from tests.people import NIK_MALE, NIP_PNS, Person, RecordingChannel, agree_privacy
from tests.registration.steps import approved_asn


async def test_own_data_in_full_on_ones_own_summary_masked_elsewhere(app: App, inbox: RecordingChannel) -> None:
    person = Person(app, "asn")
    await agree_privacy(person)
    await person.press("Daftar sebagai ASN")
    await person.say(NIP_PNS)
    await person.say("Rahmat Hidayat")
    await person.press("Dinas Sosial")
    await person.say("0812-3456-7890")
    summary = person.last[-1].text
    assert NIP_PNS in summary and "+6281234567890" in summary
    asn = await approved_asn(app, inbox, "asn2")
    await asn.say("/menu")
    await asn.press("Daftarkan pekerja")
    await asn.say(NIK_MALE)
    await asn.say("Syafrizal")
    await asn.press("Benar")
    await asn.press("Nelayan")
    await asn.say("pariaman tengah")
    await asn.say("Taratak")
    await asn.say("0813 1111 2222")
    await asn.press("Tidak")
    assert NIK_MALE in asn.last[-1].text and "+6281311112222" in asn.last[-1].text
    await asn.press("✅")
    await asn.press("Pekerja saya")
    assert "1377********0003" in asn.last[-1].text and NIK_MALE not in asn.last[-1].text  # a list, masked
