"""Fixes from the fresh-eyed trial (reports/trial1.md), each through the path a person takes."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.app import App
from bot.cli.main import main
from db import standing
from db.models import Contribution, Receipt, RosterEntry, Worker
from db.rules.months import Month
from handlers.engine.types import Choice, Contact
from tests.conftest import Clock
from tests.people import JPEG, NIK_MALE, Person, agree_privacy, any_text
from tests.test_claims import report_death, seed_worker
from tests.test_cli import config  # noqa: F401 (a fixture)
from tests.test_cli import rows as cli_rows
from tests.test_contributions import at, rows, seed, tick
from tests.test_flows import approved_asn, deliver, enrol
from tests.test_officer_journeys import a_receipt_waiting, worker_ready_for_kpj


async def record_kpj(app: App, start: str) -> Person:
    officer = Person(app, "officer")
    await officer.say("/petugas")
    await officer.press("Menunggu BPJS")
    await officer.press("Catat KPJ #1")
    await officer.say("2301 2345 678")
    await officer.say(start)
    await officer.press("✅")
    assert any_text(officer.last, "tersimpan; pekerja aktif")
    return officer


async def test_a_new_worker_owes_nothing_until_the_first_due_date_after_activation(app, inbox, clock: Clock) -> None:
    """Trial item 4: BPJS start 1 Nov, KPJ recorded 22 Nov: November (regularly due 16 Nov) is due 15 Dec, so the
    sponsor is not late before then. Issue 18 item 7: but November unpaid is not protected (cover follows the money):
    the status is "in arrears" with 0 months late, and "Pekerja saya" says "not protected" (it said protected)."""
    asn = await worker_ready_for_kpj(app, inbox)
    officer = await record_kpj(app, "01-11-2026")
    async with app.sessions() as session:
        worker = (await session.execute(select(Worker))).scalar_one()
        assert worker.first_due == date(2026, 12, 15)
        state = (await standing.standings(session, [worker.id], today=date(2026, 11, 22), rules=app.core.rules))
        assert state[worker.id] == standing.Standing("in_arrears", 0)
    await asn.say("/menu")
    await asn.press("Pekerja saya")
    assert any_text(asn.last, "November 2026, Rp8.400, jatuh tempo 15 Desember 2026")
    assert any_text(asn.last, "TIDAK terlindungi ⚠️ (iuran belum dibayar: November 2026)")
    assert any_text(asn.last, "Cara bayar: Bayar lewat aplikasi JMO")  # trial item 18, from config.toml
    await officer.say("/tunggakan")
    assert not any_text(officer.last, "1 bulan")
    # The ledger: both months due 15 Dec; the ASN is reminded a week before, and nobody is late until then.
    await tick(app, clock, at(date(2026, 12, 8)))
    ledger = {row.period: row.due_date for row in await rows(app, Contribution)}
    assert ledger == {Month(2026, 11): date(2026, 12, 15), Month(2026, 12): date(2026, 12, 15)}
    reminder = inbox.inbox["asn"][-1].text
    assert "bulan Desember 2026" in reminder and "15 Desember 2026" in reminder and "Cara bayar" in reminder
    assert "Bulan November 2026 juga jatuh tempo 15 Desember 2026" in reminder  # both months, before they fall due
    async with app.sessions() as session:
        on_first_due = await standing.figures(session, today=date(2026, 12, 15), rules=app.core.rules)
        assert (on_first_due["workers_active"], on_first_due["arrears_months"]) == (0, 0)
        late = await standing.standings(session, [worker.id], today=date(2026, 12, 16), rules=app.core.rules)
        assert late[worker.id] == standing.Standing("in_arrears", 2)


async def test_menunggu_bpjs_counts_only_workers_an_officer_can_register(app, inbox) -> None:
    """Trial item 7: a worker still waiting for their own consent is not in "Menunggu BPJS", as in Statistik."""
    asn = await approved_asn(app, inbox)
    await enrol(asn)
    officer = Person(app, "officer")
    await officer.say("/petugas")
    assert "Menunggu BPJS (0)" in [o.label for o in officer.last[-1].options]
    await officer.press("Statistik")
    assert any_text(officer.last, "menunggu BPJS: 0")
    await officer.say("/menu")
    async with app.sessions() as session:
        worker = (await session.execute(select(Worker))).scalar_one()
    await asn.send(Choice(f"!w.paper:{worker.id}"))
    await asn.upload(inbox, JPEG)
    await asn.press("✅")
    await officer.send(Choice(f"!cf.ok:{worker.id}"))  # a paper form counts once an officer accepts it
    await officer.say("/petugas")
    assert "Menunggu BPJS (1)" in [o.label for o in officer.last[-1].options]
    await officer.press("Statistik")
    assert any_text(officer.last, "menunggu BPJS: 1")


async def start_worker_form(asn: Person) -> None:
    await asn.say("/menu")
    await asn.press("Daftarkan pekerja")
    await asn.say(NIK_MALE)
    await asn.say("Syafrizal")
    await asn.press("Benar")
    await asn.press("Nelayan")


async def test_ya_takes_the_one_suggested_kecamatan_and_a_clear_word_needs_no_question(app, inbox) -> None:
    """Trial item 8."""
    asn = await approved_asn(app, inbox)
    await start_worker_form(asn)
    await asn.say("pariaman tengh")
    assert "Maksud Anda" in asn.last[-1].text
    await asn.say("ya")
    assert "Pariaman Tengah" in asn.last[-1].text and "Desa" in asn.last[-1].text  # the desa question
    await asn.say("/menu")
    await start_worker_form(asn)
    await asn.say("utara")  # one kecamatan only has that word
    assert "Maksud Anda" not in asn.last[-1].text and "Pariaman Utara" in asn.last[-1].text
    await asn.say("/menu")
    await start_worker_form(asn)
    await asn.say("pariaman")  # four kecamatan: still asked
    assert "Maksud Anda" in asn.last[-1].text


async def test_ya_and_ok_save_a_summary_and_tidak_cancels_it(app, inbox) -> None:
    """Trial item 11: yes words choose "Simpan", no words "Batal", on a form's summary and on a confirmation."""
    asn = await approved_asn(app, inbox)
    await start_worker_form(asn)
    await asn.say("pariaman tengah")
    await asn.say("Taratak")
    await asn.press("Lewati")
    await asn.press("Tidak")
    assert "Simpan" in [o.label for o in asn.last[-1].options][0]
    await asn.say("tidak")
    assert any_text(asn.last, "Dibatalkan")
    await start_worker_form(asn)
    await asn.say("pariaman tengah")
    await asn.say("Taratak")
    await asn.press("Lewati")
    await asn.press("Tidak")
    await asn.say("oke")
    async with app.sessions() as session:
        assert (await session.execute(select(Worker.name))).scalar_one() == "Syafrizal"


