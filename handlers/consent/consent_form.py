"""The blank consent form a worker without a phone signs on paper: a PDF made by the project, in Bahasa Indonesia,
with the same notice the worker reads when giving consent through the link (UU PDP Pasal 21-22)."""

from __future__ import annotations

import os
from pathlib import Path

from fpdf import FPDF

from db.files.private import private_dir
from handlers.engine.context import Ctx
from handlers.engine.i18n import Translator
from handlers.engine.types import Reply

BLANK = "." * 40
# The PDF's built-in fonts cover Latin-1: the few other characters the notice uses are written plainly.
PLAIN = str.maketrans({"•": "-", "…": "...", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def form_text(t: Translator, *, program: str, years: int) -> list[tuple[str, str]]:
    """The form's paragraphs as (style, text): the title, the fields to fill in, the notice, the signatures."""
    notice = t("consent.notice", name=BLANK, nik=BLANK, sponsor=BLANK, opd=BLANK, program=program, years=years,
               born=BLANK)
    notice = notice.rsplit("\n", 1)[0]  # the question the chat asks; the form has its own statement
    return [("title", t("identity.form_title", program=program)), ("body", t("identity.form_fields")),
            ("body", notice), ("bold", t("identity.form_statement")), ("body", t("identity.form_signatures"))]


def render_pdf(paragraphs: list[tuple[str, str]]) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_margins(18, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    for style, text in paragraphs:
        pdf.set_font("Helvetica", "B" if style in ("title", "bold") else "", 14 if style == "title" else 10.5)
        plain = text.translate(PLAIN).encode("latin-1", "replace").decode("latin-1")
        pdf.multi_cell(0, 7 if style == "title" else 5.5, plain, align="C" if style == "title" else "L")
        pdf.ln(4)
    return bytes(pdf.output())


def blank_form(ctx: Ctx) -> Path:
    """The PDF (written once per notice version, private like every file the bot keeps)."""
    program = ctx.program
    folder = private_dir(ctx.core.files_dir / "forms")
    path = folder / f"formulir-persetujuan-{program.privacy_notice_version}.pdf"
    if not path.exists():
        content = render_pdf(form_text(Translator(ctx.core.catalog, "id"), program=program.name,
                                       years=program.retention_years))
        partial = path.with_name(path.name + f".{os.getpid()}.part")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        os.replace(partial, path)
    return path


async def blank_form_action(ctx: Ctx, arg: str) -> list[Reply]:
    """Global action "!w.form:0": the blank form as a PDF document, then the question the person was at."""
    path = blank_form(ctx)
    return [Reply(ctx.t("identity.blank_form_sent"), extra={"attachment": str(path),
                                                            "attachment_mime": "application/pdf"}),
            await ctx.core.resume(ctx)]
