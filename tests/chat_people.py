"""People on Telegram and WhatsApp, through the channels' stand-ins over real HTTP, as a real person would: one
interface for both (`ChatPerson`: say, press, expect, share a contact, send a photo or a file, texts), so a scenario
is written once and runs on either channel; and the steps every scenario starts with (agree, register, enrol)."""

from __future__ import annotations

from typing import Any

from tests.people import NIK_MALE, NIP_PNS
from tests.standins.telegram import TelegramStandin
from tests.standins.whatsapp import WhatsAppStandin

ASN_PHONE = "6281234567890"  # the registering ASN's own number (the number NIP_PNS's roster row would carry)
NOTICE = "Apakah Anda setuju?"  # the privacy notice's question: the first reply to a newcomer
OWN_NUMBER = "~phone"  # WhatsApp's "use this number" button (bot/channels/whatsapp_render.py)


class ChatPerson:
    """What a test does as a person in a chat. Each `expect` waits for the next message to this person containing a
    fragment (earlier ones are skipped); `say` and `press` send, then expect."""

    greeting: str  # what a newcomer types first on this channel
    menu: str  # the command that shows the main menu
    channel: str

    def __init__(self, standin: Any, phone: str, patience: float) -> None:
        self.standin, self.phone, self.patience = standin, phone, patience
        self.seen = 0  # messages before this one were expected already

    @property
    def address(self) -> str:
        """How the bot knows this person (`Chat.address`)."""
        raise NotImplementedError

    def messages(self) -> list[dict[str, Any]]:
        """What the bot sent this person, in order (the stand-in's records)."""
        raise NotImplementedError

    def texts(self) -> list[str]:
        return [m.get("text") or "" for m in self.messages()]

    async def expect(self, fragment: str, timeout: float | None = None) -> dict[str, Any]:
        """Wait for the next message to this person that contains `fragment`; earlier ones are skipped."""
        def found() -> dict[str, Any] | None:
            messages = self.messages()
            for index in range(self.seen, len(messages)):
                if fragment in (messages[index].get("text") or ""):
                    self.seen = index + 1
                    return messages[index]
            return None
        try:
            return await self.standin.wait_until(found, timeout or self.patience)
        except AssertionError as error:
            raise AssertionError(f"{fragment!r} never came to {self.address}; last: {self.texts()[-3:]}") from error

    async def find(self, fragment: str, timeout: float | None = None) -> dict[str, Any]:
        """Wait for a message containing `fragment`, whenever it came (for messages racing with replies)."""
        return await self.standin.wait_until(
            lambda: next((m for m in self.messages() if fragment in (m.get("text") or "")), None),
            timeout or self.patience)

    async def say(self, text: str, expect: str) -> dict[str, Any]:
        self.send_text(text)
        return await self.expect(expect)

    async def press(self, label: str, expect: str, timeout: float | None = None) -> dict[str, Any]:
        """Press the button (or list row) `label` once it has arrived, then wait for `expect`."""
        await self.tap_when_shown(label)
        return await self.expect(expect, timeout)

    def send_text(self, text: str) -> None:
        raise NotImplementedError

    async def tap_when_shown(self, label: str) -> None:
        raise NotImplementedError

    def share_contact(self, phone: str | None = None, *, own: bool = True) -> None:
        """Share a contact card: by default their own number, as the channel vouches for it (Telegram's
        request_contact, WhatsApp's "use this number" button); `own=False`, someone else's card with `phone`."""
        raise NotImplementedError

    def send_photo(self, content: bytes) -> None:
        raise NotImplementedError

    def send_file(self, content: bytes, file_name: str, mime_type: str = "application/pdf", *,
                  fault: str | None = None) -> None:
        """Send a document; `fault` ("cut", "short", "altered") spoils its download (tests/standins/media_body.py)."""
        raise NotImplementedError


class TgPerson(ChatPerson):
    """A Telegram user (`user_id`, also their private chat's id) of the Bot API stand-in."""

    greeting, menu, channel = "/start", "/menu", "telegram"

    def __init__(self, standin: TelegramStandin, user_id: int, patience: float = 15.0, *,
                 phone: str = ASN_PHONE) -> None:
        super().__init__(standin, phone, patience)
        self.id = user_id

    @property
    def address(self) -> str:
        return str(self.id)

    def messages(self) -> list[dict[str, Any]]:
        return self.standin.messages_to(self.id)

    def send_text(self, text: str) -> None:
        self.standin.push_text(self.id, text)

    async def tap_when_shown(self, label: str) -> None:
        """Press a button on the latest message, once it has arrived (a reply may come in two messages)."""
        def has_button() -> bool:
            last = self.standin.last_message(self.id)
            labels = [text for text, _ in self.standin.buttons(last["message"])] if last else []
            return labels.count(label) == 1 or sum(label in text for text in labels) == 1
        await self.standin.wait_until(has_button, 15.0)
        self.standin.press(self.id, label)

    def share_contact(self, phone: str | None = None, *, own: bool = True) -> None:
        self.standin.push_contact(self.id, phone or self.phone, own=own)

    def send_photo(self, content: bytes) -> None:
        self.standin.push_photo(self.id, content)

    def send_file(self, content: bytes, file_name: str, mime_type: str = "application/pdf", *,
                  fault: str | None = None) -> None:
        self.standin.push_document(self.id, content, file_name, mime_type, fault=fault)


