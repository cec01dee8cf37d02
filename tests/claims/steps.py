"""Claim steps on the console path: a sponsored worker with a ledger, a death reported by the family or the
sponsor, the documents, the officer accepting the death, a claim submitted, a claim followed from another chat."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlalchemy import select, update

from bot.app import App
from db.models import Chat, Claim, Contribution, Sponsorship, Worker
from db.rules.months import Month
from handlers.engine.types import Choice, Contact
from tests.people import JPEG, NIK_MALE, Person, RecordingChannel, agree_privacy, any_text
from tests.seed import seed_sponsorships

WORKER_NAME = "Syafrizal Rahman"
HEIR_PHONE = "+6281298765432"  # Yusnidar's, the heir recorded at enrolment (and the family's reporter)
REFERENCE = "KLM-2026-000001"  # the first claim's
PDF = b"%PDF-1.4\n" + b"1" * 300
JKM_DOCS = ("Kartu peserta", "KTP pekerja", "KTP ahli waris", "Akta kematian", "Kartu Keluarga", "Surat ket.",
            "Buku tabungan")  # the checklist of a death not at work (config.toml), as its buttons read


async def seed_worker(app: App, *, start: date, paid_through: Month | None, address_base: int = 100_000,
                      channel: str = "console", nik: str = NIK_MALE, name: str = WORKER_NAME) -> tuple[int, str]:
    """An approved ASN (address str(address_base)) sponsoring an active worker; months paid through `paid_through`.
    Returns (sponsorship id, the ASN's address)."""
    async with app.sessions() as session, session.begin():
        [sponsorship_id] = await seed_sponsorships(session, 1, start=start, channel=channel, address_base=address_base)
        sponsorship = await session.get(Sponsorship, sponsorship_id)
        await session.execute(update(Worker).where(Worker.id == sponsorship.worker_id).values(
            nik=nik, name=name, heir_name="Yusnidar", heir_relation="spouse", heir_phone=HEIR_PHONE))
        rules = app.core.rules
        for month in Month.of(start).until(max(paid_through or Month.of(start), Month(2026, 12))):
            paid = paid_through is not None and month <= paid_through
            session.add(Contribution(sponsorship_id=sponsorship_id, period=month, amount=16_800,
                                     due_date=rules.due(month), status="paid" if paid else "due",
                                     paid_on=rules.due(month) if paid else None, source="import" if paid else None))
    return sponsorship_id, str(address_base)


async def report_death(person: Person, *, nik: str = NIK_MALE, pick: str = "S. R.", when: str = "kemarin",
                       place: str = "Di rumah", description: str = "Sakit jantung, meninggal di rumah pada malam hari.",
                       confirm: bool = True, as_heir: bool = False) -> None:
    """The family reports a death not at work of the worker with `nik` (listed masked as `pick`); `as_heir`: sharing
    their own contact, whose number is the heir's recorded at enrolment (so they read the worker's own estimate);
    else the number is typed (it vouches for nothing)."""
    await agree_privacy(person)
    await person.press("Laporkan musibah")
    await person.press("Laporkan musibah")
    assert any_text(person.last, "data pribadi yang bersifat spesifik")  # the reporter's own notice
    await person.press("Setuju")
    await person.press("Dengan NIK")
    await person.say(nik)
    await person.press(pick)
    await person.press("Meninggal, bkn kerja")
    await person.say(when)
    await person.say(place)
    await person.say(description)
    await person.say("Yusnidar")
    await person.press("Istri / suami")
    await (person.send(Contact(HEIR_PHONE)) if as_heir else person.say("0812-9876-5432"))
    await person.press("Ya")
    if confirm:
        await person.press("✅")


async def start_report(person: Person, nik: str = NIK_MALE, *, pick: str = "S. R.", newcomer: bool = True) -> None:
    """A newcomer agrees to the privacy notice (not if `newcomer` is False); /klaim, «Laporkan musibah», the claim
    notice agreed, the worker found by NIK (as typed) and picked (`pick`, masked): what happened is asked next."""
    if newcomer:
        await agree_privacy(person)
    await person.say("/klaim")
    await person.press("Laporkan musibah")
    await person.press("Setuju")
    await person.press("Dengan NIK")
    await person.say(nik)
    await person.press(pick)


async def report_as_sponsor(sponsor: Person, *, when: str) -> None:
    """The sponsoring ASN reports their own worker's death: they read the full estimate from the ledger."""
    await sponsor.say("/klaim")
    await sponsor.press("Laporkan musibah")
    await sponsor.press("Setuju")
    await sponsor.press("Pekerja: Syafrizal")
    await sponsor.press("Meninggal, bkn kerja")
    for answer in (when, "Di rumah", "Sakit jantung."):
        await sponsor.say(answer)
    await sponsor.press("Penjamin (ASN)")
    await sponsor.press("Tidak")
    await sponsor.press("✅")


async def send_documents(person: Person, channel: RecordingChannel, labels: tuple[str, ...], salt: str = "") -> None:
    """One photo for each document of the checklist named (each different, so none is taken for a repeat)."""
    for number, label in enumerate(labels):
        await person.press(label)
        await person.upload(channel, JPEG + f"{salt}{label}{number}".encode())
        assert any_text(person.last, "Diterima"), person.text


async def accept_death(officer: Person, claim_id: int = 1) -> None:
    """The officer has seen the death certificate and accepts the death on the date reported."""
    await officer.send(Choice(f"!klm.dead:{claim_id}"))
    await officer.press("Sesuai laporan")
    await officer.press("✅")


class Submitted(NamedTuple):
    family: Person  # "family", who reported with phone 0812-9876-5432 in the report
    asn: str  # the sponsoring ASN's address
    sponsorship_id: int


async def submit_death_claim(app: App, inbox: RecordingChannel, *, paid_through: Month = Month(2026, 12)
                             ) -> Submitted:
    """A death of the worker seeded (cover from June 2026, paid through `paid_through`) reported by "family" with
    every document, and submitted."""
    sponsorship_id, asn = await seed_worker(app, start=date(2026, 6, 1), paid_through=paid_through)
    family = Person(app, "family")
    await report_death(family)
    await send_documents(family, inbox, JKM_DOCS)
    await family.press("Kirim klaim")
    assert any_text(family.last, REFERENCE)
    return Submitted(family, asn, sponsorship_id)


async def ask_to_follow(person: Person, typed: str) -> None:
    """/klaim, «Status / ikuti klaim», then a reference as typed."""
    await person.say("/klaim")
    await person.press("Status / ikuti klaim")
    await person.say(typed)


async def reporter_address(app: App) -> str:
    """The address of the chat the (only) claim is followed from."""
    async with app.sessions() as session:
        claim = (await session.execute(select(Claim))).scalar_one()
        chat = await session.get(Chat, claim.reporter_chat_id)
    return chat.address
