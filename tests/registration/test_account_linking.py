"""Issue 18.5: an ASN's account cannot be taken over from WhatsApp. Over real HTTP, against the WhatsApp Cloud API
and Telegram Bot API stand-ins in one App: an attacker on WhatsApp types the NIP of an ASN registered on Telegram,
from one number twelve times and from twenty numbers; codes are limited per number and per ASN, wrong codes from
all numbers lock linking and tell an officer, who lifts the lock; «Bukan saya» revokes the code; the right code
alone links nothing until the registered chat allows it; and the real ASN still links WhatsApp and moves their
reminders there when they say so from Telegram, then acts on either channel (handlers/registration/link.py,
one_time_code.py, code_guard.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import App
from db.models import Asn, AuditEntry, Chat, ChatLink, RosterEntry, Worker
from handlers.engine.masking import mask_phone
from tests.chat_people import TgPerson, WaPerson, agree, enrol, register
from tests.conftest import Clock
from tests.people import NIP_PNS
from tests.records import rows
from tests.standins.apps import WHATSAPP_OFFICER as OFFICER
from tests.standins.apps import start_app, telegram_section, whatsapp_settings
from tests.standins.telegram import TelegramStandin
from tests.standins.whatsapp import WhatsAppStandin

UNKNOWN_NIP = "199001012015032001"  # well formed, nobody's
SENT = "kode 6 angka sudah dikirim"  # the answer to any NIP, registered or not, code sent or withheld
CHAT_LIMIT = "sudah meminta beberapa kode"
CODE_FOR_ASN = "kode untuk menghubungkan"  # the message with the code, in the ASN's Telegram chat


@pytest.fixture
async def app(db_url: str, tmp_path: Path, whatsapp: WhatsAppStandin, telegram: TelegramStandin, clock: Clock):
    """One App on both channels, an officer on WhatsApp, on a clock the test moves; messages to one person are not
    spaced a second apart, and the stand-in's pair rate is lifted (the throughput limits and their retries, at a
    time on the app's clock, which stands still here, are tested in
    tests/channels/whatsapp/test_outbox_over_whatsapp.py)."""
    whatsapp.pair_burst = 10_000
    settings = whatsapp_settings(db_url, tmp_path, whatsapp, officers={"whatsapp": [OFFICER]},
                                 whatsapp={"per_person_per_second": 20.0},
                                 outbox={"telegram_per_chat_per_second": 20.0},
                                 scheduler={"heartbeat_seconds": 3600}, telegram=telegram_section(telegram))
    app = await start_app(settings, clock=clock, whatsapp=whatsapp)
    async with app.sessions() as session, session.begin():
        session.add(RosterEntry(nip=NIP_PNS, name="Rahmat Hidayat", opd="Dinas Sosial"))
    yield app
    await app.stop()


@pytest.fixture
async def asn(app: App, telegram: TelegramStandin) -> TgPerson:
    """The ASN, registered on Telegram, sponsoring one worker."""
    person = TgPerson(telegram, 4242)
    await register(person)
    await enrol(person)
    await person.expect("Tautan persetujuan")
    return person


async def home_channel(app: App) -> str:
    return (await rows(app, select(Chat.channel).join(Asn, Asn.chat_id == Chat.id)))[0][0]


async def linked_channels(app: App) -> list[str]:
    return [c for c, in await rows(app, select(Chat.channel).join(ChatLink, ChatLink.chat_id == Chat.id))]


async def ask_for_code(person: WaPerson, nip: str = NIP_PNS) -> str:
    """«Hubungkan akun», the NIP: the bot's answer."""
    await person.press("Hubungkan akun", "Ketik NIP")
    return (await person.say(nip, "kode"))["text"]


async def guess_five(person: WaPerson) -> None:
    for left in (4, 3, 2, 1):
        await person.say("000000", f"Sisa percobaan: {left}")
    await person.say("000000", "Terlalu banyak percobaan")


def codes_sent(asn: TgPerson) -> list[dict[str, Any]]:
    return [m for m in asn.standin.messages_to(asn.id) if CODE_FOR_ASN in (m.get("text") or "")]


