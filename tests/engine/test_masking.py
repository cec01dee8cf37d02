"""Own data in full on one's own summary, masked in lists and wherever others read it (issue 8 point 5)."""

from __future__ import annotations

from bot.app import App
from tests.people import NIK_MALE, NIP_PNS, Person, RecordingChannel, start_registration
from tests.registration.steps import approved_asn
from tests.workers.steps import start_worker_form


async def test_own_data_in_full_on_ones_own_summary_masked_elsewhere(app: App, inbox: RecordingChannel) -> None:
    person = Person(app, "asn")
    await start_registration(person)
    await person.say("0812-3456-7890")
    summary = person.last[-1].text
    assert NIP_PNS in summary and "+6281234567890" in summary
    asn = await approved_asn(app, inbox, "asn2")
    await start_worker_form(asn)
    await asn.say("pariaman tengah")
    await asn.say("Taratak")
    await asn.say("0813 1111 2222")
    await asn.press("Tidak")
    assert NIK_MALE in asn.last[-1].text and "+6281311112222" in asn.last[-1].text
    await asn.press("✅")
    await asn.press("Pekerja saya")
    assert "1377********0003" in asn.last[-1].text and NIK_MALE not in asn.last[-1].text  # a list, masked
