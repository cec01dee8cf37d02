"""Issue 8: journeys a person can finish (names, own data, dates, ages, honest wording), through the core."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.app import App
from db.models import Asn, Worker
from db.rules.eligibility import age_in_years, age_problem
from handlers.engine.types import Choice, Contact
from tests.conftest import Clock
from tests.people import JPEG, NIK_MALE, NIP_PNS, Person, RecordingChannel, agree_privacy, any_text
from tests.test_flows import approved_asn, deliver

WORKER_PHONE = "0813 1111 2222"


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


async def start_enrolment(asn: Person, nik: str = NIK_MALE) -> None:
    await asn.say("/menu")
    await asn.press("Daftarkan pekerja")
    await asn.say(nik)
    await asn.say("Syafrizal")


async def test_a_ktp_birth_date_that_differs_from_the_nik_is_confirmed_once_and_flagged(
        app: App, inbox: RecordingChannel) -> None:
    asn = await approved_asn(app, inbox)
    await start_enrolment(asn)
    assert "Bila berbeda, ketik tanggal lahir yang benar" in asn.last[-1].text
    await asn.say("18-08-1975")
    assert "18 Agustus 1975 berbeda dengan angka tanggal lahir di NIK (17 Agustus 1975)" in asn.last[-1].text
    await asn.say("ya")  # use the KTP date
    await asn.press("Nelayan")
    await asn.say("pariaman tengah")
    await asn.say("Taratak")
    await asn.press("Lewati")
    await asn.press("Tidak")
    summary = asn.last[-1].text
    assert "18 Agustus 1975 (laki-laki) ⚠️ tanggal KTP" in summary  # the date, the derived sex and the flag
    await asn.press("✅")
    async with app.sessions() as session:
        worker = (await session.execute(select(Worker))).scalar_one()
    assert (worker.birth_date, worker.birth_date_differs) == (date(1975, 8, 18), True)
    await consent_on_paper(app, asn, worker.id)
    officer = Person(app, "officer")
    await officer.say("/petugas")
    await officer.press("Menunggu BPJS")
    assert "Tanggal lahir di KTP (18 Agustus 1975) berbeda dengan angka NIK" in officer.last[-1].text


async def test_the_nik_date_can_still_be_kept_after_typing_another(app: App, inbox: RecordingChannel) -> None:
    asn = await approved_asn(app, inbox)
    await start_enrolment(asn)
    await asn.say("18-08-1975")
    await asn.press("Tanggal NIK")
    assert "Pekerjaan" in asn.last[-1].text
    await asn.press("Nelayan")
    await asn.say("pariaman tengah")
    await asn.say("Taratak")
    await asn.press("Lewati")
    await asn.press("Tidak")
    assert "17 Agustus 1975 (laki-laki)" in asn.last[-1].text and "⚠️" not in asn.last[-1].text


async def consent_on_paper(app: App, asn: Person, worker_id: int) -> None:
    channel = app.channels["console"]
    await asn.send(Choice(f"!w.paper:{worker_id}"))
    await asn.upload(channel, JPEG)
    await asn.press("✅")
    await Person(app, "officer").send(Choice(f"!cf.ok:{worker_id}"))  # counts once an officer accepts it


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


async def test_lainnya_asks_what_it_is_and_stores_it(app: App, inbox: RecordingChannel) -> None:
    person = Person(app, "asn")
    await agree_privacy(person)
    await person.press("Daftar sebagai ASN")
    await person.say(NIP_PNS)
    await person.say("Rahmat Hidayat")
    await person.press("Lainnya")
    assert "Nama OPD" in person.last[-1].text
    await person.say("Badan Kesbangpol")
    await person.say("0812-3456-7890")
    assert "Badan Kesbangpol" in person.last[-1].text
    await person.press("✅")
    officer = Person(app, "officer")
    await agree_privacy(officer)
    await deliver(app)
    await officer.send(Choice(inbox.inbox["officer"][-1].options[0].id))
    await start_enrolment(person)
    await person.press("Benar")
    await person.press("Lainnya")
    assert "Pekerjaan apa" in person.last[-1].text
    await person.say("x")
    assert any_text(person.last, "3 sampai 80 karakter")
    await person.say("Penjahit")
    await person.say("pariaman tengah")
    await person.say("Taratak")
    await person.press("Lewati")
    await person.press("Tidak")
    assert "Penjahit" in person.last[-1].text
    await person.press("✅")
    async with app.sessions() as session:
        asn = (await session.execute(select(Asn))).scalar_one()
        worker = (await session.execute(select(Worker))).scalar_one()
    assert (asn.opd, asn.opd_other) == ("Lainnya", "Badan Kesbangpol")
    assert (worker.occupation, worker.occupation_other) == ("lainnya", "Penjahit")


async def test_consent_links_say_what_is_wrong_in_words_for_workers(app: App, inbox: RecordingChannel) -> None:
    asn = await approved_asn(app, inbox)
    await start_enrolment(asn)
    await asn.press("Benar")
    await asn.press("Nelayan")
    await asn.say("pariaman tengah")
    await asn.say("Taratak")
    await asn.say(WORKER_PHONE)
    await asn.press("Tidak")
    await asn.press("✅")
    assert any_text(asn.last, "Langkah berikutnya: persetujuan Syafrizal sendiri")
    assert not any_text(asn.last, "menunggu pendaftaran di BPJS")  # the old wording
    await deliver(app)
    token = next(r.text for r in inbox.inbox["asn"] if "start=c_" in r.text).split("start=", 1)[1].split()[0]
    stranger = Person(app, "stranger")
    await stranger.say("/start c_doesnotexist")
    assert any_text(stranger.last, "tidak dikenal") and any_text(stranger.last, "Bila Anda pekerja")
    assert not any_text(stranger.last, "NIP")  # not the ASN's notice
    worker = Person(app, "worker")
    await worker.say(f"/start {token}")
    await worker.send(Contact(WORKER_PHONE))  # their own number first (the identity issue)
    await worker.say("tidak setuju")
    assert any_text(worker.last, "persetujuan Anda tidak diberikan dan sudah kami catat")
    await worker.say(f"/start {token}")  # changed their mind: the same link still works
    await worker.send(Contact(WORKER_PHONE))
    await worker.say("setuju")
    assert any_text(worker.last, "Persetujuan Anda sudah dicatat")
    await worker.say(f"/start {token}")
    assert any_text(worker.last, "sudah tercatat sebelumnya")


def test_wordings_fixed_in_both_catalogues(app: App) -> None:
    """Issue 8 point 10: each fixed wording, so the old one cannot come back."""
    text = app.catalog.text
    for language in ("id", "en"):
        assert "skip" not in text(language, "kpj.invalid") and "lewati" not in text(language, "kpj.invalid")
        assert "form" not in text(language, "file.type") and "formulir" not in text(language, "file.type")
        assert "BPJS" not in text(language, "worker.saved").split(".")[0]
        assert text(language, "journey.consent.link_unknown") != text(language, "consent.link_invalid")
        assert "expire" in text(language, "consent.link_invalid") or "kedaluwarsa" in text(language,
                                                                                         "consent.link_invalid")
        for notification in ("officer.receipt", "officer.asn_pending", "officer.worker_ready"):  # point 6
            assert "/petugas →" in text(language, notification), (language, notification)
    assert "persetujuan" in text("id", "worker.saved") and "consent" in text("en", "worker.saved")
    assert "Saya setuju" in text("id", "consent.declined", days=14) and "I agree" in text("en", "consent.declined",
                                                                                            days=14)


def test_what_lainnya_is_and_a_differing_birth_date_are_exported(settings, clock, tmp_path, monkeypatch) -> None:
    import asyncio
    import csv

    from bot.cli.main import main
    from tests.conftest import ROOT

    async def enrol_other() -> None:
        app = App(settings, clock=clock)
        await app.prepare()
        app.add_channel(RecordingChannel())
        try:
            asn = await approved_asn(app, app.channels["console"])
            await start_enrolment(asn)
            await asn.say("18-08-1975")
            await asn.press("Ya, tanggal KTP")
            await asn.press("Lainnya")
            await asn.say("Penjahit")
            await asn.say("pariaman tengah")
            await asn.say("Taratak")
            await asn.press("Lewati")
            await asn.press("Tidak")
            await asn.press("✅")
        finally:
            await app.stop()

    asyncio.run(enrol_other())
    monkeypatch.setenv("TUWAI_DATABASE__URL", settings.database_url)
    out = tmp_path / "workers.csv"
    assert main(["--config", str(ROOT / "config.toml"), "export", "workers", "--lang", "en", "--output", str(out)]) == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        row = next(csv.DictReader(handle))
    assert (row["Occupation"], row["Occupation (other)"], row["KTP birth date differs from NIK"]) == (
        "Other", "Penjahit", "yes")
    assert row["Date of birth"] == "1975-08-18"


async def enrol_until_kecamatan(app: App, inbox: RecordingChannel) -> Person:
    asn = await approved_asn(app, inbox)
    await start_enrolment(asn)
    await asn.press("Benar")
    await asn.press("Nelayan")
    return asn


async def test_a_village_typed_under_the_wrong_kecamatan_offers_to_switch(app: App, inbox: RecordingChannel) -> None:
    asn = await enrol_until_kecamatan(app, inbox)
    await asn.say("Pariaman Utara")
    await asn.say("Karan Aur")
    prompt = asn.last[-1]
    assert "Karan Aur ada di Kecamatan Pariaman Tengah, bukan Pariaman Utara" in prompt.text
    assert "Sikapak Barat" not in [o.label for o in prompt.options]
    await asn.say("ya")
    assert "Nomor HP pekerja" in asn.last[-1].text
    await asn.press("Lewati")
    await asn.press("Tidak")
    summary = asn.last[-1].text
    assert "Kecamatan: Pariaman Tengah" in summary and "Desa/Kelurahan: Karan Aur" in summary


async def test_noise_suggests_no_village_and_suggestions_come_best_first(app: App, inbox: RecordingChannel) -> None:
    asn = await enrol_until_kecamatan(app, inbox)
    await asn.say("Pariaman Utara")
    await asn.say("kembali")
    assert any_text(asn.last, "tidak ada di kecamatan ini")
    assert not any_text(asn.last, "Maksud Anda")
    await asn.say("mangguang")
    labels = [o.label for o in asn.last[-1].options]
    assert labels[0] == "Manggung" and labels[-1] == "Lihat semua"


def test_suggestions_are_ranked_and_thresholded() -> None:
    from db.wilayah import load_wilayah
    from handlers.answers.areas import SUGGEST_SCORE

    wilayah = load_wilayah()
    utara = wilayah.desa_of("13.77.02")
    assert wilayah.match(utara, "kembali", min_score=SUGGEST_SCORE) == []
    assert wilayah.match(utara, "Karan Aur", min_score=SUGGEST_SCORE) == []
    scores = [score for _, score in wilayah.match(utara, "naras", min_score=SUGGEST_SCORE)]
    assert scores == sorted(scores, reverse=True) and scores


async def test_a_worker_who_declines_keeps_the_workers_notice_and_can_still_agree(app, inbox) -> None:
    asn = await approved_asn(app, inbox)
    await enrol_worker_fully(asn)
    await deliver(app)
    token = next(r.text for r in inbox.inbox["asn"] if "start=c_" in r.text).split("start=", 1)[1].split()[0]
    worker = Person(app, "worker")
    await worker.say(f"/start {token}")
    await worker.send(Contact(WORKER_PHONE))  # their own number first (the identity issue)
    await worker.press("Tidak setuju")
    assert any_text(worker.last, "tidak diberikan dan sudah kami catat")
    await worker.say("halo")
    assert any_text(worker.last, "Halo, Syafrizal") and not any_text(worker.last, "NIP")
    await worker.say("1")  # "Saya setuju"
    assert any_text(worker.last, "Persetujuan Anda sudah dicatat")
    await deliver(app)
    declined = [r for r in inbox.inbox["asn"] if "belum memberikan persetujuan" in r.text]
    assert len(declined) == 1


async def enrol_worker_fully(asn: Person) -> None:
    await start_enrolment(asn)
    await asn.press("Benar")
    await asn.press("Nelayan")
    await asn.say("pariaman tengah")
    await asn.say("Taratak")
    await asn.say(WORKER_PHONE)
    await asn.press("Tidak")
    await asn.press("✅")