def code_in(message: dict[str, Any]) -> str:
    found = re.search(r"Kodenya: (\d{6})", message["text"])
    assert found is not None, message["text"]
    return found.group(1)


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


async def tap(person: TgPerson, message: dict[str, Any], label: str, expect: str) -> dict[str, Any]:
    """Press a button on an earlier message (not only the latest one)."""
    person.standin.press(person.id, label, message_id=message["message_id"])
    return await person.expect(expect)


async def unlock_from_todo(officer: WaPerson) -> None:
    await officer.say("/petugas", "Menu petugas")
    await officer.press("Kode dikunci (1)", "Kode yang dikunci")
    await officer.press("Buka kunci 1", "Kunci dibuka: ASN Rahmat Hidayat")


@pytest.mark.standin_seed(whatsapp=18, telegram=19)
async def test_twelve_rounds_from_one_number_are_limited_and_lock_linking(app, asn, whatsapp, clock) -> None:
    officer = WaPerson(whatsapp, OFFICER)
    await agree(officer)
    attacker = WaPerson(whatsapp, "6285399998888")
    await agree(attacker)
    answers = []
    for _ in range(12):
        answer = await ask_for_code(attacker)
        answers.append(answer)
        if SENT in answer:
            await guess_five(attacker)
    assert [SENT in a for a in answers] == [True] * 3 + [False] * 9
    assert all(CHAT_LIMIT in a for a in answers[3:])
    # Ten wrong codes locked linking in round 2: round 3's code was withheld, with the same answer.
    assert len(codes_sent(asn)) == 2
    assert "+62853*****888" in codes_sent(asn)[0]["text"]
    await asn.expect("berkali-kali mengetik kode yang salah")
    notice = await officer.expect("Kode dikunci: ASN Rahmat Hidayat (NIP 1985**********1002)")
    assert "kode salah diketik berkali-kali" in notice["text"]
    assert [c["title"] for c in notice["choices"]] == ["Buka kunci"]
    assert await home_channel(app) == "telegram" and await linked_channels(app) == []
    # An hour later the number may ask again: still the same words, and still no code while it is locked.
    clock.advance(hours=1, minutes=1)
    assert SENT in await ask_for_code(attacker)
    assert len(codes_sent(asn)) == 2
    refused = await rows(app, select(AuditEntry.details).where(AuditEntry.action == "code_withheld"))
    assert [details["reason"] for details, in refused] == ["locked", "locked"]


@pytest.mark.standin_seed(whatsapp=18, telegram=19)
async def test_twenty_numbers_get_three_codes_and_only_the_newest_works(app, asn, whatsapp) -> None:
    officer = WaPerson(whatsapp, OFFICER)
    await agree(officer)
    attackers = [WaPerson(whatsapp, f"628539999{n:04d}") for n in range(20)]
    answers = []
    for attacker in attackers:
        await agree(attacker)
        answers.append(await ask_for_code(attacker))
    stranger = WaPerson(whatsapp, "6285377776666")
    await agree(stranger)
    nobody = await ask_for_code(stranger, UNKNOWN_NIP)
    assert set(answers) == {nobody} and SENT in nobody  # nobody learns whose NIP is registered, or limited
    await whatsapp.wait_until(lambda: len(codes_sent(asn)) >= 3)
    sent = codes_sent(asn)
    assert len(sent) == 3 and [mask_phone(f"+{a.phone}") in m["text"] for a, m in zip(attackers, sent)] == [True] * 3
    # The first number's own code was replaced by the two asked for after it: it is just a wrong code now.
    await attackers[0].say(code_in(sent[0]), "Sisa percobaan: 4")
    for attacker in attackers[1:]:
        await attacker.say("000000" if attacker is not attackers[2] else wrong(code_in(sent[2])), "Sisa percobaan")
    notice = await officer.expect("Kode dikunci: ASN Rahmat Hidayat")
    await asn.expect("berkali-kali mengetik kode yang salah")
    # Locked: the newest code, typed by the number it was meant for, does not work either.
    await attackers[2].say(code_in(sent[2]), "Sisa percobaan: 3")
    assert await home_channel(app) == "telegram" and await linked_channels(app) == []
    assert sum("Kode dikunci" in text for text in officer.texts()) == 1 and notice["choices"]
    wrong_codes = await rows(app, select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "code_wrong", AuditEntry.target.like("asn:%")))
    assert wrong_codes[0][0] == 21


