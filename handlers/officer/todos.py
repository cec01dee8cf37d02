"""Entries of the officers' to-do list (`Core.add_todo`): receipts to verify, lapsed sponsorships to reactivate.

Every action a notification offers is reachable from here too, so an officer on a text channel (the terminal,
WhatsApp), where a typed number acts on the current screen, can always act on it.
"""

from __future__ import annotations

from db import queries, todo_queries
from db.models import Receipt, StoredFile
from handlers.engine.access import refuse_non_officer
from handlers.engine.context import Ctx
from handlers.engine.format import format_date, format_rupiah, short_month
from handlers.engine.types import GLOBAL, Expect, Option, Reply, record_id

RECEIPTS, LAPSED = "receipts", "lapsed"


async def count_receipts(ctx: Ctx) -> int:
    return await todo_queries.count_pending_receipts(ctx.session)


async def receipts_list(ctx: Ctx) -> Reply:
    rows = await todo_queries.pending_receipts(ctx.session)
    if not rows:
        return Reply(ctx.t("journey.todo.no_receipts"))
    months = await todo_queries.receipt_months(ctx.session, [row.id for row in rows])
    lines, options = [ctx.t("journey.todo.receipts_title")], []
    for row in rows:
        claimed = months.get(row.id, [])
        lines.append(ctx.t("journey.todo.receipt_line", id=row.id, asn=row.asn, opd=row.opd, name=row.name,
                           months=", ".join(short_month(m.period, ctx.t.language) for m in claimed),
                           total=format_rupiah(sum(m.amount for m in claimed)),
                           sent=format_date(ctx.local(row.created_at).date(), ctx.t.language)))
        options += [Option(f"{GLOBAL}rcpt.view:{row.id}", ctx.t("journey.todo.view_n", id=row.id)),
                    Option(f"{GLOBAL}rcpt.ok:{row.id}", ctx.t("journey.todo.verify_n", id=row.id)),
                    Option(f"{GLOBAL}rcpt.no:{row.id}", ctx.t("officer.reject_n", id=row.id))]
    return Reply("\n".join(lines), tuple(options), Expect.OPTION)


async def count_lapsed(ctx: Ctx) -> int:
    return await todo_queries.count_lapsed(ctx.session)


async def lapsed_list(ctx: Ctx) -> Reply:
    rows = await todo_queries.lapsed_workers(ctx.session)
    if not rows:
        return Reply(ctx.t("journey.todo.no_lapsed"))
    lines, options = [ctx.t("journey.todo.lapsed_title")], []
    for worker, asn, lapsed_at in rows:
        lines.append(ctx.t("journey.todo.lapsed_line", id=worker.id, name=worker.name, kpj=worker.kpj or "-",
                           asn=asn, lapsed=format_date(ctx.local(lapsed_at).date(), ctx.t.language)))
        options.append(Option(f"{GLOBAL}fix:{worker.id}", ctx.t("journey.todo.reactivate_n", id=worker.id)))
    return Reply("\n".join(lines), tuple(options), Expect.OPTION)


async def view_receipt_action(ctx: Ctx, arg: str) -> list[Reply]:
    """Global action "!rcpt.view:<id>": the receipt's photo or PDF sent again to this officer (audited)."""
    refusal = await refuse_non_officer(ctx, "receipt_view", f"receipt:{arg}")
    if refusal:
        return refusal
    ident = record_id(arg)
    receipt = await ctx.session.get(Receipt, ident) if ident is not None else None
    stored = await ctx.session.get(StoredFile, receipt.file_id) if receipt is not None else None
    if receipt is None or stored is None:
        return [Reply(ctx.t("officer.not_found")), await ctx.core.resume(ctx)]
    await ctx.notify_chat(ctx.chat, key=f"receipt_view:{receipt.id}:{ctx.event.event_id}",
                          text_key="journey.todo.receipt_file", id=receipt.id,
                          attachment={"attachment": str(ctx.core.files_dir / stored.path),
                                      "attachment_mime": stored.mime_type})
    await queries.audit(ctx.session, actor=ctx.actor, action="receipt_viewed", target=f"receipt:{receipt.id}",
                        now=ctx.now)
    return [Reply(ctx.t("journey.todo.receipt_sent", id=receipt.id)), await ctx.core.resume(ctx)]