async def test_ya_confirms_rejecting_a_receipt(app, inbox, clock) -> None:
    """Trial item 11: "Tolak bukti bayar ini dengan alasan berikut?" answered `ya`."""
    await a_receipt_waiting(app, inbox, clock)
    officer = Person(app, "officer")
    await agree_privacy(officer)
    await officer.say("/petugas")
    await officer.press("Bukti bayar")
    await officer.press("Tolak #1")
    await officer.press("Foto tidak terbaca")
    assert "Tolak bukti bayar ini" in officer.last[-1].text
    await officer.say("ya")
    assert any_text(officer.last, "ditolak; ASN diberi tahu alasannya")
    assert {row.status for row in await rows(app, Receipt)} == {"rejected"}


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
    officer = Person(app, "officer")
    await officer.say("/petugas")
    await officer.press("Menunggu BPJS")
    await officer.press("Catat KPJ #1")
    await officer.say("2301 2345 678")
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


async def test_the_start_date_range_names_the_day_it_is_counted_from(app, inbox, clock: Clock) -> None:
    """Trial item 22: the earliest date is 31 days before the enrolment, and the error says so with both dates."""
    await worker_ready_for_kpj(app, inbox)
    officer = Person(app, "officer")
    await officer.say("/petugas")
    await officer.press("Menunggu BPJS")
    await officer.press("Catat KPJ #1")
    await officer.say("2301 2345 678")
    await officer.say("01-01-2026")
    assert any_text(officer.last, "antara 22 Oktober 2026 (31 hari sebelum pendaftaran pekerja, 22 November 2026)")


async def test_the_pending_asn_list_shows_the_typed_opd_and_help_lists_the_commands(app, inbox) -> None:
    """Trial items 23 and 24."""
    person = Person(app, "newasn")
    await agree_privacy(person)
    await person.say("/bantuan")
    assert any_text(person.last, "/klaim") and not any_text(person.last, "/petugas")
    await person.say("daftar")
    await person.say("199001012015031002")
    await person.say("Rina Marlina")
    await person.say("lainnya")
    await person.say("Dinas Pariwisata")
    await person.say("0812-3456-7000")
    await person.press("✅")
    officer = Person(app, "officer")
    await agree_privacy(officer)
    await officer.say("/bantuan")
    assert any_text(officer.last, "/petugas") and any_text(officer.last, "/tunggakan")
    await officer.say("/petugas")
    await officer.press("ASN menunggu")
    assert "Dinas Pariwisata (Lainnya)" in officer.last[-1].text


