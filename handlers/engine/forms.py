"""The form engine: ordered fields, each with a prompt and a parser; then a summary with confirm, edit, cancel.

A field's parser raises `Invalid` (a catalogue key) to ask again: nothing entered before is lost. "Edit" on the
summary goes back to one field and returns to the summary; fields that depend on it are asked again.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from handlers.engine.core import Ctx
from handlers.engine.text_clean import INVISIBLE
from handlers.engine.types import (Choice, Contact, Expect, File, Invalid, Location, Option, Payload, Reply, Text,
                                   Unsupported)

SUMMARY, EDIT = "_summary", "_edit"
CONFIRM, CHANGE, CANCEL, SKIP = "confirm", "edit", "cancel", "skip"

Parser = Callable[[Ctx, Payload], Awaitable[Any]]
Prompt = Callable[[Ctx], Awaitable[Reply]]


class Redo(Exception):
    """Raised by a parser to go back to an earlier field (e.g. "change the NIK" while confirming the birth date)."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


class Stay(Exception):
    """Raised by a parser to stay on its field and ask again without an error (a multi-select was toggled)."""


@dataclass(frozen=True)
class Field:
    name: str
    prompt: Prompt
    parse: Parser
    label: str  # catalogue key of the field's name, shown in the summary and the edit menu
    show: Callable[[Ctx, Any], str] | None = None  # how the value reads in the summary; None: hidden
    when: Callable[[dict[str, Any]], bool] = lambda answers: True
    resets: tuple[str, ...] = ()  # fields asked again when this one changes
    editable: bool = True
    typed: bool = False  # a typed answer matching no option goes to `parse` (e.g. an OPD's abbreviation)


