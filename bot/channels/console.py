"""`tuwai chat`: the same flows in the terminal, on the same database. No token, no server."""

from __future__ import annotations

import asyncio
import codecs
import mimetypes
import os
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

from handlers.answers.display_names import clean_display_name
from handlers.engine.types import Choice, Contact, Event, File, Location, Reply, Text

HELP = ("Terminal: type your answers; numbers choose options. /foto PATH or /berkas PATH sends a file, "
        "/kontak NUMBER shares a contact, /lokasi sends a location, Ctrl-D quits.")


def render(reply: Reply) -> str:
    lines = [reply.text]
    if reply.extra.get("attachment"):  # a file the bot sends (a form, a receipt): shown by its path
        lines.insert(0, f"📎 {reply.extra['attachment']}")
    lines += [f"  {index}. {option.label}" for index, option in enumerate(reply.options, 1)]
    if reply.extra.get("attachment"):  # the terminal runs next to the files: the officer opens it there
        lines.append(f"  (berkas / file: {reply.extra['attachment']})")
    if reply.extra.get("contact_label"):
        lines.append(f"  (/kontak NOMOR = {reply.extra['contact_label']})")
    return "\n".join(lines)


def event_from_line(address: str, line: str) -> Event:
    """What a typed line means; a few console-only words stand for what other channels send as media."""
    word, _, rest = line.strip().partition(" ")
    rest = rest.strip()
    payload: Text | File | Contact | Location | Choice
    if word.lower() in ("/foto", "/berkas", "/file", "/photo") and rest:
        path = Path(rest).expanduser()
        size = path.stat().st_size if path.is_file() else None
        mime = mimetypes.guess_type(path.name)[0]
        payload = File(str(path), path.name, mime, size, "photo" if word.lower() in ("/foto", "/photo") else "document")
    elif word.lower() in ("/kontak", "/contact") and rest:
        payload = Contact(rest, own=True)
    elif word.lower() in ("/lokasi", "/location"):
        payload = Location(-0.6263, 100.1178)
    else:
        payload = Text(line.rstrip("\n"))
    return Event("console", address, uuid.uuid4().hex, payload, clean_display_name(address))


class ConsoleChannel:
    name = "console"

    def __init__(self, address: str, write: Callable[[str], None] = print) -> None:
        self.only_address = address  # this terminal is one person: others' messages wait for their own terminal
        self.write = write
        self.up = True

    async def send(self, address: str, reply: Reply) -> None:
        self.write(f"\n📨 {render(reply)}\n")

    async def fetch_file(self, ref: str, max_bytes: int, *, sha256: str | None = None) -> bytes:
        def read() -> bytes:
            with open(ref, "rb") as handle:
                return handle.read(max_bytes + 1)
        try:
            return await asyncio.to_thread(read)
        except OSError:
            return b""

    def deep_link(self, payload: str) -> str | None:
        return f"/start {payload}"


def read_lines() -> asyncio.Queue[str | None]:
    """Lines typed in the terminal, read by a daemon thread: Ctrl-C quits at once instead of waiting for the
    thread's next Enter (asyncio.to_thread's threads are waited for at exit). None marks the end (Ctrl-D)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        # os.read, not sys.stdin: a daemon thread blocked inside sys.stdin's buffer lock can abort the interpreter's
        # shutdown. An incomplete UTF-8 sequence at a chunk's end waits for the next chunk.
        decoder, pending = codecs.getincrementaldecoder("utf-8")("replace"), ""
        while chunk := os.read(0, 4096):
            pending += decoder.decode(chunk)
            *complete, pending = pending.split("\n")
            for line in complete:
                loop.call_soon_threadsafe(queue.put_nowait, line.rstrip("\r"))
        if pending:
            loop.call_soon_threadsafe(queue.put_nowait, pending)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=read, name="tuwai-stdin", daemon=True).start()
    return queue