@pytest.mark.standin_seed(whatsapp=18, telegram=19)
async def test_not_me_revokes_the_code_and_an_officer_lifts_the_lock(app, asn, whatsapp) -> None:
    officer = WaPerson(whatsapp, OFFICER)
    await agree(officer)
    attacker = WaPerson(whatsapp, "6285399998888")
    await agree(attacker)
    assert SENT in await ask_for_code(attacker)
    message = await asn.expect(CODE_FOR_ASN)
    assert "WhatsApp (nomor +62853*****888)" in message["text"]
    await tap(asn, message, "Bukan saya", "petugas sudah diberi tahu")
    notice = await officer.expect("Kode dikunci: ASN Rahmat Hidayat")
    assert "«Bukan saya»" in notice["text"]
    await attacker.say(code_in(message), "Sisa percobaan: 4")  # the code was revoked
    await attacker.say("batal", "Menu utama")
    assert SENT in await ask_for_code(attacker)
    assert len(codes_sent(asn)) == 1  # locked: no new code
    # The officer sees the lock in the to-do list and lifts it; the ASN hears so, and codes flow again.
    await unlock_from_todo(officer)
    await asn.expect("Petugas sudah membuka kunci")
    await attacker.say("batal", "Menu utama")
    assert SENT in await ask_for_code(attacker)
    await asn.expect(CODE_FOR_ASN)
    assert len(codes_sent(asn)) == 2
    actions = [a for a, in await rows(app, select(AuditEntry.action).where(AuditEntry.target.like("asn:%"))
                                      .order_by(AuditEntry.id))]
    assert actions.index("code_locked") < actions.index("code_unlocked")


@pytest.mark.standin_seed(whatsapp=18, telegram=19)
async def test_the_right_code_alone_links_nothing_until_the_registered_chat_allows_it(app, asn, whatsapp) -> None:
    """The code talked out of the ASN ("I sent you a code by mistake"): the attacker still sees nothing."""
    officer = WaPerson(whatsapp, OFFICER)
    await agree(officer)
    attacker = WaPerson(whatsapp, "6285399998888")
    await agree(attacker)
    await ask_for_code(attacker)
    await attacker.say(code_in(await asn.expect(CODE_FOR_ASN)), "tekan «Ya, hubungkan»")
    menu = await attacker.say("menu", "Menu utama")
    assert "Rahmat" not in menu["text"] and "Hubungkan akun" in str(menu["choices"])
    assert await home_channel(app) == "telegram" and await linked_channels(app) == []
    ask = await asn.expect("sudah mengetik kode yang benar")
    assert [b for b, _ in asn.standin.buttons(ask["message"])] == ["Ya, hubungkan", "Ya, jadikan utama",
                                                                    "Bukan saya"]
    await tap(asn, ask, "Bukan saya", "petugas sudah diberi tahu")
    await officer.expect("Kode dikunci: ASN Rahmat Hidayat")
    await tap(asn, ask, "Ya, hubungkan", "sedang dikunci")  # changed their mind later: locked, ask an officer
    assert await linked_channels(app) == []


