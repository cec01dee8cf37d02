"""People on WhatsApp: they type, tap buttons and list rows, and send files through the Cloud API stand-in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.config import Settings
from tests.conftest import make_settings
from tests.standins.whatsapp import WhatsAppStandin

NIP_PNS = "198503172010011002"
NIK_MALE = "1377011708750003"


def standin_templates(settings: Settings) -> dict[str, dict[str, Any]]:
    """The templates of config.toml, as Meta would hold them once approved."""
    return {t.name: {"language": {code: {"body": body, "buttons": t.buttons.get(code, [])}
                                  for code, body in t.body.items()}}
            for t in settings.whatsapp.templates.values()}


def whatsapp_settings(db_url: str, tmp_path: Path, standin: WhatsAppStandin, **extra: Any) -> Settings:
    whatsapp = {"phone_number_id": standin.phone_number_id, "access_token": standin.token,
                "app_secret": standin.app_secret, "verify_token": "verify-me", "graph_base": standin.api_base,
                "api_version": standin.api_version, "business_number": "15550783881", **extra.pop("whatsapp", {})}
    return make_settings(db_url, tmp_path, whatsapp=whatsapp, **extra)


class WaPerson:
    def __init__(self, standin: WhatsAppStandin, phone: str, *, user_id: str | None = None) -> None:
        self.standin, self.phone, self.user_id = standin, phone, user_id
        self.seen = 0

    @property
    def address(self) -> str:
        return self.user_id or self.phone

    def messages(self) -> list[dict[str, Any]]:
        """What the bot sent this person, to their user id or to their number, in order."""
        if self.user_id is None:
            return self.standin.messages_to(self.phone)
        both = self.standin.messages_to(self.user_id) + self.standin.messages_to(self.phone)
        return sorted(both, key=lambda record: record["sent_at"])

    def texts(self) -> list[str]:
        return [m["text"] for m in self.messages()]

    async def expect(self, fragment: str, timeout: float = 15.0) -> dict[str, Any]:
        """Wait for the next message to this person that contains `fragment`; earlier ones are skipped."""
        def found() -> dict[str, Any] | None:
            messages = self.messages()
            for index in range(self.seen, len(messages)):
                if fragment in messages[index]["text"]:
                    self.seen = index + 1
                    return messages[index]
            return None
        try:
            return await self.standin.wait_until(found, timeout)
        except AssertionError as error:
            raise AssertionError(f"{fragment!r} never came; last: {self.standin.transcript(self.address)[-3:]}") \
                from error

    async def find(self, fragment: str, timeout: float = 15.0) -> dict[str, Any]:
        """Wait for a message containing `fragment`, whenever it came (for messages racing with replies)."""
        return await self.standin.wait_until(
            lambda: next((m for m in self.messages() if fragment in m["text"]), None), timeout)

    async def say(self, text: str, expect: str) -> dict[str, Any]:
        self.standin.send_text(self.phone, text, user_id=self.user_id)
        return await self.expect(expect)

    async def press(self, label: str, expect: str) -> dict[str, Any]:
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
        return await self.expect(expect)

    def tap(self, label: str) -> str:
        """Tap the button or list row `label` on the latest message (to their number or user id) that has it."""
        for record in reversed(self.messages()):
            for choice in record["choices"]:
                if label in choice["title"] or label in (choice.get("description") or ""):
                    return self.standin.inbound(self.phone, self.standin.choice_message(record, choice),
                                                user_id=self.user_id)
        raise AssertionError(f"no button {label!r} for {self.address}: {self.texts()[-3:]}")


async def agree(person: WaPerson) -> None:
    await person.say("halo", "Apakah Anda setuju?")
    await person.press("Saya setuju", "Menu utama")


async def register(person: WaPerson, nip: str = NIP_PNS) -> None:
    await agree(person)
    await person.press("Daftar sebagai ASN", "NIP")
    await person.say(nip, "Nama lengkap Anda")
    await person.say("Rahmat Hidayat", "OPD")
    await person.press("Dinas Sosial", "Nomor HP Anda")
    await person.press("Bagikan nomor saya", "Periksa data Anda")
    await person.press("Simpan", "Menu utama")


async def enrol(person: WaPerson, nik: str = NIK_MALE, worker_phone: str = "Lewati") -> None:
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
