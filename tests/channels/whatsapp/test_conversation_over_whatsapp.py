"""The conversation over real HTTP on WhatsApp: the real app against the local Cloud API stand-in on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import App
from db.models import Asn, Chat, RosterEntry, StoredFile, WhatsAppInbox, Worker
from tests.chat_people import WaPerson, agree, enrol, register
from tests.records import scalar
from tests.standins.whatsapp import WhatsAppStandin, sign

pytestmark = pytest.mark.standin_seed(whatsapp=3)


JPEG = b"\xff\xd8\xff\xe0" + b"2" * 500


async def test_worker_consents_by_template_from_their_own_number(whatsapp_app: App, whatsapp: WhatsAppStandin) -> None:
    # The officer is listed by number; WhatsApp identifies them by their business-scoped user id.
    asn, officer = WaPerson(whatsapp, "6281234567890"), WaPerson(whatsapp, "6281100000001", user_id="ID.4455667788")
    stranger, worker = WaPerson(whatsapp, "6285299990000"), WaPerson(whatsapp, "6281377778888")
    await agree(officer)
    await register(asn)
    await officer.expect("menunggu persetujuan")
    await officer.press("Setujui", "disetujui")
    await asn.expect("disetujui petugas")
    await asn.say("menu", "Menu utama")
    await enrol(asn, worker_phone="0813 7777 8888")
    await asn.expect("dikirim lewat WhatsApp")
    request = await worker.expect("Persetujuan Anda sendiri diperlukan")
    assert request["kind"] == "template" and request["template"] == "tuwai_persetujuan_pekerja"
    assert "1377011708750003" not in request["text"]
    # The same request forwarded to someone else's number is refused there.
    whatsapp.inbound(stranger.phone, whatsapp.choice_message(request, request["choices"][0]))
    await stranger.expect("tidak sama dengan nomor pekerja")
    await worker.press("Baca", "Apakah Anda setuju?")
    await worker.press("Saya setuju", "Persetujuan Anda sudah dicatat")
    await asn.expect("sudah memberikan persetujuan")
    async with whatsapp_app.sessions() as session:
        row = (await session.execute(select(Worker.consent_method, Worker.consent_at, Chat.channel, Chat.address)
                                     .join(Chat, Chat.id == Worker.consent_chat_id))).one()
    assert row.consent_method == "template" and row.consent_at is not None
    assert (row.channel, row.address) == ("whatsapp", "6281377778888")
    # The officer records the KPJ on WhatsApp too.
    await officer.expect("siap didaftarkan")
    await officer.press("Catat KPJ", "Nomor KPJ")
    await officer.say("23012345678", "Tanggal mulai")
    await officer.press("Hari ini", "Periksa data kepesertaan")
    await officer.press("Simpan", "pekerja aktif")
    assert await scalar(whatsapp_app, select(Worker.status)) == "active"


async def test_webhook_verification_and_signatures(whatsapp_app: App, whatsapp: WhatsAppStandin) -> None:
    url = whatsapp.webhook_url
    async with aiohttp.ClientSession() as client:
        async with client.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "verify-me",
                                           "hub.challenge": "1158201444"}) as response:
            assert response.status == 200 and await response.text() == "1158201444"
        async with client.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "wrong",
                                           "hub.challenge": "1158201444"}) as response:
            assert response.status == 403
    payload = whatsapp.envelope("messages", contacts=[{"profile": {"name": "X"}, "wa_id": "6281200000009"}],
                               messages=[{"from": "6281200000009", "id": "wamid.forged", "timestamp": "1",
                                          "type": "text", "text": {"body": "/start"}}])
    assert await whatsapp.post(payload, signature="sha256=" + "0" * 64) == 401
    assert await whatsapp.post(payload, signature="") == 401
    assert await whatsapp.post(json.dumps(payload).encode() + b" ", signature=sign(json.dumps(payload).encode(),
                                                                                  whatsapp.app_secret)) == 401
    assert await whatsapp.post(b"{not json") == 400
    assert await scalar(whatsapp_app, select(func.count()).select_from(WhatsAppInbox)) == 0
    assert whatsapp.messages_to("6281200000009") == []


async def test_a_replayed_payload_is_processed_once(whatsapp_app: App, whatsapp: WhatsAppStandin) -> None:
    person = WaPerson(whatsapp, "6281255550000")
    payload = whatsapp.envelope("messages", contacts=[{"profile": {"name": "A"}, "wa_id": person.phone}],
                               messages=[{"from": person.phone, "id": "wamid.once", "timestamp": "1",
                                          "type": "text", "text": {"body": "halo"}}])
    whatsapp._last_inbound[person.phone] = whatsapp.now()
    assert await whatsapp.post(payload) == 200
    assert await whatsapp.post(payload) == 200
    await person.expect("Apakah Anda setuju?")
    await whatsapp.idle()
    # One answer, though the message came twice (a long notice may come as its text, then its buttons).
    assert sum("Apakah Anda setuju?" in (m.get("text") or "") for m in person.messages()) == 1
    await person.say("halo lagi", "Apakah Anda setuju?")
    assert await scalar(whatsapp_app, select(func.count()).select_from(WhatsAppInbox)
                        .where(WhatsAppInbox.kind == "message")) == 2


async def test_unknown_message_types_and_bad_input(whatsapp_app: App, whatsapp: WhatsAppStandin) -> None:
    person = WaPerson(whatsapp, "6281266660000")
    await agree(person)
    await person.press("Daftar sebagai ASN", "NIP")
    whatsapp.send_sticker(person.phone)
    await person.expect("NIP")
    whatsapp.send_unsupported(person.phone)
    await person.expect("NIP")
    first = whatsapp.send_text(person.phone, "x" * 5000)
    await person.expect("terlalu panjang")
    whatsapp.send_reaction(person.phone, first)
    whatsapp.send_location(person.phone, -0.62, 100.12)
    await person.expect("NIP")
    whatsapp.post_status("wamid.never-sent", person.phone, "delivered")
    await person.say("198503172010011002", "Nama lengkap Anda")
    await whatsapp.idle()
    inbox = whatsapp_app.whatsapp_inbox
    assert inbox is not None
    for _ in range(100):  # a status for a wamid not known yet is looked at again a few times, then counted
        if inbox.counters["unknown_statuses"]:
            break
        await asyncio.sleep(0.1)
    assert inbox.counters["unknown_statuses"] == 1
    assert whatsapp_app.core.counters["errors"] == 0


async def test_a_photo_goes_through_the_media_flow(whatsapp_app: App, whatsapp: WhatsAppStandin) -> None:
    async with whatsapp_app.sessions() as session, session.begin():
        session.add(RosterEntry(nip="198503172010011002", name="Rahmat Hidayat", opd="Dinas Sosial"))
    asn = WaPerson(whatsapp, "6281234567890")
    await register(asn)
    await enrol(asn)
    await asn.say("menu", "Menu utama")
    await asn.press("Pekerja saya", "menunggu persetujuan pekerja")
    await asn.press("Formulir", "Kirim foto")
    expired = whatsapp.send_image(asn.phone, JPEG)
    await asn.expect("Simpan formulir ini")
    stored = await scalar(whatsapp_app, select(StoredFile))
    assert (Path(whatsapp_app.settings.files_dir) / stored.path).read_bytes() == JPEG
    assert whatsapp.calls["download"] == 1 and expired
    await asn.press("Batal", "Menu utama")
    # An expired media id gets a polite answer and a second chance.
    await asn.press("Pekerja saya", "menunggu persetujuan pekerja")
    await asn.press("Formulir", "Kirim foto")
    media_id = whatsapp.add_media(JPEG, "image/jpeg")
    whatsapp.expire_media(media_id)
    whatsapp.inbound(asn.phone, {"type": "image", "image": {"id": media_id, "mime_type": "image/jpeg"}})
    await asn.expect("Kirim foto")
    assert whatsapp_app.core.counters["errors"] == 0


async def test_a_storm_of_a_thousand_events_loses_nothing(whatsapp_app: App, whatsapp: WhatsAppStandin) -> None:
    """1,000 webhook calls in a burst (250 people, 4 messages each, every tenth one delivered twice)."""
    people = [f"62819{n:07d}" for n in range(250)]
    calls = []
    for round_ in range(4):
        for phone in people:
            wamid = f"wamid.storm.{phone}.{round_}"
            payload = whatsapp.envelope("messages", contacts=[{"profile": {"name": "S"}, "wa_id": phone}],
                                       messages=[{"from": phone, "id": wamid, "timestamp": "1", "type": "text",
                                                  "text": {"body": "halo"}}])
            whatsapp._last_inbound[phone] = whatsapp.now()
            calls.append(payload)
            if len(calls) % 10 == 0:
                calls.append(payload)
    statuses = await asyncio.gather(*(whatsapp.post(payload) for payload in calls))
    assert set(statuses) == {200}
    stored = select(func.count()).select_from(WhatsAppInbox).where(WhatsAppInbox.kind == "message")
    assert await scalar(whatsapp_app, stored) == 1000  # each wamid once (the statuses of the replies are stored too)

    def answers(phone: str) -> int:  # one notice per message (a long notice comes as its text, then its buttons)
        return sum("Apakah Anda setuju?" in (m.get("text") or "") for m in whatsapp.messages_to(phone))
    await whatsapp.wait_until(lambda: all(answers(phone) == 4 for phone in people), timeout=120)
    assert whatsapp_app.core.counters["errors"] == 0


async def test_one_person_on_two_devices_is_answered_in_order(whatsapp_app: App, whatsapp: WhatsAppStandin) -> None:
    """Linked devices share one number and one user id: their messages are one conversation, in order."""
    phone, user_id = "6281288880000", "ID.1349120865530274"
    person = WaPerson(whatsapp, phone, user_id=user_id)
    await agree(person)
    await person.press("Daftar sebagai ASN", "NIP")
    whatsapp.send_text(phone, "198503172010011002", user_id=user_id)  # the phone
    whatsapp.send_text(phone, "Rahmat Hidayat", user_id=user_id)  # the laptop, a moment later
    await person.expect("OPD")
    async with whatsapp_app.sessions() as session:
        chat = (await session.execute(select(Chat).where(Chat.channel == "whatsapp"))).scalar_one()
    assert chat.address == user_id and chat.answers["name"] == "Rahmat Hidayat"


async def test_commands_typed_as_words_and_answers_typed_instead_of_tapped(whatsapp_app: App,
                                                                           whatsapp: WhatsAppStandin) -> None:
    person = WaPerson(whatsapp, "6281299990000")
    await agree(person)
    await person.say("bahasa", "main menu")  # no slash commands on WhatsApp: the word alone
    await person.say("bahasa", "Menu utama")
    await person.say("1", "NIP")  # the number of an option, typed
    await person.say("198503172010011002", "Nama lengkap Anda")
    await person.say("Rahmat Hidayat", "OPD")
    await person.say("dinas sosial", "Nomor HP Anda")  # a label from page 2 of the list, typed
    await person.say("batal", "Menu utama")
    assert await scalar(whatsapp_app, select(func.count()).select_from(Asn)) == 0


async def test_a_list_page_from_before_a_restart_asks_the_question_again(whatsapp_app: App,
                                                                         whatsapp: WhatsAppStandin) -> None:
    person = WaPerson(whatsapp, "6281233330000")
    await agree(person)
    await person.press("Daftar sebagai ASN", "NIP")
    await person.say("198503172010011002", "Nama lengkap Anda")
    await person.say("Rahmat Hidayat", "OPD")
    whatsapp = whatsapp_app.whatsapp
    assert whatsapp is not None
    for _ in range(100):  # the list is noted just after it went out
        shown = whatsapp._shown.get(person.phone)
        if shown is not None and "OPD" in shown.text:
            break
        await asyncio.sleep(0.02)
    whatsapp._shown.clear()  # what a restart forgets
    person.tap("Berikutnya")
    again = await person.expect("OPD")
    assert again["kind"] == "list" and "Sekretariat Daerah" in again["choices"][0]["title"]
