"""The worker's kecamatan and desa as people type them (handlers/answers/areas.py): near matches suggested best
first, a clear word taken at once, a village under the wrong kecamatan offered the right one."""

from __future__ import annotations

from bot.app import App
from tests.people import Person, RecordingChannel, any_text
from tests.registration.steps import approved_asn
from tests.workers.steps import start_worker_form


async def enrol_until_kecamatan(app: App, inbox: RecordingChannel) -> Person:
    asn = await approved_asn(app, inbox)
    await start_worker_form(asn)
    return asn


async def test_ya_takes_the_one_suggested_kecamatan_and_a_clear_word_needs_no_question(app, inbox) -> None:
    """Trial item 8."""
    asn = await approved_asn(app, inbox)
    await start_worker_form(asn)
    await asn.say("pariaman tengh")
    assert "Maksud Anda" in asn.last[-1].text
    await asn.say("ya")
    assert "Pariaman Tengah" in asn.last[-1].text and "Desa" in asn.last[-1].text  # the desa question
    await asn.say("/menu")
    await start_worker_form(asn)
    await asn.say("utara")  # one kecamatan only has that word
    assert "Maksud Anda" not in asn.last[-1].text and "Pariaman Utara" in asn.last[-1].text
    await asn.say("/menu")
    await start_worker_form(asn)
    await asn.say("pariaman")  # four kecamatan: still asked
    assert "Maksud Anda" in asn.last[-1].text


async def test_a_village_typed_under_the_wrong_kecamatan_offers_to_switch(app: App, inbox: RecordingChannel) -> None:
    asn = await enrol_until_kecamatan(app, inbox)
    await asn.say("Pariaman Utara")
    await asn.say("Karan Aur")
    prompt = asn.last[-1]
    assert "Karan Aur ada di Kecamatan Pariaman Tengah, bukan Pariaman Utara" in prompt.text
    assert "Sikapak Barat" not in [o.label for o in prompt.options]
    await asn.say("ya")
    assert "Nomor HP pekerja" in asn.last[-1].text
    await asn.press("Lewati")
    await asn.press("Tidak")
    summary = asn.last[-1].text
    assert "Kecamatan: Pariaman Tengah" in summary and "Desa/Kelurahan: Karan Aur" in summary


async def test_noise_suggests_no_village_and_suggestions_come_best_first(app: App, inbox: RecordingChannel) -> None:
    asn = await enrol_until_kecamatan(app, inbox)
    await asn.say("Pariaman Utara")
    await asn.say("kembali")
    assert any_text(asn.last, "tidak ada di kecamatan ini")
    assert not any_text(asn.last, "Maksud Anda")
    await asn.say("mangguang")
    labels = [o.label for o in asn.last[-1].options]
    assert labels[0] == "Manggung" and labels[-1] == "Lihat semua"


def test_suggestions_are_ranked_and_thresholded() -> None:
    from db.wilayah import load_wilayah
    from handlers.answers.areas import SUGGEST_SCORE

    wilayah = load_wilayah()
    utara = wilayah.desa_of("13.77.02")
    assert wilayah.match(utara, "kembali", min_score=SUGGEST_SCORE) == []
    assert wilayah.match(utara, "Karan Aur", min_score=SUGGEST_SCORE) == []
    scores = [score for _, score in wilayah.match(utara, "naras", min_score=SUGGEST_SCORE)]
    assert scores == sorted(scores, reverse=True) and scores
