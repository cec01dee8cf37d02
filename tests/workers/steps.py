"""Worker steps on the console path: the enrolment form, and a worker ready for (or given) a BPJS membership."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from db.models import Worker
from tests.consent.steps import consent_by_link, consent_on_paper, consent_token
from tests.people import NIK_MALE, Person, RecordingChannel, any_text, deliver
from tests.registration.steps import approved_asn


async def start_enrolment(asn: Person, nik: str = NIK_MALE) -> None:
    """From the menu: "Daftarkan pekerja", the NIK and the name (Syafrizal); the birth date question follows."""
    await asn.say("/menu")
    await asn.press("Daftarkan pekerja")
    await asn.say(nik)
    await asn.say("Syafrizal")


async def start_worker_form(asn: Person) -> None:
    """The enrolment up to the kecamatan: the birth date from the NIK, a fisherman."""
    await start_enrolment(asn)
    await asn.press("Benar")
    await asn.press("Nelayan")


async def enrol(person: Person, nik: str = NIK_MALE, worker_phone: str | None = None) -> None:
    """An approved ASN enrols Syafrizal of Taratak (Pariaman Tengah) with no heir; the worker's phone skipped unless
    given."""
    await start_enrolment(person, nik)
    await person.press("Benar")
    await person.press("Nelayan")
    await person.say("pariaman tengah")
    await person.say("Taratak")
    if worker_phone is None:
        await person.press("Lewati")
    else:
        await person.say(worker_phone)
    await person.press("Tidak")
    await person.press("✅")


async def consented_by_link(app: App, inbox: RecordingChannel) -> tuple[Person, Person]:
    """An approved ASN ("asn") enrols Syafrizal with no phone on file; the worker ("worker") opens the consent link
    and agrees, sharing their own number (+62 813 1111 2222). Returns (the ASN, the worker)."""
    asn = await approved_asn(app, inbox)
    await enrol(asn)
    await deliver(app)
    worker = Person(app, "worker")
    await consent_by_link(worker, consent_token(inbox), "+62 813 1111 2222")
    await deliver(app)
    return asn, worker


async def worker_ready_for_kpj(app: App, inbox: RecordingChannel) -> Person:
    """An approved ASN ("asn") whose worker's paper consent an officer accepted: "Menunggu BPJS" lists them."""
    asn = await approved_asn(app, inbox)
    await enrol(asn)
    async with app.sessions() as session:
        worker = (await session.execute(select(Worker))).scalar_one()
    await consent_on_paper(app, asn, worker.id)
    return asn


async def start_recording_kpj(app: App) -> Person:
    """The officer opens «Catat KPJ #1» in "Menunggu BPJS" and types KPJ 2301 2345 678: the start date is asked next."""
    officer = Person(app, "officer")
    await officer.say("/petugas")
    await officer.press("Menunggu BPJS")
    await officer.press("Catat KPJ #1")
    await officer.say("2301 2345 678")
    return officer


async def record_kpj(app: App, start: str) -> Person:
    """The officer records KPJ 23012345678 for the first worker in "Menunggu BPJS", from the start date typed."""
    officer = await start_recording_kpj(app)
    await officer.say(start)
    await officer.press("✅")
    assert any_text(officer.last, "tersimpan; pekerja aktif")
    return officer
