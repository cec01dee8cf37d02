"""Options chosen by typing words, as on WhatsApp and in the terminal (handlers/engine/choices.py): by number, by
label, by a word of it, yes and no words on questions and summaries."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.app import App
from db.models import Worker
from handlers.engine.choices import fold, match_options, typed_choice
from handlers.engine.types import Expect, Option, Reply
from tests.people import NIK_MALE, NIP_PNS, Person, RecordingChannel, any_text
from tests.registration.steps import approved_asn
from tests.workers.steps import consented_by_link, start_worker_form


def _real_prompts(app: App) -> list[Reply]:
    t = lambda key: app.catalog.text("id", key)  # noqa: E731
    settings = app.settings.program
    prompts = [
        Reply("privacy", (Option("agree", t("privacy.agree")), Option("disagree", t("privacy.disagree")),
                          Option("language", t("menu.language"))), Expect.OPTION),
        Reply("opd", tuple(Option(f"opd{i}", name[:24]) for i, name in enumerate(settings.opds)), Expect.OPTION),
        Reply("occ", tuple(Option(o, t(f"occupation.{o}")) for o in settings.occupations), Expect.OPTION),
        Reply("rel", tuple(Option(r, t(f"relation.{r}")) for r in ("spouse", "child", "parent", "sibling", "other")),
              Expect.OPTION),
        Reply("summary", (Option("confirm", t("form.confirm")), Option("edit", t("form.edit")),
                          Option("cancel", t("form.cancel"))), Expect.OPTION),
        Reply("yes/no", (Option("yes", t("form.yes")), Option("no", t("form.no"))), Expect.OPTION),
    ]
    from db.wilayah import load_wilayah
    wilayah = load_wilayah()
    for kecamatan in wilayah.kecamatan_of(settings.region):
        prompts.append(Reply("desa", tuple(Option(a.code, a.name[:24]) for a in wilayah.desa_of(kecamatan.code))))
    return prompts


LABEL = st.text(alphabet=st.characters(categories=("Lu", "Ll", "Nd", "Zs", "Po", "So")), min_size=1, max_size=24)


async def test_words_choose_options_through_the_whole_journey(app: App, inbox: RecordingChannel) -> None:
    person = Person(app, "asn")
    await person.say("/start")
    await person.say("ya")  # "Saya setuju"
    assert any_text(person.last, "Persetujuan Anda sudah dicatat")
    await person.say("daftar")  # "Daftar sebagai ASN"
    assert any_text(person.last, "NIP")
    await person.say(NIP_PNS)
    await person.say("Rahmat Hidayat")
    await person.say("dinas sosial")
    await person.say("0812-3456-7890")
    await person.say("simpan")  # "✅ Simpan"
    assert any_text(person.last, "menunggu persetujuan petugas")


async def test_setuju_and_a_typo_agree_and_tidak_declines(app: App) -> None:
    for address, typed, expected in (("a", "setuju", "sudah dicatat"), ("b", "Setju!", "sudah dicatat"),
                                     ("c", "tidak", "tidak menyimpan data"), ("d", "tdk setuju", "tidak menyimpan")):
        person = Person(app, address)
        await person.say("/start")
        await person.say(typed)
        assert any_text(person.last, expected), (typed, person.text)


async def test_istri_chooses_the_heir_relation_and_ya_answers_yes(app: App, inbox: RecordingChannel) -> None:
    asn = await approved_asn(app, inbox)
    await asn.say("/menu")
    await asn.say("daftarkan")  # "Daftarkan pekerja"
    await asn.say(NIK_MALE)
    await asn.say("Syafrizal")
    await asn.say("betul")  # "Benar" (the birth date from the NIK)
    await asn.say("nelyan")  # a typo of "Nelayan"
    await asn.say("pariaman tengah")
    await asn.say("Taratak")
    await asn.say("lewati")
    await asn.say("iya")  # add an heir
    await asn.say("Siti Aminah")
    await asn.say("istri")  # "Istri / suami"
    await asn.say("lewati")
    summary = asn.last[-1].text
    assert "Nelayan" in summary and "Istri / suami" in summary and "Siti Aminah" in summary


async def test_several_matches_show_just_those_and_a_number_picks_among_them(app: App) -> None:
    person = Person(app, "asn")
    await person.say("/start")
    await person.say("setuju")
    await person.say("daftar")
    await person.say(NIP_PNS)
    await person.say("Rahmat Hidayat")
    await person.say("dinas")  # several OPDs are "Dinas ..."
    shown = [o.label for o in person.last[-1].options]
    assert any_text(person.last, "cocok dengan beberapa pilihan")
    assert len(shown) > 1 and all("Dinas" in label for label in shown)
    await person.say(str(shown.index("Dinas Sosial") + 1))  # counted among those shown
    await person.say("0812-3456-7890")
    assert "Dinas Sosial" in person.last[-1].text  # the summary


async def test_nothing_matching_still_asks_for_a_button(app: App) -> None:
    person = Person(app, "x")
    await person.say("/start")
    await person.say("mungkin nanti saja")
    assert any_text(person.last, "Silakan pilih salah satu tombol")


def test_typed_text_is_not_taken_for_an_option_where_text_is_parsed() -> None:
    """A place typed near an option's label is left to the field's parser (it suggests), not chosen silently."""
    areas = Reply("Desa?", (Option("a", "Manggung"), Option("b", "Apar")), Expect.TEXT)
    assert typed_choice(areas, "mangguang") == []
    assert [o.id for o in typed_choice(areas, "manggung")] == ["a"]
    assert [o.id for o in typed_choice(areas, "2")] == ["b"]


def test_every_option_of_every_prompt_is_reachable_by_number_and_label(app: App) -> None:
    """Every prompt a person meets (collected from the catalogue's option labels of the real flows below) and any
    list of distinct labels: each option is reached by its number and by its label."""
    for prompt in _real_prompts(app):
        for number, option in enumerate(prompt.options, 1):
            assert typed_choice(prompt, str(number)) == [option], (prompt.text, number)
            assert typed_choice(prompt, option.label) == [option], (prompt.text, option.label)
            assert typed_choice(prompt, f"  {option.label.upper()}. ") == [option], option.label


@given(st.lists(LABEL, min_size=1, max_size=12), st.sampled_from([Expect.OPTION, Expect.TEXT]))
def test_any_distinct_labels_are_reachable_by_number_and_label(labels: list[str], expect: Expect) -> None:
    folded = [fold(label) for label in labels]
    if "" in folded or len(set(folded)) < len(folded) or any(f.isdigit() for f in folded):
        return  # labels people could not tell apart by typing (emoji only, the same words, a bare number)
    prompt = Reply("?", tuple(Option(f"o{i}", label) for i, label in enumerate(labels)), expect)
    for number, option in enumerate(prompt.options, 1):
        assert typed_choice(prompt, str(number)) == [option]
        assert typed_choice(prompt, option.label) == [option]


def test_yes_no_words() -> None:
    question = (Option("yes", "Ya"), Option("no", "Tidak"))
    for word in ("ya", "iya", "y", "yes", "benar", "betul", "Ya!"):
        assert [o.id for o in match_options(question, word)] == ["yes"], word
    for word in ("tidak", "no", "TIDAK"):
        assert [o.id for o in match_options(question, word)] == ["no"], word


async def test_every_prompt_met_on_a_whole_journey_is_typeable(app: App, inbox: RecordingChannel) -> None:
    """The prompts people really meet (ASN, worker, officer, notifications): every option by number and by label."""
    asn, worker = await consented_by_link(app, inbox)
    officer = Person(app, "officer")
    await officer.say("/petugas")
    for entry in ("Menunggu BPJS", "Menu petugas", "ASN menunggu", "Menu petugas", "Bukti bayar", "Menu petugas",
                  "Perbaiki kepesertaan"):
        await officer.press(entry)
    await asn.say("/menu")
    await asn.press("Pekerja saya")
    prompts = [r for p in (asn, worker, officer) for r in p.replies if r.options]
    prompts += [r for box in inbox.inbox.values() for r in box if r.options]
    assert len(prompts) > 20
    for prompt in prompts:
        for number, option in enumerate(prompt.options, 1):
            assert typed_choice(prompt, str(number)) == [option], (prompt.text[:60], number)
            assert typed_choice(prompt, option.label) == [option], (prompt.text[:60], option.label)


async def test_ya_and_ok_save_a_summary_and_tidak_cancels_it(app, inbox) -> None:
    """Trial item 11: yes words choose "Simpan", no words "Batal", on a form's summary and on a confirmation."""
    asn = await approved_asn(app, inbox)
    await start_worker_form(asn)
    await asn.say("pariaman tengah")
    await asn.say("Taratak")
    await asn.press("Lewati")
    await asn.press("Tidak")
    assert "Simpan" in [o.label for o in asn.last[-1].options][0]
    await asn.say("tidak")
    assert any_text(asn.last, "Dibatalkan")
    await start_worker_form(asn)
    await asn.say("pariaman tengah")
    await asn.say("Taratak")
    await asn.press("Lewati")
    await asn.press("Tidak")
    await asn.say("oke")
    async with app.sessions() as session:
        assert (await session.execute(select(Worker.name))).scalar_one() == "Syafrizal"
