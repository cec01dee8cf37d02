"""Benchmark: N simulated people register and enrol a worker concurrently, against an aiogram echo bot.

    .venv/bin/python bench/conversation.py                       # 200 people, SQLite file in a temp dir
    .venv/bin/python bench/conversation.py --people 5            # smoke run (CI), well under a minute
    .venv/bin/python bench/conversation.py --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/conversation.py --repeat 3            # medians of three runs of each side
    .venv/bin/python bench/conversation.py --by-step             # and each step's p50/p95 (which steps make the tail)

Everything talks only to 127.0.0.1. In this process: the Telegram Bot API stand-in (tests/standins/telegram.py)
and the simulated people (one asyncio task each). In their own processes: `tuwai run` (python -m bot.cli run,
long polling against the stand-in, on a scratch database) and the anchor, bench/echo_bot.py (a bare aiogram echo
bot). Both sides get the same people sending the same number of updates (texts as texts, button presses as
callback queries); each person waits for the reply to one update before sending the next.

Figures: per-update reply latency (from the stand-in queueing the update to the first message the bot sends in
answer, both on this process's monotonic clock), updates answered per second (updates sent / wall time of the run
phase), the peak RSS of each bot process (VmHWM), and at the end a correctness check: the database must hold one
worker per person, else a FAIL line and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aiohttp import ClientError, ClientSession, ClientTimeout
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from db.engine import create_engine, session_factory, upgrade
from db.models import Asn, OutboxMessage, RosterEntry, Worker
from handlers.answers.name_parser import parse_name
from handlers.answers.parsers import parse_nik, parse_nip, parse_phone
from handlers.engine.types import Invalid
from tests.standins.telegram import TelegramStandin

TOKEN = "424242:BENCH-conversation-token"
OPD = "Dinas Sosial"
SORRY = "Maaf, terjadi gangguan"  # common.error: the bot's "something broke" reply
STALE = "sudah tidak berlaku"  # common.stale_button
TEXT, PRESS = "text", "press"


# -- the conversation --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    kind: str  # TEXT: send `value` as a message; PRESS: press the inline button labelled `value`
    value: str  # may name a person's field: {nip}, {asn_name}, {asn_phone}, {nik}, {worker_name}
    expect: str  # the step is answered when the LAST new message shows this (in its text or a button label)


REGISTRATION = (
    Step(TEXT, "/start", "Saya setuju"),
    Step(PRESS, "Saya setuju", "Daftar sebagai ASN"),
    Step(PRESS, "Daftar sebagai ASN", "Ketik NIP"),
    Step(TEXT, "{nip}", "Nama lengkap Anda"),
    Step(TEXT, "{asn_name}", OPD),
    Step(PRESS, OPD, "Nomor HP Anda"),
    Step(TEXT, "{asn_phone}", "✅"),
    Step(PRESS, "✅", "Daftarkan pekerja"),  # roster: "langsung disetujui", then the menu
)
ENROLMENT = (
    Step(TEXT, "/menu", "Daftarkan pekerja"),
    Step(PRESS, "Daftarkan pekerja", "NIK pekerja"),
    Step(TEXT, "{nik}", "Nama lengkap pekerja"),
    Step(TEXT, "{worker_name}", "Benar"),
    Step(PRESS, "Benar", "Nelayan"),
    Step(PRESS, "Nelayan", "Kecamatan tempat tinggal"),
    Step(TEXT, "pariaman tengah", "Desa/kelurahan"),
    Step(TEXT, "Taratak", "Nomor HP pekerja"),
    Step(TEXT, "Lewati", "Tidak"),  # the phone step shows a reply keyboard: "Lewati" is typed, not a callback
    Step(PRESS, "Tidak", "✅"),  # no heir
    Step(PRESS, "✅", "Pekerja saya"),  # "... tersimpan", then the menu
)
STEPS = REGISTRATION + ENROLMENT


@dataclass
class Person:
    chat_id: int
    nip: str
    asn_name: str
    asn_phone: str
    nik: str
    worker_name: str

    def fill(self, value: str) -> str:
        return value.format(nip=self.nip, asn_name=self.asn_name, asn_phone=self.asn_phone, nik=self.nik,
                            worker_name=self.worker_name)


FIRST = ("Rahmat", "Siti", "Dedi", "Nurul", "Andi", "Yulia", "Fajar", "Rina", "Budi", "Dewi", "Hendra", "Lestari",
         "Irwan", "Mega", "Zulkifli", "Ratna")
LAST = ("Hidayat", "Rahma", "Saputra", "Putri", "Syahputra", "Wulandari", "Chaniago", "Piliang", "Tanjung",
        "Koto", "Sikumbang", "Caniago", "Jambak", "Melayu")


def make_people(n: int, *, seed: int, base_chat: int, today: date) -> list[Person]:
    """N distinct valid PNS NIPs and worker NIKs (each checked with the bot's own parsers), names and phones."""
    rng = random.Random(seed)
    nips: list[str] = []
    seen: set[str] = set()
    attempts = 0
    while len(nips) < n:
        attempts += 1
        if attempts > 100 * n + 1000:
            raise RuntimeError("could not generate enough valid NIPs")
        year, month, day = rng.randint(1970, 1995), rng.randint(1, 12), rng.randint(1, 28)
        appointed_year = rng.randint(year + 20, min(year + 30, today.year - 1))
        appointed_month = rng.randint(month if appointed_year == year + 20 else 1, 12)
        nip = f"{year:04d}{month:02d}{day:02d}{appointed_year:04d}{appointed_month:02d}{rng.choice('12')}" \
              f"{rng.randint(1, 999):03d}"
        if nip in seen:
            continue
        try:
            if parse_nip(nip, today=today).kind != "pns":
                continue
        except Invalid:
            continue
        seen.add(nip)
        nips.append(nip)
    people = []
    for i in range(n):
        serial = i % 9999 + 1
        day = (i // 9999) % 28 + 1 + (40 if rng.random() < 0.5 else 0)  # distinct (day, serial) pairs; +40 = woman
        nik = f"137701{day:02d}{rng.randint(1, 12):02d}{rng.randint(70, 89):02d}{serial:04d}"
        parse_nik(nik, today=today)  # raises if the generator is wrong
        asn_name = parse_name(f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]}")
        worker_name = parse_name(f"{FIRST[(i + 7) % len(FIRST)]} {LAST[(i * 5 + 3) % len(LAST)]}")
        phone = f"0813{10_000_000 + i:08d}"
        parse_phone(phone)
        people.append(Person(base_chat + i, nips[i], asn_name, phone, nik, worker_name))
    assert len({p.nik for p in people}) == n
    return people


# -- measuring ---------------------------------------------------------------------------------------------------------
class StepFailed(Exception):
    pass


@dataclass
class SideRun:
    side: str
    people: int
    updates: int = 0
    answered: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds
    wall: float = 0.0
    peak_rss_mb: float = 0.0
    cpu: float = 0.0  # CPU seconds the bot process used during the run phase
    harness_cpu: float = 0.0  # CPU seconds this process (stand-in + people) used during the run phase
    failures: list[str] = field(default_factory=list)
    first_transcript: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    by_step: dict[int, list[float]] = field(default_factory=dict)  # step number -> its latencies (seconds)

    @property
    def throughput(self) -> float:
        return self.updates / self.wall if self.wall > 0 else 0.0

    def percentile(self, p: int) -> float:
        return percentile(self.latencies, p) * 1000


def percentile(data: list[float], p: int) -> float:
    if not data:
        return float("nan")
    if len(data) == 1:
        return data[0]
    return statistics.quantiles(data, n=100, method="inclusive")[p - 1]


def _shows(record: dict[str, Any], fragment: str) -> bool:
    if fragment in (record.get("text") or ""):
        return True
    return any(fragment in label for label, _ in TelegramStandin.buttons(record))


async def wait_step(standin: TelegramStandin, chat: int, after: int, expect: str | None,
                    timeout: float) -> list[dict[str, Any]]:
    """The messages a step produced: until the last one shows `expect` (None: the first message is enough)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    count = 1
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise StepFailed(f"no reply showing {expect!r} within {timeout:.0f}s")
        try:
            msgs = await standin.wait_for_messages(chat, count, after=after, timeout=remaining)
        except AssertionError:
            got = standin.messages_to(chat)[after:]
            texts = [(m.get("text") or "")[:80] for m in got]
            raise StepFailed(f"no reply showing {expect!r} within {timeout:.0f}s; got {len(got)}: {texts}") from None
        if expect is None or _shows(msgs[-1], expect):
            return msgs
        for record in msgs:
            text = record.get("text") or ""
            if SORRY in text or STALE in text:
                raise StepFailed(f"the bot answered {text[:100]!r} while {expect!r} was expected")
        count = len(msgs) + 1


async def converse(standin: TelegramStandin, person: Person, run: SideRun, *, echo: bool,
                   step_timeout: float) -> None:
    chat = person.chat_id
    standin.set_user(chat, first_name=person.asn_name.split()[0])
    prompt_id: int | None = None  # the bot message carrying the buttons of the current question
    for number, step in enumerate(STEPS, 1):
        after = len(standin.messages_to(chat))
        value = person.fill(step.value)
        try:
            if step.kind == TEXT:
                update_id = standin.push_text(chat, value)
            elif echo:
                update_id = standin.push_callback(chat, f"press:{value}"[:60], message_id=prompt_id)
            else:
                update_id = standin.press(chat, value, message_id=prompt_id)
            run.updates += 1
            msgs = await wait_step(standin, chat, after, None if echo else step.expect, step_timeout)
        except (StepFailed, LookupError) as error:
            run.failures.append(f"chat {chat} step {number} ({step.kind} {value!r}): {error}")
            if not run.first_transcript:
                run.first_transcript = standin.conversation(chat, last=30)
            return
        run.answered += 1
        run.latencies.append(msgs[0]["time"] - standin.pushed_at[update_id])
        run.by_step.setdefault(number, []).append(run.latencies[-1])
        prompt_id = msgs[-1]["message_id"]


async def drive(standin: TelegramStandin, people: list[Person], run: SideRun, *, echo: bool,
                step_timeout: float, phase_timeout: float, pid: int) -> None:
    started = time.monotonic()
    cpu_child, cpu_self = cpu_seconds(pid), cpu_seconds(os.getpid())
    tasks = [asyncio.create_task(converse(standin, p, run, echo=echo, step_timeout=step_timeout)) for p in people]
    try:
        async with asyncio.timeout(phase_timeout):
            await asyncio.gather(*tasks)
    except TimeoutError:
        run.failures.append(f"the run phase did not finish within {phase_timeout:.0f}s")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        run.wall = time.monotonic() - started
        run.cpu = cpu_seconds(pid) - cpu_child
        run.harness_cpu = cpu_seconds(os.getpid()) - cpu_self


# -- processes ---------------------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/<pid>/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


async def start_process(argv: list[str], env: dict[str, str], log_path: Path) -> asyncio.subprocess.Process:
    with log_path.open("wb") as log:
        return await asyncio.create_subprocess_exec(*argv, env=env, cwd=str(ROOT), stdin=subprocess.DEVNULL,
                                                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


async def stop_process(proc: asyncio.subprocess.Process | None, timeout: float = 15.0,
                       signum: int = signal.SIGTERM) -> None:
    if proc is None or proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signum)
    try:
        await asyncio.wait_for(proc.wait(), timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await asyncio.wait_for(proc.wait(), 5)


def log_tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join("    | " + line for line in text[-lines:]) or "    | (empty)"


async def wait_polling(standin: TelegramStandin, proc: asyncio.subprocess.Process, calls_before: int,
                       log_path: Path, timeout: float = 60.0) -> None:
    """Until the process has called getUpdates (it is listening)."""
    deadline = time.monotonic() + timeout
    while standin.calls["getUpdates"] <= calls_before:
        if proc.returncode is not None:
            raise RuntimeError(f"the process exited with {proc.returncode} before polling:\n{log_tail(log_path)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"no getUpdates within {timeout:.0f}s:\n{log_tail(log_path)}")
        await asyncio.sleep(0.05)


async def wait_healthy(port: int, proc: asyncio.subprocess.Process, log_path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with ClientSession(timeout=ClientTimeout(total=2)) as http:
        while True:
            if proc.returncode is not None:
                raise RuntimeError(f"tuwai run exited with {proc.returncode}:\n{log_tail(log_path)}")
            with contextlib.suppress(ClientError, OSError, TimeoutError):
                async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                    if resp.status == 200:
                        return
            if time.monotonic() > deadline:
                raise RuntimeError(f"/healthz did not answer 200 within {timeout:.0f}s:\n{log_tail(log_path)}")
            await asyncio.sleep(0.1)


async def read_metrics(port: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    with contextlib.suppress(ClientError, OSError, TimeoutError):
        async with ClientSession(timeout=ClientTimeout(total=5)) as http, \
                http.get(f"http://127.0.0.1:{port}/metrics") as resp:
            for line in (await resp.text()).splitlines():
                if line and not line.startswith("#"):
                    name, _, value = line.rpartition(" ")
                    with contextlib.suppress(ValueError):
                        figures[name.split("{")[0].strip()] = float(value)
    return figures


def metric(figures: dict[str, float], suffix: str) -> float | None:
    return next((v for k, v in figures.items() if k.endswith(suffix)), None)


# -- databases ---------------------------------------------------------------------------------------------------------
class ScratchDatabase:
    """A SQLite file in the temp dir, or a `tuwai_bench_<random>` database on a PostgreSQL server, dropped after."""

    def __init__(self, postgres: str | None, tmp: Path, label: str) -> None:
        self.postgres, self.tmp, self.label = postgres, tmp, label
        self.name = f"tuwai_bench_{uuid.uuid4().hex[:12]}" if postgres else f"bench-{label}.sqlite3"
        self.url = ""

    async def _admin(self, statement: str) -> None:
        assert self.postgres
        engine = create_async_engine(self.postgres, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.exec_driver_sql(statement)
        finally:
            await engine.dispose()

    async def create(self) -> str:
        if self.postgres:
            await self._admin(f'CREATE DATABASE "{self.name}"')
            self.url = make_url(self.postgres).set(database=self.name).render_as_string(hide_password=False)
        else:
            self.url = f"sqlite+aiosqlite:///{self.tmp / self.name}"
        return self.url

    async def drop(self) -> None:
        if self.postgres and self.url:
            await self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


async def seed(url: str, people: list[Person]) -> None:
    """The schema (Alembic, as the bot does), and every person's NIP in the roster: approved at registration."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
        async with session_factory(engine)() as session, session.begin():
            session.add_all(RosterEntry(nip=p.nip, name=p.asn_name, opd=OPD) for p in people)
    finally:
        await engine.dispose()


async def count_rows(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            async def count(model: Any, *where: Any) -> int:
                return (await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one()
            return {"workers": await count(Worker), "approved_asns": await count(Asn, Asn.status == "approved"),
                    "outbox_pending": await count(OutboxMessage, OutboxMessage.status.in_(("pending", "sending")))}
    finally:
        await engine.dispose()


# -- one side ----------------------------------------------------------------------------------------------------------
async def run_bot(args: argparse.Namespace, standin: TelegramStandin, people: list[Person], url: str, tmp: Path,
                  label: str) -> SideRun:
    run = SideRun("bot", len(people))
    port = free_port()
    files = tmp / f"files-{label}"
    env = {**os.environ,
           "TUWAI_TELEGRAM__TOKEN": standin.token, "TUWAI_TELEGRAM__API_BASE": standin.api_base,
           "TUWAI_TELEGRAM__POLLING_TIMEOUT": str(args.polling_timeout), "TUWAI_DATABASE__URL": url,
           "TUWAI_SERVER__HOST": "127.0.0.1", "TUWAI_SERVER__PORT": str(port),
           "TUWAI_STORAGE__FILES_DIR": str(files), "TUWAI_LOGGING__LEVEL": "WARNING"}
    env.pop("TUWAI_TELEGRAM__WEBHOOK_URL", None)
    log_path = tmp / f"bot-{label}.log"
    proc = None
    profiler = None
    try:
        calls_before = standin.calls["getUpdates"]
        proc = await start_process([sys.executable, "-m", "bot.cli", "run"], env, log_path)
        await wait_healthy(port, proc, log_path)
        await wait_polling(standin, proc, calls_before, log_path)
        if args.profile and label.endswith("-1"):
            profiler = await start_profiler(args.profile, proc.pid, tmp)
        await drive(standin, people, run, echo=False, step_timeout=args.step_timeout,
                    phase_timeout=args.phase_timeout, pid=proc.pid)
        if profiler is not None:
            await stop_process(profiler, timeout=60, signum=signal.SIGINT)  # py-spy writes its file on Ctrl-C
            profiler = None
            print(f"  py-spy profile of the bot's run phase: {args.profile}")
        # Not timed: the consent links the outbox sends after each enrolment (rate-limited like Telegram).
        started = time.monotonic()
        links = 0
        deadline = started + len(people) / 25 + 10
        while time.monotonic() < deadline:
            links = sum(1 for p in people if any("start=c_" in (m.get("text") or "")
                                                 for m in standin.messages_to(p.chat_id)))
            if links >= run.people - len(run.failures):
                break
            await asyncio.sleep(0.25)
        run.extra["consent_links"] = links
        run.extra["consent_links_seconds"] = time.monotonic() - started
        run.extra["metrics"] = await read_metrics(port)
        run.peak_rss_mb = peak_rss_mb(proc.pid)
        if proc.returncode is not None:
            run.failures.append(f"tuwai run exited with {proc.returncode} during the run")
    finally:
        await stop_process(profiler, timeout=60, signum=signal.SIGINT)
        await stop_process(proc)
    log = log_path.read_text(errors="replace") if log_path.exists() else ""
    run.extra["log_errors"] = sum(1 for line in log.splitlines() if " ERROR " in line or "Traceback" in line)
    run.extra["log_warnings"] = sum(1 for line in log.splitlines() if " WARNING " in line)
    run.extra["log_path"] = str(log_path)
    run.extra["log_tail"] = log_tail(log_path, 15) if run.extra["log_errors"] else ""
    return run


async def run_echo(args: argparse.Namespace, standin: TelegramStandin, people: list[Person], tmp: Path,
                   label: str) -> SideRun:
    run = SideRun("echo", len(people))
    log_path = tmp / f"echo-{label}.log"
    proc = None
    try:
        calls_before = standin.calls["getUpdates"]
        proc = await start_process([sys.executable, str(ROOT / "bench" / "echo_bot.py"), standin.token,
                                    standin.api_base, str(args.polling_timeout)], dict(os.environ), log_path)
        await wait_polling(standin, proc, calls_before, log_path)
        await drive(standin, people, run, echo=True, step_timeout=args.step_timeout,
                    phase_timeout=args.phase_timeout, pid=proc.pid)
        run.peak_rss_mb = peak_rss_mb(proc.pid)
        if proc.returncode is not None:
            run.failures.append(f"the echo bot exited with {proc.returncode} during the run")
    finally:
        await stop_process(proc)
    return run


async def start_profiler(output: str, pid: int, tmp: Path) -> asyncio.subprocess.Process | None:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        print("  (--profile: py-spy not found; install it with .venv/bin/pip install py-spy)")
        return None
    kind = "raw" if output.endswith(".txt") else "speedscope"  # raw: collapsed stacks, one line each, to grep
    argv = [py_spy, "record", "-o", output, "--pid", str(pid), "--format", kind, "--rate", "250", "--nonblocking"]
    proc = await start_process(argv, dict(os.environ), tmp / "py-spy.log")
    await asyncio.sleep(0.5)
    return proc


async def settle(standin: TelegramStandin) -> None:
    """Between sides: nothing may be left in the stand-in's update queue for the next bot to take."""
    if standin.pending_update_count:
        print(f"  warning: {standin.pending_update_count} update(s) left unconfirmed in the stand-in")


# -- reporting ---------------------------------------------------------------------------------------------------------
def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def print_table(bots: list[SideRun], echoes: list[SideRun], backend: str) -> tuple[float, float]:
    def row(name: str, runs: list[SideRun]) -> str:
        return (f"{name:<17}{med([r.updates for r in runs]):>8.0f}{med([r.wall for r in runs]):>9.2f}"
                f"{med([r.throughput for r in runs]):>11.1f}{med([r.percentile(50) for r in runs]):>9.1f}"
                f"{med([r.percentile(95) for r in runs]):>9.1f}{med([r.percentile(99) for r in runs]):>9.1f}"
                f"{med([r.peak_rss_mb for r in runs]):>12.1f}{med([r.cpu for r in runs]):>8.1f}"
                f"{med([r.harness_cpu for r in runs]):>12.1f}{med([len(r.failures) for r in runs]):>7.0f}")
    what = f"median of {len(bots)} runs" if len(bots) > 1 else "1 run"
    print(f"\nResults ({what}; database: {backend})")
    print(f"{'':<17}{'updates':>8}{'wall s':>9}{'updates/s':>11}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'peak RSS MB':>12}{'CPU s':>8}{'harness CPU':>12}{'failed':>7}")
    print(row("TuWai (tuwai run)", bots))
    print(row("aiogram echo", echoes))
    throughput = med([r.throughput for r in bots]) / med([r.throughput for r in echoes])
    p95 = med([r.percentile(95) for r in bots]) / med([r.percentile(95) for r in echoes])
    print(f"throughput bot/echo = {throughput:.2f}  (goal >= 0.5: {'met' if throughput >= 0.5 else 'NOT MET'})")
    print(f"p95 latency bot/echo = {p95:.2f}  (goal <= 2.0: {'met' if p95 <= 2.0 else 'NOT MET'})")
    print("(CPU s: CPU time of that bot's process during the run phase; harness CPU: of this process, the "
          "stand-in and the simulated people, which share the machine)")
    return throughput, p95


def print_steps(bots: list[SideRun], echoes: list[SideRun]) -> None:
    """Latency per conversation step, every run's together: which steps make the bot's tail."""
    print("\nPer step (all runs together; ms)")
    print(f"{'step':<30}{'bot p50':>9}{'bot p95':>9}{'echo p50':>10}{'echo p95':>10}")
    for number, step in enumerate(STEPS, 1):
        bot = [x for run in bots for x in run.by_step.get(number, [])]
        echo = [x for run in echoes for x in run.by_step.get(number, [])]
        ms = [percentile(side, p) * 1000 for side in (bot, echo) for p in (50, 95)]
        print(f"{number:>2} {step.kind:<5} {step.value[:21]:<21}{ms[0]:>9.0f}{ms[1]:>9.0f}{ms[2]:>10.0f}{ms[3]:>10.0f}")


# -- main --------------------------------------------------------------------------------------------------------------
async def main(args: argparse.Namespace) -> int:
    today = date.today()
    backend = "PostgreSQL " + make_url(args.postgres).render_as_string(hide_password=True) \
        if args.postgres else "SQLite (file in a temp dir)"
    per_person = len(STEPS)
    print("TuWai conversation benchmark")
    print(f"  people: {args.people}, concurrently; each sends {per_person} updates and waits for each reply: "
          f"registration as ASN ({len(REGISTRATION)} updates, approved at once via a seeded roster) + "
          f"the whole worker enrolment ({len(ENROLMENT)} updates)")
    print(f"  database: {backend}; scratch, seeded with {args.people} roster NIPs")
    print(f"  bot: python -m bot.cli run (own process, long polling, polling_timeout={args.polling_timeout}s); "
          "anchor: bench/echo_bot.py (aiogram echo, own process), same people and update counts "
          "(texts as texts, presses as callback queries)")
    print(f"  Bot API stand-in on 127.0.0.1 in this process; repeat: {args.repeat}")
    failed = False
    bots: list[SideRun] = []
    echoes: list[SideRun] = []
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)  # clean up as on Ctrl-C
    tmp = Path(tempfile.mkdtemp(prefix="tuwai-bench-"))
    standin = TelegramStandin(TOKEN)
    await standin.start()
    try:
        for rep in range(1, args.repeat + 1):
            label = f"run-{rep}"
            base = rep * 10_000_000
            bot_people = make_people(args.people, seed=rep, base_chat=base + 1_000_000, today=today)
            echo_people = make_people(args.people, seed=rep, base_chat=base + 5_000_000, today=today)
            database = ScratchDatabase(args.postgres, tmp, label)
            try:
                url = await database.create()
                await seed(url, bot_people)
                await settle(standin)
                bot = await run_bot(args, standin, bot_people, url, tmp, label)
                rows = await count_rows(url)
            finally:
                await database.drop()
            bot.extra["rows"] = rows
            if args.transcript:
                print(f"transcript of chat {bot_people[0].chat_id}:\n{standin.conversation(bot_people[0].chat_id, last=200)}")
            bots.append(bot)
            await settle(standin)
            echo = await run_echo(args, standin, echo_people, tmp, label)
            echoes.append(echo)
            await settle(standin)
            m = bot.extra.get("metrics", {})
            print(f"run {rep}/{args.repeat}: bot {bot.updates} updates in {bot.wall:.2f}s "
                  f"({bot.throughput:.1f}/s, p95 {bot.percentile(95):.1f} ms, {len(bot.failures)} failed); "
                  f"echo {echo.updates} in {echo.wall:.2f}s ({echo.throughput:.1f}/s, p95 "
                  f"{echo.percentile(95):.1f} ms, {len(echo.failures)} failed)")
            print(f"  bot database: {rows['workers']} workers, {rows['approved_asns']} approved ASNs, "
                  f"{rows['outbox_pending']} outbox messages pending; consent links delivered by the outbox: "
                  f"{bot.extra.get('consent_links', 0)}/{args.people} "
                  f"({bot.extra.get('consent_links_seconds', 0):.1f}s after the last reply)")
            print(f"  bot /metrics: updates_handled={metric(m, 'updates_handled_total')}, "
                  f"duplicates={metric(m, 'updates_duplicate_total')}, errors={metric(m, 'errors_total')}, "
                  f"replies_sent={metric(m, 'replies_sent_total')}; bot log: {bot.extra['log_errors']} error line(s), "
                  f"{bot.extra['log_warnings']} warning(s)")
            if bot.extra["log_tail"]:
                print(f"  bot log ({bot.extra['log_path']}), last lines:\n{bot.extra['log_tail']}")
            for side in (bot, echo):
                if side.failures:
                    failed = True
                    print(f"  FAIL: {side.side}: {len(side.failures)} conversation(s) did not finish; first ones:")
                    for line in side.failures[:5]:
                        print(f"    {line}")
                    if side.first_transcript:
                        print(f"    transcript of the first:\n{side.first_transcript}")
            if rows["workers"] != args.people:
                failed = True
                print(f"  FAIL !!! workers in the database: {rows['workers']}, expected {args.people} !!!")
        print_table(bots, echoes, backend)
        if args.by_step:
            print_steps(bots, echoes)
        workers = [b.extra["rows"]["workers"] for b in bots]
        if all(w == args.people for w in workers):
            print(f"correctness: workers in the database == people ({args.people}) in every run: OK")
        else:
            print(f"FAIL !!! correctness: workers in the database {workers}, expected {args.people} each !!!")
            failed = True
    finally:
        await standin.stop()
        if args.keep_logs:
            print(f"logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if failed:
        print("FAIL: see above")
        return 1
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=200, help="simulated people (default 200)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each side; with more than one, medians")
    parser.add_argument("--postgres", metavar="URL",
                        help="PostgreSQL server URL (postgresql+asyncpg://...): a scratch database is created on it "
                             "and dropped at the end (default: a SQLite file in a temp dir)")
    parser.add_argument("--polling-timeout", type=int, default=1, help="getUpdates timeout of both bots (seconds)")
    parser.add_argument("--step-timeout", type=float, default=30.0, help="longest wait for one reply (seconds)")
    parser.add_argument("--phase-timeout", type=float, default=600.0, help="longest run phase of one side (seconds)")
    parser.add_argument("--profile", metavar="FILE",
                        help="record the bot's first run phase with py-spy (speedscope JSON) into FILE")
    parser.add_argument("--by-step", action="store_true",
                        help="also print each conversation step's p50 and p95, bot and echo (which steps make the tail)")
    parser.add_argument("--keep-logs", action="store_true", help="keep the temp dir with the processes' logs")
    parser.add_argument("--transcript", action="store_true",
                        help="print the first simulated person's conversation with the bot (to check the flow)")
    args = parser.parse_args(argv)
    if args.people < 1 or args.repeat < 1:
        parser.error("--people and --repeat must be at least 1")
    if args.people > 9999 * 28:
        parser.error("at most 279972 people (distinct NIKs)")
    return args


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main(parse_args())))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted: child processes stopped, scratch database dropped")
        sys.exit(130)
