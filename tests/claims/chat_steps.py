"""Claim steps in a chat, written once for Telegram and WhatsApp (tests/chat_people.py): a death reported, the
documents sent, a claim opened by an officer; and the app on the Telegram stand-in on the test's clock."""

from __future__ import annotations

from pathlib import Path

from bot.app import App
from tests.chat_people import ChatPerson, agree
from tests.claims.steps import HEIR_PHONE
from tests.conftest import Clock
from tests.people import JPEG, NIK_MALE
from tests.standins.apps import start_app, telegram_settings
from tests.standins.telegram import TelegramStandin

PDF = b"%PDF-1.4\n" + b"5" * 300


async def find_worker_in_chat(person: ChatPerson) -> None:
    """A newcomer agrees to the privacy notice, opens the claims menu, agrees to the claim notice and finds the worker
    with NIK_MALE (listed masked): what happened is asked next."""
    await agree(person)
    await person.press("Laporkan musibah / klaim" if person.channel == "telegram" else "Laporkan musibah",
                       "Laporan musibah dan klaim")
    await person.press("Laporkan musibah", "bersifat spesifik")
    await person.press("Setuju", "Cari dengan NIK")
    await person.press("Dengan NIK", "Ketik NIK")
    await person.say(NIK_MALE, "Pekerja yang cocok")
    await person.press("S. R. …0003", "Apa yang terjadi")


async def report_death_in_chat(person: ChatPerson, *, name: str = "Yusnidar", relation: str = "Istri / suami",
                               description: str = "Sakit jantung pada malam hari.", phone: str | None = None,
                               heir: bool = True, saved: str = "Buku nikah (bila ada)") -> None:
    """A newcomer reports the death not at work of the worker with NIK_MALE. With no `phone`, the reporter shares
    their own number (HEIR_PHONE, the heir's on file); else it is typed. Ends at the reply to «Simpan» (`saved`: by
    default the checklist, after the rules in general terms)."""
    await find_worker_in_chat(person)
    await person.press("Meninggal, bkn kerja", "Kapan")
    await person.say("kemarin", "Di mana")
    await person.say("Di rumah", "Ceritakan")
    await person.say(description, "Nama Anda")
    await person.say(name, "hubungan Anda")
    await person.press(relation, "Nomor HP Anda")
    if phone is None:
        person.share_contact(HEIR_PHONE.lstrip("+"))  # WhatsApp vouches for their own number, Telegram too
        await person.expect("Apakah Anda ahli warisnya")
    else:
        await person.say(phone, "ahli waris")
    await person.press("Ya" if heir else "Tidak", "Periksa laporan musibah")
    await person.press("Simpan", saved)


async def send_documents_in_chat(person: ChatPerson, labels: tuple[str, ...], *, salt: str = "",
                                 pdf_every_other: bool = False) -> None:
    """Each document of the checklist named as a photo (with `pdf_every_other`, every second one as a PDF)."""
    for number, label in enumerate(labels):
        await person.press(label, "Kirim foto atau PDF")
        if pdf_every_other and number % 2:
            person.send_file(PDF + f"{salt}{label}".encode(), f"{label}.pdf")
        else:
            person.send_photo(JPEG + f"{salt}{label}".encode())
        await person.expect("Diterima")


async def open_claim(officer: ChatPerson, todo: str = "Klaim (1)") -> None:
    """/petugas, the claims' entry of the to-do list, «Buka #1»: the claim, its documents sent first as files."""
    await officer.say("/petugas", "Menu petugas")
    await officer.press(todo, "Klaim yang menunggu")
    await officer.press("Buka #1", "Tindakan untuk klaim ini", timeout=60)


async def report_death_as_other(person: ChatPerson, *, name: str, saved: str = "Nomor klaim Anda") -> None:
    """Someone not of the family (a neighbour, a stranger) reports the death, typing their number; not the heir."""
    await report_death_in_chat(person, name=name, relation="Lainnya (tetangga dll.)",
                               description="Meninggal mendadak di rumah.", phone="0813-1111-2222", heir=False,
                               saved=saved)


async def start_on_telegram(db_url: str, tmp_path: Path, telegram: TelegramStandin, clock: Clock) -> App:
    """The app on the Telegram stand-in, on the test's clock; the heartbeat runs only when the test calls it."""
    return await start_app(telegram_settings(db_url, tmp_path, telegram, scheduler={"heartbeat_seconds": 3600}),
                           clock=clock)
