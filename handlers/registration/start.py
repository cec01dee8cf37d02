"""First contact: the privacy notice and consent (UU PDP), then the main menu with what this person can do now."""

from __future__ import annotations

from handlers.engine.core import Ctx
from handlers.engine.types import Choice, Expect, Option, Payload, Reply

AGREE, DISAGREE, LANGUAGE, HELP, RESUME = "agree", "disagree", "language", "help", "resume"


class PrivacyFlow:
    """Nothing personal is collected before the person has read the notice and agreed."""

    name = "privacy"

    async def begin(self, ctx: Ctx, arg: str | None = None) -> list[Reply]:
        ctx.goto(self.name, "notice")
        return [Reply(ctx.t("start.welcome", program=ctx.program.name)), await self.prompt(ctx)]

    async def prompt(self, ctx: Ctx) -> Reply:
        text = ctx.t("privacy.notice", program=ctx.program.name, years=ctx.program.retention_years)
        options = (Option(AGREE, ctx.t("privacy.agree")), Option(DISAGREE, ctx.t("privacy.disagree")),
                   Option(LANGUAGE, ctx.t("menu.language")))
        return Reply(text, options, Expect.OPTION)

    async def handle(self, ctx: Ctx, payload: Payload) -> list[Reply]:
        choice = payload.option if isinstance(payload, Choice) else None
        if choice == AGREE:
            ctx.chat.privacy_version = ctx.program.privacy_notice_version
            ctx.chat.privacy_agreed_at = ctx.now
            then = ctx.answers.get("_then") or ""  # /petugas or /klaim typed before the notice: that now
            ctx.goto(None)
            if then == "officer":
                return [Reply(ctx.t("privacy.thanks")), *await ctx.core.flows["officer"].begin(ctx)]
            if then.split(" ")[0] == "claim":
                return [Reply(ctx.t("privacy.thanks")), *await ctx.core.commands["claim"](ctx, then[6:])]
            return [Reply(ctx.t("privacy.thanks")), await ctx.core.flows["menu"].prompt(ctx)]
        if choice == DISAGREE:
            return [Reply(ctx.t("privacy.declined"))]
        if choice == LANGUAGE:
            return await ctx.core.switch_language(ctx)
        return [Reply(ctx.t("common.choose_option")), await self.prompt(ctx)]


class MenuFlow:
    """The main menu: its options depend on who the person is, checked against the database every time."""

    name = "menu"

    async def begin(self, ctx: Ctx, arg: str | None = None) -> list[Reply]:
        return [await self.prompt(ctx)]

    async def prompt(self, ctx: Ctx) -> Reply:
        lines = [ctx.t("menu.title", program=ctx.program.name)]
        options: list[Option] = []
        draft = ctx.answers.get("_resume")
        if draft and draft.get("flow") in ctx.core.flows:
            options.append(Option(RESUME, ctx.t("menu.resume")))
        asn, workers = await ctx.asn_with_workers()
        if asn is None or asn.status == "rejected":
            if asn is not None:
                lines.append(ctx.t("menu.asn_rejected"))
            options.append(Option("asn_register", ctx.t("menu.asn_register")))
            if asn is None:  # registered on another channel: link this chat to that account
                options.append(Option("link", ctx.t("link.menu")))
        elif asn.status == "pending":
            lines.append(ctx.t("menu.asn_pending"))
        else:
            lines.append(ctx.t("menu.asn_approved", name=asn.name))
            limit = ctx.program.max_workers_per_asn
            if not limit or workers < limit:
                options.append(Option("enrol", ctx.t("menu.enrol")))
            options.append(Option("my_workers", ctx.t("menu.my_workers")))
        options.append(Option("claims", ctx.t("menu.claims")))  # anyone may report, registered or not
        if await ctx.is_officer():
            options.append(Option("officer", ctx.t("menu.officer")))
        options += [Option(HELP, ctx.t("menu.help")), Option(LANGUAGE, ctx.t("menu.language"))]
        return Reply("\n".join(lines), tuple(options), Expect.OPTION)

    async def handle(self, ctx: Ctx, payload: Payload) -> list[Reply]:
        choice = payload.option if isinstance(payload, Choice) else None
        if choice == RESUME and ctx.answers.get("_resume"):
            draft = ctx.answers["_resume"]
            ctx.goto(draft["flow"], draft["step"], draft["answers"])
            return [await ctx.core.current_flow(ctx).prompt(ctx)]
        if choice == HELP:
            return [Reply(ctx.t("common.help", program=ctx.program.name)), await self.prompt(ctx)]
        if choice == LANGUAGE:
            return await ctx.core.switch_language(ctx)
        if choice in ("asn_register", "enrol", "my_workers", "claims", "officer", "link"):
            options = {o.id for o in (await self.prompt(ctx)).options}
            if choice in options:
                return await ctx.core.flows[choice].begin(ctx)
        return [Reply(ctx.t("common.choose_option")), await self.prompt(ctx)]
