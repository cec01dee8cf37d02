"""The worker's own consent by one-time link (handlers/consent/worker_consent.py): what is wrong is said in words for
workers, a worker who declines can still agree, a used link tells a stranger nothing."""

from __future__ import annotations

from bot.app import App
from handlers.engine.types import Choice, Contact
from tests.consent.steps import consent_by_link, consent_token
from tests.people import Person, RecordingChannel, any_text, deliver
from tests.registration.steps import approved_asn
from tests.workers.steps import enrol

WORKER_PHONE = "0813 1111 2222"


async def test_consent_links_say_what_is_wrong_in_words_for_workers(app: App, inbox: RecordingChannel) -> None:
    asn = await approved_asn(app, inbox)
    await enrol(asn, worker_phone=WORKER_PHONE)
    assert any_text(asn.last, "Langkah berikutnya: persetujuan Syafrizal sendiri")
    assert not any_text(asn.last, "menunggu pendaftaran di BPJS")  # the old wording
    await deliver(app)
    token = consent_token(inbox)
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


async def test_a_worker_who_declines_keeps_the_workers_notice_and_can_still_agree(app, inbox) -> None:
    asn = await approved_asn(app, inbox)
    await enrol(asn, worker_phone=WORKER_PHONE)
    await deliver(app)
    token = consent_token(inbox)
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


async def test_a_stranger_opening_a_used_consent_link_is_not_told_your_consent(app, inbox) -> None:
    """Trial item 15."""
    asn = await approved_asn(app, inbox)
    await enrol(asn)
    await deliver(app)
    token = consent_token(inbox)
    worker = Person(app, "worker")
    await consent_by_link(worker, token, "+62 813 7777 6666")  # their own number (none on file: an officer confirms)
    await Person(app, "officer").send(Choice("!cf.ok:1"))
    await worker.say(f"/start {token}")
    assert any_text(worker.last, "Persetujuan Anda sudah tercatat sebelumnya")  # the worker, again
    stranger = Person(app, "stranger")
    await stranger.say(f"/start {token}")
    assert not any_text(stranger.last, "Persetujuan Anda") and any_text(stranger.last, "sudah dipakai")
