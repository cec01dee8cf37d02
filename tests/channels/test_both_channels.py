"""A scenario written once against the people's interface (tests/chat_people.py) and run on each channel, over real
HTTP against its stand-in: an ASN registers, an officer approves, the ASN enrols a worker."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from bot.app import App
from db.models import Asn, Worker
from tests.chat_people import ASN_PHONE, ChatPerson, TgPerson, WaPerson, agree, enrol, register
from tests.records import scalar
from tests.standins.apps import TELEGRAM_OFFICER, WHATSAPP_OFFICER


@dataclass
class OnChannel:
    """The app on one channel's stand-in, and the people of the scenario there."""

    app: App
    asn: ChatPerson
    officer: ChatPerson


@pytest.fixture(params=["telegram", "whatsapp"])
def on(request: pytest.FixtureRequest, db_url: str) -> OnChannel:
    """The app on the channel's stand-in (asking for `db_url` marks the test `db`: it runs on PostgreSQL too)."""
    app = request.getfixturevalue(f"{request.param}_app")
    standin = request.getfixturevalue(request.param)
    if request.param == "telegram":
        return OnChannel(app, TgPerson(standin, 501), TgPerson(standin, TELEGRAM_OFFICER))
    return OnChannel(app, WaPerson(standin, ASN_PHONE), WaPerson(standin, WHATSAPP_OFFICER))


@pytest.mark.standin_seed(telegram=7, whatsapp=3)
async def test_register_and_enrol(on: OnChannel) -> None:
    asn, officer = on.asn, on.officer
    await agree(officer)
    await register(asn)
    await officer.expect("menunggu persetujuan")
    await officer.press("Setujui", "disetujui")
    await asn.expect("disetujui petugas")
    await asn.say(asn.menu, "Menu utama")
    await enrol(asn)
    assert await scalar(on.app, select(func.count()).select_from(Worker)) == 1
    assert (await scalar(on.app, select(Asn.phone))).endswith("81234567890")
