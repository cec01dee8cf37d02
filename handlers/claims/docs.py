"""The reporter's side after the report: the document checklist (one file at a time, in any order, over days),
submission with a reference number, and the claims menu ("Laporkan musibah / klaim", `/klaim`).

The state lives in the database (the claim, its documents, the chat's flow), so a family can leave and come back a
week later, across restarts, from the menu or from a notification's button.
"""

from __future__ import annotations

from sqlalchemy import select

from db import claims as claim_data
from db import queries
from db.models import Claim, ClaimDocument, StoredFile
from handlers.claims.after import tell_sponsor
from handlers.claims.common import GATHERING, access, load, status_text, tell, unconfirmed_death
from handlers.claims.follow import status_or_follow
from handlers.claims.officer import open_action
from handlers.claims.withdraw import may_withdraw
from handlers.engine.core import Ctx
from handlers.engine.types import Choice, Expect, File, Invalid, Option, Payload, Reply, Text, record_id
from handlers.engine.uploads import forget_upload

SUBMIT, LATER, NEW, STATUS, MENU, REPLACE, WITHDRAW = "submit", "later", "new", "status", "menu", "replace", "withdraw"


def checklist(ctx: Ctx, claim: Claim) -> tuple[list[str], list[str]]:
    """(required, optional) documents; a traffic accident with a police report needs that report too."""
    required, optional = ctx.program.claims.checklist(claim.kind)
    if claim.traffic and claim.police_report and "police_report" not in required:
        required.append("police_report")
        optional = [doc for doc in optional if doc != "police_report"]
    return required, optional


async def received(ctx: Ctx, claim_id: int) -> dict[str, int]:
    """Document key -> how many files were received for it."""
    counts: dict[str, int] = {}
    for document, _ in await claim_data.documents(ctx.session, claim_id):
        counts[document.doc] = counts.get(document.doc, 0) + 1
    return counts


def _missing(required: list[str], have: dict[str, int]) -> list[str]:
    return [doc for doc in required if doc not in have]