class WaPerson(ChatPerson):
    """A WhatsApp user of the Cloud API stand-in, known by their number or, where WhatsApp gives one, their
    business-scoped user id."""

    greeting, menu, channel = "halo", "menu", "whatsapp"

    def __init__(self, standin: WhatsAppStandin, phone: str, *, user_id: str | None = None,
                 patience: float = 15.0) -> None:
        super().__init__(standin, phone, patience)
        self.user_id = user_id

    @property
    def address(self) -> str:
        return self.user_id or self.phone

    def messages(self) -> list[dict[str, Any]]:
        """What the bot sent this person, to their user id or to their number, in order."""
        if self.user_id is None:
            return self.standin.messages_to(self.phone)
        both = self.standin.messages_to(self.user_id) + self.standin.messages_to(self.phone)
        return sorted(both, key=lambda record: record["sent_at"])

    def send_text(self, text: str) -> None:
        self.standin.send_text(self.phone, text, user_id=self.user_id)

    async def tap_when_shown(self, label: str) -> None:
        """Tap the button or list row `label`; in a long list, go through its pages ("Berikutnya") to find it."""
        for _ in range(10):
            latest = next((m for m in reversed(self.messages()) if m["choices"]), None)
            titles = [c["title"] for c in latest["choices"]] if latest else []
            if any(label in title for title in titles) or not any(t.startswith("Berikutnya") for t in titles):
                break
            count = len(self.messages())
            self.tap("Berikutnya")
            await self.standin.wait_until(lambda: len(self.messages()) > count)
        self.tap(label)

    def tap(self, label: str) -> str:
        """Tap the button or list row `label` on the latest message (to their number or user id) that has it."""
        return self._tap(lambda choice: label in choice["title"] or label in (choice.get("description") or ""),
                         label)

    def _tap(self, wanted: Any, what: str) -> str:
        for record in reversed(self.messages()):
            for choice in record["choices"]:
                if wanted(choice):
                    return self.standin.inbound(self.phone, self.standin.choice_message(record, choice),
                                                user_id=self.user_id)
        raise AssertionError(f"no button {what!r} for {self.address}: {self.texts()[-3:]}")

    def share_contact(self, phone: str | None = None, *, own: bool = True) -> None:
        if own and phone in (None, self.phone):
            self._tap(lambda choice: choice["id"] == OWN_NUMBER, "use this number")
        else:
            self.standin.send_contact(self.phone, phone or self.phone, user_id=self.user_id)

    def send_photo(self, content: bytes) -> None:
        self.standin.send_image(self.phone, content, user_id=self.user_id)

    def send_file(self, content: bytes, file_name: str, mime_type: str = "application/pdf", *,
                  fault: str | None = None) -> None:
        self.standin.send_document(self.phone, content, file_name, mime_type, fault=fault, user_id=self.user_id)


async def agree(person: ChatPerson) -> None:
    """A newcomer's first message, and "Saya setuju" to the privacy notice."""
    await person.say(person.greeting, NOTICE)
    await person.press("Saya setuju", "Menu utama")


async def fill_registration(person: ChatPerson, name: str = "Rahmat Hidayat", *, nip: str = NIP_PNS,
                            phone: str | None = None, own: bool = True, expect: str = "Periksa data Anda") -> None:
    """Agree, then the ASN registration up to its summary: the phone shared as a contact (their own by default)."""
    await agree(person)
    await person.press("Daftar sebagai ASN", "NIP")
    await person.say(nip, "Nama lengkap Anda")
    await person.say(name, "OPD")
    await person.press("Dinas Sosial", "Nomor HP Anda")
    person.share_contact(phone, own=own)
    await person.expect(expect)


async def register(person: ChatPerson, nip: str = NIP_PNS) -> None:
    """An ASN registers (Rahmat Hidayat, Dinas Sosial, their own number) and saves it."""
    await fill_registration(person, nip=nip)
    await person.press("Simpan", "Menu utama")


async def enrol(person: ChatPerson, nik: str = NIK_MALE, worker_phone: str = "Lewati") -> None:
    """An approved ASN at the main menu enrols Syafrizal, a fisherman of Taratak (Pariaman Tengah), with no heir."""
    await person.press("Daftarkan pekerja", "NIK pekerja")
    await person.say(nik, "Nama lengkap pekerja")
    await person.say("Syafrizal", "Benar?")
    await person.press("Benar", "Pekerjaan")
    await person.press("Nelayan", "Kecamatan")
    await person.press("Pariaman Tengah", "Desa/kelurahan")
    await person.press("Taratak", "Nomor HP pekerja")
    await person.say(worker_phone, "ahli waris")
    await person.press("Tidak", "Periksa data pekerja")
    await person.press("Simpan", "tersimpan")
