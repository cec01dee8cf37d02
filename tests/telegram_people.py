"""People on Telegram: they type and press buttons through the Bot API stand-in, as a real person would."""

from __future__ import annotations

from typing import Any

from tests.standins.telegram import TelegramStandin

NIP_PNS = "198503172010011002"
NIK_MALE = "1377011708750003"


class TgPerson:
    def __init__(self, standin: TelegramStandin, user_id: int, patience: float = 15.0) -> None:
        self.standin, self.id = standin, user_id
        self.seen = 0
        self.patience = patience  # seconds to wait for each expected message

    async def expect(self, fragment: str, timeout: float | None = None) -> dict[str, Any]:
        """Wait for the next message to this person that contains `fragment`; earlier ones are skipped."""
        def found() -> dict[str, Any] | None:
            messages = self.standin.messages_to(self.id)
            for index in range(self.seen, len(messages)):
                if fragment in (messages[index].get("text") or ""):
                    self.seen = index + 1
                    return messages[index]
            return None
        return await self.standin.wait_until(found, timeout or self.patience)

    async def say(self, text: str, expect: str) -> dict[str, Any]:
        self.standin.push_text(self.id, text)
        return await self.expect(expect)

    async def press(self, label: str, expect: str) -> dict[str, Any]:
        """Press a button on the latest message, once it has arrived (a reply may come in two messages)."""
        def has_button() -> bool:
            last = self.standin.last_message(self.id)
            labels = [text for text, _ in self.standin.buttons(last["message"])] if last else []
            return labels.count(label) == 1 or sum(label in text for text in labels) == 1
        await self.standin.wait_until(has_button, 15.0)
        self.standin.press(self.id, label)
        return await self.expect(expect)

    def texts(self) -> list[str]:
        return [m.get("text") or "" for m in self.standin.messages_to(self.id)]


async def agree(person: TgPerson) -> None:
    await person.say("/start", "Apakah Anda setuju?")
    await person.press("Saya setuju", "Menu utama")


async def register(person: TgPerson, nip: str = NIP_PNS) -> None:
    await agree(person)
    await person.press("Daftar sebagai ASN", "NIP")
    await person.say(nip, "Nama lengkap Anda")
    await person.say("Rahmat Hidayat", "OPD")
    await person.press("Dinas Sosial", "Nomor HP Anda")
    person.standin.push_contact(person.id, "6281234567890")
    await person.expect("Periksa data Anda")
    await person.press("Simpan", "Menu utama")


async def enrol(person: TgPerson, nik: str = NIK_MALE) -> None:
    await person.press("Daftarkan pekerja", "NIK pekerja")
    await person.say(nik, "Nama lengkap pekerja")
    await person.say("Syafrizal", "Benar?")
    await person.press("Benar", "Pekerjaan")
    await person.press("Nelayan", "Kecamatan")
    await person.press("Pariaman Tengah", "Desa/kelurahan")
    await person.press("Taratak", "Nomor HP pekerja")
    await person.say("Lewati", "ahli waris")
    await person.press("Tidak", "Periksa data pekerja")
    await person.press("Simpan", "tersimpan")