class ClaimDocs:
    """The checklist of one claim: choose a document, send its photo or PDF; submit when the required ones are in."""

    name = "claim_docs"

    async def begin(self, ctx: Ctx, arg: str | None = None) -> list[Reply]:
        loaded = await load(ctx, record_id(arg))
        if loaded is None or loaded[0].reporter_chat_id != ctx.chat.id or loaded[0].status not in GATHERING:
            return [Reply(ctx.t("claims.not_found")), await ctx.core.resume(ctx)]
        ctx.goto(self.name, "list", {"claim": loaded[0].id})
        return [await self.prompt(ctx)]

    async def _claim(self, ctx: Ctx) -> Claim | None:
        loaded = await load(ctx, ctx.answers.get("claim"))
        if loaded is None or loaded[0].reporter_chat_id != ctx.chat.id or loaded[0].status not in GATHERING:
            return None
        return loaded[0]

    async def prompt(self, ctx: Ctx) -> Reply:
        claim = await self._claim(ctx)
        if claim is None:
            ctx.goto(None)
            return await ctx.core.resume(ctx)
        have = await received(ctx, claim.id)
        if ctx.chat.step == "file":
            return self._file_prompt(ctx, have.get(ctx.answers.get("doc", ""), 0))
        required, optional = checklist(ctx, claim)
        lines = [ctx.t("claims.checklist", kind=ctx.t(f"claims.kind_long_{claim.kind}"))]
        for doc in required + optional:
            mark = "❗" if doc in claim.requested else "✅" if doc in have else "⬜"
            extra = ctx.t("claims.optional") if doc in optional else ""
            note = f" — {claim.requested[doc]}" if doc in claim.requested and claim.requested[doc] else ""
            pages = ctx.t("claimfix.pages", count=have[doc]) if have.get(doc, 0) > 1 else ""
            lines.append(f"{mark} {ctx.t(f'claims.doc_{doc}')}{pages}{extra}{note}")
        missing = _missing(required, have)
        # Every document stays choosable: a second page, or a replacement, can be sent at any time.
        offer = [*claim.requested, *missing, *required, *optional]
        options = [Option(f"d:{doc}", ctx.t(f"claims.doc_{doc}")) for doc in dict.fromkeys(offer)]
        if claim.status == "documents" and not missing:
            lines.append(ctx.t("claims.ready"))
            options.append(Option(SUBMIT, ctx.t("claims.submit")))
        options += [Option(LATER, ctx.t("claims.later")), Option(WITHDRAW, ctx.t("claimtrust.withdraw"))]
        return Reply("\n".join(lines), tuple(options), Expect.OPTION)

    def _file_prompt(self, ctx: Ctx, sent: int) -> Reply:
        """Asking for one document's file; once some pages are in, more may follow, or they may be replaced."""
        doc = ctx.t(f"claims.doc_{ctx.answers.get('doc')}")
        text = ctx.t("claims.ask_file", doc=doc, max_mb=ctx.core.max_file_bytes // (1024 * 1024))
        options = (Option(LATER, ctx.t("claims.back_to_list")),)
        if sent:
            text += "\n" + ctx.t("claimfix.more_pages")
            options += (Option(REPLACE, ctx.t("claimfix.replace")),)
        return Reply(text, options, Expect.FILE)

    async def _replace(self, ctx: Ctx, claim: Claim) -> list[Reply]:
        """Remove what was sent for the chosen document (files and rows), then ask for it again."""
        doc = ctx.answers.get("doc", "")
        for document, stored in await claim_data.documents(ctx.session, claim.id):
            if document.doc == doc:
                await ctx.session.delete(document)
                await ctx.session.flush()
                await forget_upload(ctx.session, ctx.core.files_dir, stored)
        await queries.audit(ctx.session, actor=ctx.actor, action="claim_document_replaced",
                            target=f"claim:{claim.id}", now=ctx.now, doc=doc)
        return [Reply(ctx.t("claimfix.replaced", doc=ctx.t(f"claims.doc_{doc}"))), await self.prompt(ctx)]

    async def handle(self, ctx: Ctx, payload: Payload) -> list[Reply]:
        claim = await self._claim(ctx)
        if claim is None:
            ctx.goto(None)
            return [Reply(ctx.t("claims.not_found")), await ctx.core.resume(ctx)]
        choice = payload.option if isinstance(payload, Choice) else None
        if choice == REPLACE and ctx.chat.step == "file":
            return await self._replace(ctx, claim)
        if choice == LATER:
            if ctx.chat.step == "file":
                ctx.chat.step = "list"
                return [await self.prompt(ctx)]
            ctx.goto(None)
            return [Reply(ctx.t("claims.come_back")), await ctx.core.resume(ctx)]
        if ctx.chat.step == "file":
            return await self._file(ctx, claim, payload, ctx.answers.get("doc", ""))
        if choice == WITHDRAW:
            return await ctx.core.flows["claim_withdraw"].begin(ctx, str(claim.id))
        if choice == SUBMIT and claim.status == "documents":
            return await self._submit(ctx, claim)
        required, optional = checklist(ctx, claim)
        if choice and choice.startswith("d:") and choice[2:] in {*required, *optional, *claim.requested}:
            ctx.chat.step, ctx.answers = "file", {**ctx.answers, "doc": choice[2:]}
            return [await self.prompt(ctx)]
        if isinstance(payload, File) and ctx.answers.get("last") in {*required, *optional}:
            return await self._file(ctx, claim, payload, ctx.answers["last"])  # the next page of what was just sent
        if isinstance(payload, File):
            return [Reply(ctx.t("claims.choose_doc_first")), await self.prompt(ctx)]
        return [Reply(ctx.t("common.choose_option")), await self.prompt(ctx)]

    async def _file(self, ctx: Ctx, claim: Claim, payload: Payload, doc: str) -> list[Reply]:
        """A file for `doc`: checked, kept and counted; nothing changes while it is refused."""
        if not isinstance(payload, File) or payload.kind not in ("photo", "document"):
            key = "claims.want_file" if not isinstance(payload, Text) else "claims.want_file_not_text"
            return [Reply(ctx.t(key)), await self.prompt(ctx)]
        try:
            await self._within_limits(ctx, claim, doc)
        except Invalid as error:  # alone: a burst of photos gets one line each, not the checklist each time
            return [Reply(ctx.t(error.key, **error.params))]
        try:
            stored = await ctx.save_file(payload, "claim")
        except Invalid as error:
            return [Reply(ctx.t(error.key, **error.params)), await self.prompt(ctx)]
        earlier = await self._same_file(ctx, claim, stored)
        if earlier is not None:
            await forget_upload(ctx.session, ctx.core.files_dir, stored)
            ctx.chat.step = "list"
            return [Reply(ctx.t("claims.duplicate", doc=ctx.t(f"claims.doc_{earlier}"))), await self.prompt(ctx)]
        ctx.session.add(ClaimDocument(claim_id=claim.id, doc=doc, file_id=stored.id, received_at=ctx.now))
        claim.updated_at = ctx.now
        ctx.chat.step, ctx.answers = "list", {"claim": claim.id, "last": doc}
        received_reply = Reply(ctx.t("claims.file_received", doc=ctx.t(f"claims.doc_{doc}")) + "\n"
                               + ctx.t("claimfix.next_page", doc=ctx.t(f"claims.doc_{doc}")))
        if doc in claim.requested and await self._requested_received(ctx, claim, doc):
            ctx.goto(None)
            return [received_reply, Reply(ctx.t("claims.requested_complete", reference=claim.reference or "")),
                    await ctx.core.resume(ctx)]
        return [received_reply, await self.prompt(ctx)]

    async def _within_limits(self, ctx: Ctx, claim: Claim, doc: str) -> None:
        """Raises Invalid when the document has its most pages, or the claim its most files ([program.claims])."""
        have = await received(ctx, claim.id)
        settings = ctx.program.claims
        if have.get(doc, 0) >= settings.max_pages_per_document:
            raise Invalid("claimtrust.too_many_pages", doc=ctx.t(f"claims.doc_{doc}"),
                          max=settings.max_pages_per_document)
        if sum(have.values()) >= settings.max_files_per_claim:
            raise Invalid("claimtrust.too_many_files", max=settings.max_files_per_claim)

    async def _same_file(self, ctx: Ctx, claim: Claim, stored: StoredFile) -> str | None:
        query = (select(ClaimDocument.doc).join(StoredFile, StoredFile.id == ClaimDocument.file_id)
                 .where(ClaimDocument.claim_id == claim.id, StoredFile.sha256 == stored.sha256).limit(1))
        return (await ctx.session.execute(query)).scalar_one_or_none()

    async def _requested_received(self, ctx: Ctx, claim: Claim, doc: str) -> bool:
        """A document an officer asked for arrived; True when none is awaited any more (back to review)."""
        claim.requested = {k: v for k, v in claim.requested.items() if k != doc}
        if claim.requested:
            return False
        await claim_data.change_status(ctx.session, claim, "review", actor=ctx.actor, now=ctx.now,
                                       note=f"received {doc}")
        await tell(ctx, claim, "review")
        await ctx.notify_officers(key=f"claim:{claim.id}:docs_in:{ctx.now.timestamp():.0f}",
                                  text_key="claims.officer_docs_in", reference=claim.reference or "",
                                  options=((f"!klm.open:{claim.id}", "claims.open"),))
        return True

    async def _submit(self, ctx: Ctx, claim: Claim) -> list[Reply]:
        required, _ = checklist(ctx, claim)
        if _missing(required, await received(ctx, claim.id)):  # a stale button: say what is still missing
            return [await self.prompt(ctx)]
        # Given when the report was saved; a draft saved before references were given gets it now.
        claim.reference = claim.reference or claim_data.reference_of(claim.id, ctx.today.year)
        claim.submitted_at = ctx.now
        await claim_data.change_status(ctx.session, claim, "review", actor=ctx.actor, now=ctx.now)
        death = unconfirmed_death(claim)
        await tell(ctx, claim, "submitted", to_sponsor=not death)
        if death:  # nothing changes until an officer accepts it: the sponsor hears of a report being checked
            await tell_sponsor(ctx, claim, "claimtrust.asn_report_received")
        await ctx.notify_officers(key=f"claim:{claim.id}:submitted", text_key="claims.officer_new",
                                  reference=claim.reference, kind=lambda t: t(f"claims.kind_long_{claim.kind}"),
                                  options=((f"!klm.open:{claim.id}", "claims.open"),))
        ctx.goto(None)
        return [Reply(ctx.t("claims.submitted", reference=claim.reference, branch=ctx.program.claims.branch())),
                await ctx.core.resume(ctx)]


class ClaimHub:
    """"Laporkan musibah / klaim": report a new one, follow one by its reference, or go on with one's own."""

    name = "claims"

    async def begin(self, ctx: Ctx, arg: str | None = None) -> list[Reply]:
        ctx.goto(self.name, "hub")
        return [await self.prompt(ctx)]

    async def prompt(self, ctx: Ctx) -> Reply:
        if ctx.chat.step == STATUS:
            return Reply(ctx.t("claims.ask_reference"), (Option(MENU, ctx.t("form.back_to_menu")),))
        options = [Option(NEW, ctx.t("claims.new")), Option(STATUS, ctx.t("claims.status"))]
        lines = [ctx.t("claims.hub")]
        for claim in await claim_data.claims_of_reporter(ctx.session, ctx.chat.id):
            loaded = await load(ctx, claim.id)
            if loaded is not None:
                complete = not _missing(checklist(ctx, claim)[0], await received(ctx, claim.id))
                lines.append(status_text(ctx.t, *loaded, documents_complete=complete))
            if claim.status in GATHERING and claim.reporter_chat_id == ctx.chat.id:
                options.append(Option(f"c:{claim.id}", ctx.t("claims.continue_n", id=claim.id)))
            elif await may_withdraw(ctx, claim):
                options.append(Option(f"w:{claim.id}", ctx.t("claimtrust.withdraw_n", id=claim.id)))
        options.append(Option(MENU, ctx.t("form.back_to_menu")))
        return Reply("\n\n".join(lines), tuple(options), Expect.OPTION)

    async def handle(self, ctx: Ctx, payload: Payload) -> list[Reply]:
        choice = payload.option if isinstance(payload, Choice) else None
        if choice == MENU:
            ctx.goto(None)
            return [await ctx.core.resume(ctx)]
        if ctx.chat.step == STATUS:  # a reference: its status, or following it from this chat
            replies = await status_or_follow(ctx, payload.text) if isinstance(payload, Text) else None
            return replies or [Reply(ctx.t("claimfollow.not_a_reference")), await self.prompt(ctx)]
        if choice == NEW:
            return await ctx.core.flows["claim_report"].begin(ctx)
        if choice == STATUS:
            ctx.chat.step = STATUS
            return [await self.prompt(ctx)]
        if choice and choice.startswith("c:"):
            return await ctx.core.flows["claim_docs"].begin(ctx, choice[2:])
        if choice and choice.startswith("w:"):
            return await ctx.core.flows["claim_withdraw"].begin(ctx, choice[2:])
        return [Reply(ctx.t("common.choose_option")), await self.prompt(ctx)]


async def show_status(ctx: Ctx, reference: str) -> list[Reply]:
    """The claim's state for its reporter, its sponsor and officers; anyone else learns nothing, not even whether
    the reference exists (the refusal is audited)."""
    claim = await claim_data.by_reference(ctx.session, reference)
    loaded = await load(ctx, claim.id) if claim is not None else None
    who = await access(ctx, loaded[0]) if loaded is not None else None
    if loaded is None or who is None:
        await _audit_refusal(ctx, reference)
        return [Reply(ctx.t("claims.reference_unknown"))]
    return [Reply(status_text(ctx.t, *loaded, full_name=who in ("asn", "officer")))]


async def _audit_refusal(ctx: Ctx, reference: str) -> None:
    await queries.audit(ctx.session, actor=ctx.actor, action="claim_status_refused", target=reference[:60],
                        now=ctx.now)


async def claim_command(ctx: Ctx, arg: str) -> list[Reply]:
    """/klaim opens the claims menu; /klaim KLM-2026-000123 shows that claim's status, and opens it for an officer
    (with its actions, also once it is closed: an accepted death that was wrong can be reversed after payout)."""
    if arg.strip():
        claim = await claim_data.by_reference(ctx.session, arg)
        if claim is not None and await ctx.is_officer():
            return await open_action(ctx, str(claim.id))
        return [*await show_status(ctx, arg), await ctx.core.resume(ctx)]
    return await ctx.core.flows["claims"].begin(ctx)


async def docs_action(ctx: Ctx, arg: str) -> list[Reply]:
    """"Kirim dokumen" on a notification: that claim's checklist."""
    return await ctx.core.flows["claim_docs"].begin(ctx, arg)
