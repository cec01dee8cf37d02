"""Who may be enrolled: one sponsor per worker, one worker per ASN in Pariaman (no limit in Pasaman Barat), ages 18
to 65."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from bot.app import App
from db.models import RosterEntry, Worker
from db.rules.eligibility import age_in_years, age_problem
from handlers.engine.types import Choice
from tests.conftest import Clock, make_settings
from tests.people import NIK_MALE, NIP_PNS, Person, RecordingChannel, any_text, register_asn
from tests.records import count
from tests.registration.steps import approved_asn
from tests.workers.steps import enrol


def load_first_nagari(kecamatan: str) -> str:
    from db.wilayah import load_wilayah

    wilayah = load_wilayah()
    code = next(a.code for a in wilayah.kecamatan_of("13.12") if a.name == kecamatan)
    return wilayah.desa_of(code)[0].name


async def test_a_nik_enrolled_by_another_asn_is_refused_without_naming_the_sponsor(app, inbox) -> None:
    async with app.sessions() as session, session.begin():
        session.add_all([RosterEntry(nip=NIP_PNS, name="Rahmat Hidayat", opd="X"),
                         RosterEntry(nip="199001012015012003", name="Siti Rahma", opd="X")])
    first, second = Person(app, "a"), Person(app, "b")
    await register_asn(first)
    await enrol(first)
    await register_asn(second, nip="199001012015012003", name="Siti Rahma")
    await second.press("Daftarkan pekerja")
    await second.say(NIK_MALE)
    assert any_text(second.last, "penjamin lain") and not any_text(second.last, "Rahmat")


async def test_pariaman_allows_one_worker_per_asn(app: App, inbox: RecordingChannel) -> None:
    asn = await approved_asn(app, inbox)
    await enrol(asn)
    await asn.say("/menu")
    assert "Daftarkan pekerja" not in [o.label for o in asn.last[-1].options]
    await asn.send(Choice("enrol", asn.last[-1].token))  # a button from an older menu
    assert any_text(asn.last, "Silakan pilih")
    assert await count(app, Worker) == 1


async def test_pasaman_barat_has_no_upper_limit(db_url: str, tmp_path: Path, clock: Clock) -> None:
    settings = make_settings(db_url, tmp_path, program={"region": "13.12", "max_workers_per_asn": 0})
    app = App(settings, clock=clock)
    await app.prepare()
    app.add_channel(RecordingChannel())
    async with app.sessions() as session, session.begin():
        session.add(RosterEntry(nip=NIP_PNS, name="Rahmat Hidayat", opd="X"))
    asn = Person(app, "asn")
    await register_asn(asn)
    for nik in ("1312011708750003", "1312014708750004"):
        await asn.say("/menu")
        await asn.press("Daftarkan pekerja")
        await asn.say(nik)
        await asn.say("Pekerja Sawit")
        await asn.press("Benar")
        await asn.press("Petani")
        await asn.press("Kinali")
        await asn.say(load_first_nagari("Kinali"))
        await asn.press("Lewati")
        await asn.press("Tidak")
        await asn.press("✅")
        assert any_text(asn.last, "tersimpan")
    assert await count(app, Worker) == 2
    await app.stop()


async def test_a_child_or_someone_too_old_is_refused_with_the_limits(app: App, inbox: RecordingChannel,
                                                                     clock: Clock) -> None:
    asn = await approved_asn(app, inbox)
    await asn.say("/menu")
    await asn.press("Daftarkan pekerja")
    await asn.say("1377010203150001")  # born 2 March 2015: eleven years old
    assert any_text(asn.last, "baru berumur 11 tahun") and any_text(asn.last, "18 sampai 65 tahun")
    assert "NIK pekerja" in asn.last[-1].text  # asked again
    await asn.say("1377010203500001")  # born 2 March 1950: 76
    assert any_text(asn.last, "berumur 76 tahun, lebih dari batas 65 tahun")
    await asn.say(NIK_MALE)
    await asn.say("Syafrizal")
    await asn.say("17-08-2012")  # a KTP date that makes the worker a child is refused too
    assert any_text(asn.last, "baru berumur 14 tahun")
    async with app.sessions() as session:
        assert (await session.execute(select(Worker))).first() is None


def test_age_limits_are_whole_years() -> None:
    assert age_in_years(date(2008, 11, 22), date(2026, 11, 22)) == 18
    assert age_problem(date(2008, 11, 23), date(2026, 11, 22), min_age=18, max_age=65) == "too_young"
    assert age_problem(date(1960, 11, 22), date(2026, 11, 22), min_age=18, max_age=65) == "too_old"
    assert age_problem(date(1961, 11, 23), date(2026, 11, 22), min_age=18, max_age=65) is None
