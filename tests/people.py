"""People talking to the conversation core directly (the console path), for fast flow tests of every feature: test
identities, a channel that records what the outbox delivers, and the first steps (the privacy notice, an ASN's
registration, an officer)."""

from __future__ import annotations

import uuid
from collections import defaultdict

from bot.app import App
from handlers.engine.types import Choice, Event, File, Payload, Reply, Text

# Valid test identities (checked by the parsers' rules, not real people).
NIP_PNS = "198503172010011002"  # born 17 Mar 1985, appointed Jan 2010, male
NIK_MALE = "1377011708750003"  # Kota Pariaman, Pariaman Tengah; born 17 Aug 1975, male
NIK_FEMALE = "1377045203800011"  # born 12 Mar 1980, female (+40)
SOMEONE_ELSE = "+6281377776666"  # a number that is none of theirs
MALAYSIAN = "+60 12-345 6789"  # a mobile number abroad
JPEG = b"\xff\xd8\xff\xe0" + b"0" * 200


class RecordingChannel:
    """Stands in for a channel the outbox delivers to; remembers every message per address."""

    def __init__(self, name: str = "console") -> None:
        self.name = name
        self.inbox: dict[str, list[Reply]] = defaultdict(list)
        self.files: dict[str, bytes] = {}

    async def send(self, address: str, reply: Reply) -> None:
        self.inbox[address].append(reply)

    async def fetch_file(self, ref: str, max_bytes: int, *, sha256: str | None = None) -> bytes:
        return self.files[ref][: max_bytes + 1]

    def deep_link(self, payload: str) -> str | None:
        return f"https://t.me/tuwai_test_bot?start={payload}"


class Person:
    def __init__(self, app: App, address: str, channel: str = "console") -> None:
        self.app, self.address, self.channel = app, address, channel
        self.replies: list[Reply] = []
        self.last: list[Reply] = []

    async def send(self, payload: Payload, event_id: str | None = None) -> list[Reply]:
        event = Event(self.channel, self.address, event_id or uuid.uuid4().hex, payload, "Test")
        self.last = await self.app.handle_event(event) or []
        self.replies += self.last
        return self.last

    async def say(self, text: str) -> list[Reply]:
        return await self.send(Text(text))

    def prompt(self) -> Reply:
        return next(reply for reply in reversed(self.replies) if reply.options)

    async def press(self, label: str) -> list[Reply]:
        """Press the button whose label starts with `label` on the latest message that has buttons."""
        reply = self.prompt()
        option = next((o for o in reply.options if o.label.startswith(label)), None)
        assert option is not None, f"no button {label!r} in {[o.label for o in reply.options]}"
        token = None if option.id.startswith("!") else reply.token
        return await self.send(Choice(option.id, token))

    async def upload(self, channel: RecordingChannel, content: bytes, kind: str = "photo") -> list[Reply]:
        ref = uuid.uuid4().hex
        channel.files[ref] = content
        return await self.send(File(ref, None, None, len(content), kind))

    @property
    def text(self) -> str:
        return "\n".join(reply.text for reply in self.last)


async def agree_privacy(person: Person) -> None:
    await person.say("/start")
    await person.press("Saya setuju")


async def an_officer(app: App) -> Person:
    """The programme officer on the console ("officer", listed by make_settings), past the privacy notice."""
    officer = Person(app, "officer")
    await agree_privacy(officer)
    return officer


async def start_registration(person: Person, nip: str = NIP_PNS, name: str = "Rahmat Hidayat",
                             opd: str = "Dinas Sosial") -> None:
    """Agree to the privacy notice, «Daftar sebagai ASN», the NIP, the name and the OPD: the phone is asked next."""
    await agree_privacy(person)
    await person.press("Daftar sebagai ASN")
    await person.say(nip)
    await person.say(name)
    await person.press(opd)


async def register_asn(person: Person, nip: str = NIP_PNS, name: str = "Rahmat Hidayat") -> None:
    """An ASN registers (Dinas Sosial, phone 0812-3456-7890 typed) and saves it."""
    await start_registration(person, nip, name)
    await person.say("0812-3456-7890")
    await person.press("✅")


async def deliver(app: App) -> None:
    """Everything the outbox holds that may go out now (notifications, codes), to the RecordingChannel."""
    while await app.deliverer.deliver_once():
        pass


def options_of(reply: Reply) -> list[str]:
    return [o.label for o in reply.options]


def any_text(replies: list[Reply], fragment: str) -> bool:
    return any(fragment in reply.text for reply in replies)
