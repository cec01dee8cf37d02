"""Kecamatan and desa of the worker, chosen or typed; near matches suggested best first, never taken silently.

A name whose words belong to one area only ("utara") is taken at once; `ya` to a single suggestion takes it.
A village typed under the wrong kecamatan ("Karan Aur" under Pariaman Utara) is found in the kecamatan it belongs
to, and the person is offered to switch, rather than shown look-alikes.
"""

from __future__ import annotations

from typing import Any

from db.wilayah import Area, load_wilayah, normalize_name, normalize_query
from handlers.engine.choices import YES_WORDS, fold
from handlers.engine.context import Ctx
from handlers.engine.forms import expect_text
from handlers.engine.types import Choice, Invalid, Option, Payload, Reply

# Suggestions below this score are noise ("kembali" looks 65% like "Sungai Rambai").
SUGGEST_SCORE = 75.0
# A village elsewhere is offered only when it is (nearly) what was typed.
ELSEWHERE_SCORE = 90.0
ALL, MOVE = "all", "move:"


def _areas(ctx: Ctx, field: str) -> list[Area]:
    wilayah = load_wilayah()
    if field == "kecamatan":
        return wilayah.kecamatan_of(ctx.program.region)
    return wilayah.desa_of(ctx.answers["kecamatan"])


def area_prompt(field: str):  # type: ignore[no-untyped-def]
    async def make(ctx: Ctx) -> Reply:
        wilayah = load_wilayah()
        areas = {a.code: a for a in _areas(ctx, field)}
        suggested = ctx.answers.get(f"_suggest_{field}")
        elsewhere = wilayah.area(ctx.answers.get("_elsewhere") or "") if field == "desa" else None
        if suggested or elsewhere:
            options = [Option(f"{MOVE}{elsewhere.code}", ctx.t("journey.area.move", desa=elsewhere.name)[:24])
                       ] if elsewhere else []
            options += [Option(code, areas[code].name[:24]) for code in suggested or [] if code in areas]
            text = (ctx.t("journey.area.elsewhere", desa=elsewhere.name, kecamatan=_parent_name(elsewhere.code),
                          here=show_area(ctx, ctx.answers["kecamatan"]))
                    if elsewhere else ctx.t("area.did_you_mean"))
            return Reply(text, tuple(options) + (Option(ALL, ctx.t("area.show_all")),))
        parent = wilayah.area(ctx.answers["kecamatan"]) if field == "desa" else None
        text = ctx.t(f"area.ask_{field}", kecamatan=parent.name if parent else "")
        return Reply(text, tuple(Option(a.code, a.name[:24]) for a in areas.values()))
    return make


def _parent_name(code: str) -> str:
    parent = load_wilayah().area(code.rpartition(".")[0])
    return parent.name if parent else code


def area_parser(field: str):  # type: ignore[no-untyped-def]
    async def parse(ctx: Ctx, payload: Payload) -> str:
        areas = _areas(ctx, field)
        suggested = ctx.answers.pop(f"_suggest_{field}", None) or []
        elsewhere = ctx.answers.pop("_elsewhere", None)
        if isinstance(payload, Choice):
            return _chosen(ctx, payload.option, areas, elsewhere)
        typed = expect_text(payload)
        if fold(typed) in YES_WORDS and len(suggested) + bool(elsewhere) == 1:  # "ya" to the one suggestion
            return _chosen(ctx, f"{MOVE}{elsewhere}" if elsewhere else suggested[0], areas, elsewhere)
        matches = load_wilayah().match(areas, typed, min_score=SUGGEST_SCORE)
        if len(matches) == 1 and matches[0][1] >= 100:
            return matches[0][0].code
        clear = _only_holder(areas, typed)
        if clear is not None:
            return clear.code
        if field == "desa" and not (matches and matches[0][1] >= 100):
            ctx.answers["_elsewhere"] = _elsewhere(ctx, typed)
        if not matches and not ctx.answers.get("_elsewhere"):
            ctx.answers.pop("_elsewhere", None)
            raise Invalid(f"area.unknown_{field}")
        # A near match, or a village of another kecamatan, is confirmed by the person, never taken silently.
        ctx.answers[f"_suggest_{field}"] = [area.code for area, _ in matches]
        if not matches:
            raise Invalid("journey.area.not_here", kecamatan=show_area(ctx, ctx.answers["kecamatan"]))
        raise Invalid("area.not_exact")
    return parse


def _only_holder(areas: list[Area], typed: str) -> Area | None:
    """The one area whose name holds every word typed ("utara" for Pariaman Utara), or None: a clear answer."""
    words = set(normalize_query(typed).split())
    holders = [a for a in areas if words and words <= set(normalize_name(a.name).split())]
    return holders[0] if len(holders) == 1 else None


def _chosen(ctx: Ctx, option: str, areas: list[Area], elsewhere: str | None) -> str:
    if option == ALL:
        raise Invalid("area.pick_from_all")
    if option.startswith(MOVE) and option[len(MOVE):] == elsewhere:
        ctx.answers["kecamatan"] = elsewhere.rpartition(".")[0]  # the kecamatan it belongs to
        return elsewhere
    if any(a.code == option for a in areas):
        return option
    raise Invalid("common.choose_option")


def _elsewhere(ctx: Ctx, typed: str) -> str | None:
    """The code of a village of another kecamatan of the region that is (nearly) what was typed, or None."""
    wilayah = load_wilayah()
    here = ctx.answers["kecamatan"]
    others = [d for k in wilayah.kecamatan_of(ctx.program.region) if k.code != here for d in wilayah.desa_of(k.code)]
    found = wilayah.match(others, typed, limit=1, min_score=ELSEWHERE_SCORE)
    return found[0][0].code if found else None


def show_area(ctx: Ctx, code: Any) -> str:
    area = load_wilayah().area(str(code))
    return area.name if area else str(code)
