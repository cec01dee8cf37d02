"""Approved at once only when the roster vouches for the person (handlers/registration/identity.py): names compared
as people write them, the roster's phone only from the person's own contact."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import App
from db.models import Asn, RosterEntry
from handlers.registration.identity import fold_name, names_match, roster_verifies
from tests.people import NIP_PNS, Person, any_text, register_asn


@pytest.mark.parametrize(("typed", "roster", "same"), [
    ("Dr. H. Rahmat  Hidayat, S.Pd., M.Si.", "Rahmat Hidayat", True),  # titles and degrees
    ("RAHMAT HIDAYAT", "rahmat hidayat", True),  # case
    ("Rahmat Hidayt", "Rahmat Hidayat", True),  # one typo
    ("Nur Aini", "Nuraini", True),  # spacing
    ("Siti Nur'aini", "Siti Nuraini", True),  # punctuation
    ("Rahmad Hidayt", "Rahmat Hidayat", False),  # two typos
    ("Budi Santoso", "Rahmat Hidayat", False),
    ("Dr.", "Rahmat Hidayat", False),
])
def test_names_are_compared_as_people_write_them(typed: str, roster: str, same: bool) -> None:
    assert names_match(typed, roster) is same


def test_a_roster_phone_is_matched_only_from_the_persons_own_contact() -> None:
    entry = RosterEntry(nip=NIP_PNS, name="Rahmat Hidayat", opd="X", phone="+6281234567890")
    assert roster_verifies(entry, name="Rahmat Hidayat", phone="+6281234567890", phone_shared=True)
    assert not roster_verifies(entry, name="Rahmat Hidayat", phone="+6281234567890", phone_shared=False)
    assert not roster_verifies(entry, name="Budi", phone="+6281234567890", phone_shared=True)
    assert not roster_verifies(None, name="Rahmat Hidayat", phone="+6281234567890", phone_shared=True)
    assert fold_name("Hj. Siti Rahma, S.E.") == "siti rahma"


async def test_roster_member_is_approved_at_once(app: App) -> None:
    async with app.sessions() as session, session.begin():
        session.add(RosterEntry(nip=NIP_PNS, name="Rahmat Hidayat", opd="Dinas Sosial"))
    person = Person(app, "asn")
    await register_asn(person)
    assert any_text(person.last, "langsung disetujui")
    assert any("Daftarkan pekerja" in o.label for o in person.last[-1].options)


async def test_a_pending_stranger_gives_way_only_to_a_verified_registration(app: App, inbox) -> None:
    async with app.sessions() as session, session.begin():
        session.add(RosterEntry(nip=NIP_PNS, name="Rahmat Hidayat", opd="Dinas Sosial"))
    await register_asn(Person(app, "stranger"), name="Budi Santoso")
    other = Person(app, "other")
    await register_asn(other, name="Joko Widodo")  # also not the roster's name: refused, officers told
    assert any_text(other.last, "tidak dapat didaftarkan dari akun ini")
    real = Person(app, "real")
    await register_asn(real)
    assert any_text(real.last, "langsung disetujui")
    async with app.sessions() as session:
        asns = (await session.execute(select(Asn.name, Asn.status))).all()
    assert asns == [("Rahmat Hidayat", "approved")]