@pytest.mark.standin_seed(whatsapp=18, telegram=19)
async def test_a_real_asn_links_whatsapp_and_moves_reminders_when_they_confirm(app, asn, whatsapp) -> None:
    me = WaPerson(whatsapp, "6281234567890")
    await agree(me)
    await ask_for_code(me)
    message = await asn.expect(CODE_FOR_ASN)
    await tap(asn, message, "Ini saya", "Ketik kode itu")
    await me.say(code_in(message), "tekan «Ya, hubungkan»")
    ask = await asn.expect("sudah mengetik kode yang benar")
    linked = await tap(asn, ask, "Ya, hubungkan", "WhatsApp sudah terhubung")
    await me.expect("terhubung dengan akun ASN Rahmat Hidayat. Pengingat dan pemberitahuan tetap dikirim ke Telegram")
    await me.say("menu", "ASN terdaftar: Rahmat")
    assert await home_channel(app) == "telegram" and await linked_channels(app) == ["whatsapp"]
    # «Putuskan»: WhatsApp no longer acts as the ASN.
    await tap(asn, linked, "Putuskan", "tidak lagi terhubung")
    await me.expect("Chat ini tidak lagi terhubung")
    menu = await me.say("menu", "Menu utama")
    assert "Hubungkan akun" in str(menu["choices"])
    assert await linked_channels(app) == []
    # Again, and this time reminders move to WhatsApp: only now does the registered chat change.
    await ask_for_code(me)
    await me.say(code_in(await asn.expect(CODE_FOR_ASN)), "tekan «Ya, hubungkan»")
    assert await home_channel(app) == "telegram"
    await tap(asn, await asn.expect("sudah mengetik kode yang benar"), "Ya, jadikan utama",
              "sekarang dikirim ke WhatsApp")
    await me.expect("dikirim ke chat ini")
    assert await home_channel(app) == "whatsapp" and await linked_channels(app) == ["telegram"]
    await asn.say("/menu", "ASN terdaftar: Rahmat")  # Telegram still works, as a linked chat


@pytest.mark.standin_seed(whatsapp=5)
async def test_an_asn_registered_on_telegram_links_whatsapp(db_url, tmp_path, whatsapp) -> None:
    async with TelegramStandin(seed=9) as telegram:
        app = await start_app(whatsapp_settings(db_url, tmp_path, whatsapp, officers={"whatsapp": [OFFICER]},
                                                scheduler={"heartbeat_seconds": 3600},
                                                telegram=telegram_section(telegram)), whatsapp=whatsapp)
        try:
            async with app.sessions() as session, session.begin():
                from db.models import RosterEntry

                session.add(RosterEntry(nip="198503172010011002", name="Rahmat Hidayat", opd="Dinas Sosial"))
            on_telegram = TgPerson(telegram, 4242)
            await register(on_telegram)
            on_whatsapp = WaPerson(whatsapp, "6281234567890")
            await agree(on_whatsapp)
            await on_whatsapp.press("Hubungkan akun", "Ketik NIP")
            await on_whatsapp.say("198503172010011002", "kode 6 angka")
            message = await on_telegram.expect("kode untuk menghubungkan WhatsApp")
            code = message["text"].split("Kodenya: ")[1][:6]
            await on_whatsapp.say("000000" if code != "000000" else "111111", "Sisa percobaan: 4")
            await on_whatsapp.say(code, "tekan «Ya, hubungkan»")
            # The registered chat allows it, and moves reminders to WhatsApp (issue 18.5).
            await on_telegram.expect("sudah mengetik kode yang benar")
            await on_telegram.press("Ya, jadikan utama", "sekarang dikirim ke WhatsApp")
            await on_whatsapp.expect("terhubung dengan akun ASN Rahmat")
            # Either channel now acts as the same ASN; reminders and notices go to WhatsApp.
            await on_whatsapp.say("menu", "ASN terdaftar: Rahmat")
            await on_telegram.say("/menu", "ASN terdaftar: Rahmat")
            asn = (await rows(app, select(Asn.id, Chat.channel).join(Chat, Chat.id == Asn.chat_id)))[0]
            assert asn.channel == "whatsapp"
            links = await rows(app, select(ChatLink.asn_id, Chat.channel).join(Chat, Chat.id == ChatLink.chat_id))
            assert links == [(asn.id, "telegram")]
            # Registered on Telegram, the ASN finishes on WhatsApp: the worker's enrolment, and its notices there.
            await enrol(on_whatsapp)
            await on_whatsapp.expect("Tautan persetujuan")
            assert not any("Tautan persetujuan" in text for text in on_telegram.texts())
            assert (await rows(app, select(func.count()).select_from(Worker)))[0][0] == 1
        finally:
            await app.stop()