async def test_a_stranger_opening_a_used_consent_link_is_not_told_your_consent(app, inbox) -> None:
    """Trial item 15."""
    asn = await approved_asn(app, inbox)
    await enrol(asn)
    await deliver(app)
    token = next(r.text for r in inbox.inbox["asn"] if "start=c_" in r.text).split("start=", 1)[1].split()[0]
    worker = Person(app, "worker")
    await worker.say(f"/start {token}")
    await worker.send(Contact("+62 813 7777 6666"))  # their own number (none on file: an officer confirms)
    await worker.press("Saya setuju")
    await Person(app, "officer").send(Choice("!cf.ok:1"))
    await worker.say(f"/start {token}")
    assert any_text(worker.last, "Persetujuan Anda sudah tercatat sebelumnya")  # the worker, again
    stranger = Person(app, "stranger")
    await stranger.say(f"/start {token}")
    assert not any_text(stranger.last, "Persetujuan Anda") and any_text(stranger.last, "sudah dipakai")


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


async def test_the_first_notice_is_general_and_the_asn_part_comes_with_registration(app) -> None:
    """Trial item 13 (first half): family, strangers and officers are not told "your NIP and OPD"."""
    person = Person(app, "family")
    await person.say("halo")
    notice = person.last[-1].text
    assert "Pemberitahuan privasi" in notice and "NIP" not in notice and "OPD" not in notice
    assert "Keluarga yang melaporkan musibah" in notice
    await person.press("Saya setuju")
    await person.press("Daftar sebagai ASN")
    assert any_text(person.last, "Yang dicatat: NIP (atau NI PPPK), nama, OPD dan nomor HP Anda")


def test_a_roster_row_with_an_invalid_optional_phone_is_imported_without_it(config, db_url, tmp_path, capsys) -> None:
    """Trial item 25: `08123` does not reject the whole row; the report says the phone was left out."""
    roster = tmp_path / "roster.csv"
    roster.write_text("NIP;Nama;OPD;No HP\n198503172010011002;Rahmat Hidayat;Dinsos;08123\n"
                      "199001012015012003;Siti Rahma;Dinkes;0812-3456-7000\n")
    assert main(["--config", str(config), "import", "roster", str(roster)]) == 0
    out = " ".join(capsys.readouterr().err.split())
    assert "2 row(s) imported" in out and "0 refused" in out
    assert "line 2: Imported without the phone number: «08123»" in out
    assert {r.nip for r in cli_rows(db_url, RosterEntry)} == {"198503172010011002", "199001012015012003"}


async def test_a_reactivated_membership_owes_nothing_before_its_new_first_due_date(app, inbox, clock: Clock) -> None:
    """Trial item 4, for a lapsed sponsorship reactivated on 20 Nov from that day: November is due 15 Dec. Issue 18
    item 7: November unpaid, the worker is not protected (in arrears, 0 months late; it said active)."""
    await seed(app, start=date(2026, 8, 1))
    for day in (date(2026, 9, 16), date(2026, 10, 8), date(2026, 10, 16)):
        await tick(app, clock, at(day))
    clock.now = at(date(2026, 11, 20))
    officer = Person(app, "officer")
    await agree_privacy(officer)
    await officer.say("/petugas")
    await officer.press("Kepesertaan berakhir (1)")
    await officer.press("Aktifkan #1")
    await officer.say("1234 5678 901")
    await officer.press("Hari ini")
    await officer.press("✅")
    assert any_text(officer.last, "aktif lagi")
    await tick(app, clock, at(date(2026, 11, 21)))
    november = [row for row in await rows(app, Contribution) if row.period == Month(2026, 11)]
    assert [row.due_date for row in november] == [date(2026, 12, 15)]
    async with app.sessions() as session:
        worker = (await session.execute(select(Worker))).scalar_one()
        state = await standing.standings(session, [worker.id], today=date(2026, 11, 21), rules=app.core.rules)
    assert state[worker.id] == standing.Standing("in_arrears", 0)


async def test_a_claim_for_a_new_worker_follows_the_money_not_the_first_due_date(app, inbox, clock: Clock) -> None:
    """Trial item 4 made this death covered (Rp10 jt) because November's first due date (15 Dec) was ahead. Issue 18
    item 7: BPJS start 1 Nov, KPJ recorded 22 Nov, nothing paid, a death on 21 Nov (after November's regular due
    date, 16 Nov): November is unpaid, so no amount is promised; BPJS decides."""
    await seed_worker(app, start=date(2026, 11, 1), paid_through=None)
    async with app.sessions() as session, session.begin():
        worker = (await session.execute(select(Worker))).scalar_one()
        worker.first_due = app.core.rules.first_due(date(2026, 11, 22))
    family = Person(app, "family")
    await report_death(family, when="kemarin", as_heir=True)
    assert not any_text(family.last, "Rp10.000.000") and any_text(family.last, "tidak terlindungi")
    assert any_text(family.last, "belum dibayar sampai tanggal itu: November 2026")
