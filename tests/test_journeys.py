"""Issue 8: journeys a person can finish (names, own data, dates, ages, honest wording), through the core."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from db.models import Asn
from tests.people import NIK_MALE, NIP_PNS, Person, RecordingChannel, agree_privacy, any_text
from tests.test_flows import approved_asn, deliver


async def test_a_name_in_capitals_keeps_its_degree(app: App) -> None:
    person = Person(app, "asn")
    await agree_privacy(person)
    await person.press("Daftar sebagai ASN")
    await person.say(NIP_PNS)
    await person.say("DRS. BUDI SANTOSO, SE")
    await person.press("Dinas Sosial")
    await person.say("0812-3456-7890")
    assert "Drs. Budi Santoso, SE" in person.last[-1].text
    await person.press("✅")
    async with app.sessions() as session:
        assert (await session.execute(select(Asn.name))).scalar_one() == "Drs. Budi Santoso, SE"


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