class Form(abc.ABC):
    """A flow made of fields. Subclasses give `fields`, `title` and `commit`, and may refuse to `begin`."""

    name: str
    title: str  # catalogue key
    fields: tuple[Field, ...]

    async def refuse(self, ctx: Ctx, arg: str | None) -> str | None:
        """A catalogue key saying why this person cannot start the form now, or None."""
        return None

    async def initial(self, ctx: Ctx, arg: str | None) -> dict[str, Any]:
        """Answers known before the first field (e.g. which worker an officer is recording)."""
        return {}

    @abc.abstractmethod
    async def commit(self, ctx: Ctx) -> list[Reply]:
        """Store the answers (one transaction with the rest of the event) and say what happened."""

    async def begin(self, ctx: Ctx, arg: str | None = None) -> list[Reply]:
        reason = await self.refuse(ctx, arg)
        if reason is not None:
            return [Reply(ctx.t(reason)), await ctx.core.resume(ctx)]
        ctx.goto(self.name, None, await self.initial(ctx, arg))
        return await self._advance(ctx, [Reply(ctx.t(f"{self.title}.intro"))])

    def field(self, name: str | None) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def _next_field(self, answers: dict[str, Any]) -> Field | None:
        return next((f for f in self.fields if f.when(answers) and f.name not in answers), None)

    async def _advance(self, ctx: Ctx, replies: list[Reply]) -> list[Reply]:
        following = self._next_field(ctx.answers)
        ctx.chat.step = following.name if following else SUMMARY
        return replies + [await self.prompt(ctx)]

    def takes_typed(self, ctx: Ctx) -> bool:
        """Whether the current step parses typed text that matches none of its options (`Field.typed`)."""
        return any(f.typed and f.name == ctx.chat.step for f in self.fields)

    async def prompt(self, ctx: Ctx) -> Reply:
        step = ctx.chat.step
        if step == SUMMARY:
            return self._summary(ctx)
        if step == EDIT:
            options = tuple(Option(f.name, ctx.t(f.label)) for f in self._editable(ctx))
            return Reply(ctx.t("form.edit_which"), options + (Option(CONFIRM, ctx.t("form.back")),), Expect.OPTION)
        current = self.field(step)
        if current is None:  # the form changed under a saved conversation: ask what is missing
            following = self._next_field(ctx.answers)
            ctx.chat.step = following.name if following else SUMMARY
            return await self.prompt(ctx)
        return await current.prompt(ctx)

    def _editable(self, ctx: Ctx) -> list[Field]:
        return [f for f in self.fields if f.editable and f.show is not None and f.when(ctx.answers)]

    def _summary(self, ctx: Ctx) -> Reply:
        lines = [ctx.t(f"{self.title}.summary")]
        for f in self.fields:
            if f.show is not None and f.when(ctx.answers) and f.name in ctx.answers:
                lines.append(f"• {ctx.t(f.label)}: {f.show(ctx, ctx.answers[f.name])}")
        options = (Option(CONFIRM, ctx.t("form.confirm")), Option(CHANGE, ctx.t("form.edit")),
                   Option(CANCEL, ctx.t("form.cancel")))
        return Reply("\n".join(lines), options, Expect.OPTION)

    async def handle(self, ctx: Ctx, payload: Payload) -> list[Reply]:
        step = ctx.chat.step
        if step == SUMMARY:
            return await self._on_summary(ctx, payload)
        if step == EDIT:
            return await self._on_edit(ctx, payload)
        current = self.field(step)
        if current is None:
            return [await self.prompt(ctx)]
        try:
            value = await current.parse(ctx, payload)
        except Invalid as error:
            return [Reply(ctx.t(error.key, **error.params)), await self.prompt(ctx)]
        except Stay:
            return [await self.prompt(ctx)]
        except Redo as redo:
            target = self.field(redo.field)
            drop = (target.name, *target.resets) if target else ()
            ctx.answers = {k: v for k, v in ctx.answers.items() if k not in drop}
            return await self._advance(ctx, [])
        ctx.answers = {**ctx.answers, current.name: value}
        for name in current.resets:
            ctx.answers.pop(name, None)
        return await self._advance(ctx, [])

    async def _on_summary(self, ctx: Ctx, payload: Payload) -> list[Reply]:
        choice = payload.option if isinstance(payload, Choice) else None
        if choice == CONFIRM:
            try:
                return await self.commit(ctx)
            except Invalid as error:  # something changed since the answers were given: fix that field
                target = self.field(error.params.pop("field", None))  # type: ignore[arg-type]
                if target is not None:
                    ctx.answers = {k: v for k, v in ctx.answers.items() if k != target.name}
                    ctx.chat.step = target.name
                return [Reply(ctx.t(error.key, **error.params)), await self.prompt(ctx)]
        if choice == CHANGE:
            ctx.chat.step = EDIT
            return [await self.prompt(ctx)]
        if choice == CANCEL:
            ctx.goto(None)
            return [Reply(ctx.t("common.cancelled")), await ctx.core.resume(ctx)]
        return [Reply(ctx.t("common.choose_option")), await self.prompt(ctx)]

    async def _on_edit(self, ctx: Ctx, payload: Payload) -> list[Reply]:
        choice = payload.option if isinstance(payload, Choice) else None
        target = self.field(choice)
        if choice == CONFIRM:
            ctx.chat.step = SUMMARY
        elif target is not None and target in self._editable(ctx):
            ctx.answers = {k: v for k, v in ctx.answers.items() if k not in (target.name, *target.resets)}
            ctx.chat.step = target.name
        else:
            return [Reply(ctx.t("common.choose_option")), await self.prompt(ctx)]
        return [await self.prompt(ctx)]


# -- helpers for fields ----------------------------------------------------------------------------------------------

def expect_text(payload: Payload) -> str:
    """The typed text, or a translated refusal naming what was sent instead (a photo, a sticker...)."""
    if isinstance(payload, Text):
        return payload.text
    raise Invalid(f"input.not_text.{_what(payload)}")


def expect_choice(payload: Payload) -> str:
    if isinstance(payload, Choice):
        return payload.option
    raise Invalid("common.choose_option")


def _what(payload: Payload) -> str:
    if isinstance(payload, File):
        return payload.kind if payload.kind in ("photo", "document", "sticker", "voice", "video", "audio") else "other"
    if isinstance(payload, Contact):
        return "contact"
    if isinstance(payload, Location):
        return "location"
    if isinstance(payload, Unsupported):
        return "invisible" if payload.what == INVISIBLE else "other"
    return "button"


def prompt_text(key: str, *, options: Callable[[Ctx], tuple[Option, ...]] | None = None,
                expect: Expect = Expect.TEXT, **extra: str) -> Prompt:
    async def make(ctx: Ctx) -> Reply:
        return Reply(ctx.t(key), options(ctx) if options else (), expect,
                     extra={k: ctx.t(v) for k, v in extra.items()})
    return make
