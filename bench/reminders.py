"""Benchmark: planning one month's reminders for N active sponsorships, and delivering them through the outbox.

    .venv/bin/python bench/reminders.py --sponsorships 2000 --deliver 300   # smoke run, about half a minute
    .venv/bin/python bench/reminders.py                                     # 100,000 sponsorships, deliver 20,000
    .venv/bin/python bench/reminders.py --deliver 3000                      # delivery (a) in ~100 s instead of ~11 min
    .venv/bin/python bench/reminders.py --million --deliver 600             # 1,000,000 sponsorships
    .venv/bin/python bench/reminders.py --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/reminders.py --profile /tmp/plan.txt             # py-spy of the planning process
    .venv/bin/python bench/reminders.py --sponsorships 20000 --deliver 10000 --skip-limited --repeat 3 \
        --anchor-keyboard --profile-deliver /tmp/deliver.txt                # only (b); anchor sends the buttons too

Everything talks only to 127.0.0.1. This process seeds a scratch database (a SQLite file in a temp dir, or a
`tuwai_bench_<random>` database on the PostgreSQL server given with --postgres, dropped at the end) with N active
sponsorships on Telegram whose cover starts in November 2026, and runs the Telegram Bot API stand-in
(tests/standins/telegram.py). The measured work runs in child processes of this script, so that their peak RSS is
their own:

1. Planning: `await app.planner.plan(2026-11-09 09:00 WIB)` (7 days before the 16 November due date: one ledger row
   and one reminder per sponsorship), timed and with the process's peak RSS (VmHWM); then the same plan again, which
   must create nothing.
2. Delivery (a), limited: the first --deliver of the planned reminders are left pending (the others are marked sent
   beforehand) and delivered by the app's Deliverer (deliver_once in a loop, RateLimiter at 30/s overall and 1/s
   per chat) to the stand-in enforcing Telegram's limits (30/s, 1/s per chat). Figures: messages/s as delivered /
   (time from the first to the last send, on the stand-in's clock), as a share of 30/s, and the 429s the stand-in
   gave.
3. Delivery (b), unlimited: the same rows are reset to pending and delivered again with no limits anywhere
   (RateLimiter per_second=0: no interval), against an anchor in its own process: a bare aiogram loop sending the
   same texts to the same chats with the Deliverer's concurrency (asyncio.gather over chunks of 200).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, update

TOKEN = "424243:BENCH-reminders-token"
START = date(2026, 11, 1)  # cover (bpjs_start) of every seeded worker: November 2026 is the first ledger month
MOMENT = datetime(2026, 11, 9, 2, 0, tzinfo=UTC)  # 09:00 WIB, 7 days before the 16 Nov due date
ADDRESS_BASE = 1_000_000  # Telegram chat ids of the seeded ASNs: 1,000,000 + i
SEED_CHUNK = 10_000  # sponsorships per seeding transaction
BATCH = 200  # the Deliverer's batch_size (default): the anchor gathers the same number of sends at once
PLAN_GOAL_SECONDS, PLAN_GOAL_MB = 10.0, 300.0
SHARE_GOAL, RATIO_GOAL = 0.95, 0.80


# -- small helpers -----------------------------------------------------------------------------------------------------
def bench_settings(url: str, tmp: Path, **outbox: Any) -> Any:
    """Like tests/conftest.make_settings (not imported: it drags pytest into the process whose memory is measured)."""
    from bot.config import load_settings

    return load_settings(ROOT / "config.toml", database={"url": url},
                         storage={"files_dir": str(tmp / "files"), "max_file_mb": 1},
                         server={"host": "127.0.0.1", "port": 0}, outbox={"poll_seconds": 0.05, **outbox})


def proc_status_mb(field_name: str) -> float:
    """VmHWM (peak RSS) or VmRSS of this process, MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux: write 5 to /proc/self/clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class MovingClock:
    """The planning moment, advancing with real time (a 429's retry-after must come due)."""

    def __init__(self, start: datetime) -> None:
        self.start, self.t0 = start, time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.t0)


def write_result(path: str, result: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(result))


# -- child processes (run as `bench/reminders.py --child MODE ...`) ----------------------------------------------------
async def child_plan(args: argparse.Namespace) -> None:
    import gc

    from bot.app import App

    app = App(bench_settings(args.url, Path(args.tmp)), clock=lambda: MOMENT)
    try:
        gc.collect()
        baseline_rss = proc_status_mb("VmRSS")
        baseline_hwm = proc_status_mb("VmHWM")
        cleared = reset_peak_rss()
        cpu0, t0 = cpu_self(), time.perf_counter()
        report = await app.planner.plan(MOMENT)
        wall, cpu = time.perf_counter() - t0, cpu_self() - cpu0
        peak = proc_status_mb("VmHWM")
        async with app.sessions() as session:
            before = await counts(session)
        cpu1, t1 = cpu_self(), time.perf_counter()
        again = await app.planner.plan(MOMENT)
        wall2, cpu2 = time.perf_counter() - t1, cpu_self() - cpu1
        async with app.sessions() as session:
            after = await counts(session)
        write_result(args.result, {
            "wall": wall, "cpu": cpu, "peak_mb": peak, "peak_mb_process": max(peak, baseline_hwm),
            "baseline_rss_mb": baseline_rss, "hwm_reset": cleared,
            "ledger_rows": report.ledger_rows, "reminders": report.reminders, "lapsed": report.lapsed,
            "digests": report.digests,
            "again": {"wall": wall2, "cpu": cpu2, "ledger_rows": again.ledger_rows, "reminders": again.reminders,
                      "lapsed": again.lapsed, "digests": again.digests,
                      "rows_created": {k: after[k] - before[k] for k in ("contributions", "outbox", "lapsed")}},
            "peak_mb_after_second": proc_status_mb("VmHWM")})
    finally:
        await app.stop()


async def child_deliver(args: argparse.Namespace) -> None:
    from bot.app import App
    from bot.channels.telegram import TelegramChannel
    from db.models import OutboxMessage

    settings = bench_settings(args.url, Path(args.tmp), telegram_per_second=args.per_second,
                              telegram_per_chat_per_second=args.per_chat)
    app = App(settings, clock=MovingClock(MOMENT))
    channel = TelegramChannel(TOKEN, args.api_base, polling_timeout=1)
    app.add_channel(channel)  # closed by app.stop()
    try:
        await channel.start()
        deliverer = app.deliverer
        batches = idle = 0
        deadline = time.monotonic() + args.timeout
        cpu0, t0 = cpu_self(), time.perf_counter()
        while True:
            claimed = await deliverer.deliver_once()
            if claimed:
                batches += 1
                continue
            async with app.sessions() as session:
                left = (await session.execute(select(func.count()).select_from(OutboxMessage).where(
                    OutboxMessage.status.in_(("pending", "sending"))))).scalar_one()
            if left == 0:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{left} message(s) still pending after {args.timeout:.0f}s")
            idle += 1
            await asyncio.sleep(0.05)  # rows waiting for a 429's retry-after
        wall, cpu = time.perf_counter() - t0, cpu_self() - cpu0
        write_result(args.result, {"wall": wall, "cpu": cpu, "batches": batches, "idle_polls": idle,
                                   "counters": dict(deliverer.counters), "peak_mb": proc_status_mb("VmHWM"),
                                   "batch_size": deliverer.batch_size})
    finally:
        await app.stop()


async def child_anchor(args: argparse.Namespace) -> None:
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

    def markup(buttons: list[list[str]]) -> InlineKeyboardMarkup | None:
        """--anchor-keyboard: the reminder's buttons too, one per row (as the bot lays out two options)."""
        if not args.keyboard:
            return None
        return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=label, callback_data=data)]
                                                     for label, data in buttons])

    targets = json.loads(Path(args.targets).read_text())
    bot = Bot(token=TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(args.api_base)))
    try:
        await bot.get_me()
        failures = 0
        cpu0, t0 = cpu_self(), time.perf_counter()
        for start in range(0, len(targets), BATCH):
            results = await asyncio.gather(*(bot.send_message(chat_id, text, reply_markup=markup(buttons))
                                             for chat_id, text, buttons in targets[start:start + BATCH]),
                                           return_exceptions=True)
            failures += sum(1 for r in results if isinstance(r, BaseException))
        wall, cpu = time.perf_counter() - t0, cpu_self() - cpu0
        write_result(args.result, {"wall": wall, "cpu": cpu, "failures": failures, "peak_mb": proc_status_mb("VmHWM")})
    finally:
        await bot.session.close()


def run_child(args: argparse.Namespace) -> int:
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    mode = {"plan": child_plan, "deliver": child_deliver, "anchor": child_anchor}[args.child]
    asyncio.run(mode(args))
    return 0


# -- the database ------------------------------------------------------------------------------------------------------
async def seed(url: str, count: int) -> float:
    """The schema (Alembic, as the bot does) and `count` active sponsorships on Telegram, SEED_CHUNK per transaction."""
    from db.engine import create_engine, session_factory, upgrade
    from tests.seed import seed_sponsorships

    engine = create_engine(url)
    try:
        await upgrade(engine)
        sessions = session_factory(engine)
        started = time.perf_counter()
        for offset in range(0, count, SEED_CHUNK):
            async with sessions() as session, session.begin():
                await seed_sponsorships(session, min(SEED_CHUNK, count - offset), start=START, channel="telegram",
                                        address_base=ADDRESS_BASE + offset)
        return time.perf_counter() - started
    finally:
        await engine.dispose()


async def with_session(url: str, work: Any) -> Any:
    from db.engine import create_engine, session_factory

    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()


async def counts(session: Any) -> dict[str, int]:
    from db.models import Contribution, OutboxMessage, Sponsorship

    async def count(model: Any, *where: Any) -> int:
        return (await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one()
    return {"contributions": await count(Contribution),
            "reminders": await count(OutboxMessage, OutboxMessage.key.like("reminder:%")),
            "reminder_chats": (await session.execute(select(func.count(func.distinct(OutboxMessage.address)))
                                                     .where(OutboxMessage.key.like("reminder:%")))).scalar_one(),
            "outbox": await count(OutboxMessage),
            "pending": await count(OutboxMessage, OutboxMessage.status.in_(("pending", "sending"))),
            "lapsed": await count(Sponsorship, Sponsorship.lapsed_at.is_not(None))}


async def count_rows(url: str) -> dict[str, int]:
    return await with_session(url, counts)


async def keep_pending(url: str, keep: int, targets_path: Path) -> tuple[int, int]:
    """Only the first `keep` reminders (by id) stay pending; the rest, and anything else queued, are marked sent.
    Writes [chat id, text] of the kept ones for the anchor. Returns (last kept id, rows kept)."""
    from db.models import OutboxMessage
    from handlers.engine.types import reply_from_payload

    async def work(session: Any) -> tuple[int, int]:
        rows = (await session.execute(select(OutboxMessage.id, OutboxMessage.address, OutboxMessage.payload)
                                      .where(OutboxMessage.key.like("reminder:%"))
                                      .order_by(OutboxMessage.id).limit(keep))).all()
        cutoff = rows[-1].id
        await session.execute(update(OutboxMessage).where(~(OutboxMessage.key.like("reminder:%")
                                                            & (OutboxMessage.id <= cutoff)))
                              .values(status="sent", sent_at=MOMENT))
        targets_path.write_text(json.dumps([[int(r.address), reply_from_payload(r.payload).text,
                                              [[o.label, o.id] for o in reply_from_payload(r.payload).options]]
                                             for r in rows]))
        return cutoff, len(rows)
    return await with_session(url, work)


async def reset_pending(url: str, cutoff: int) -> int:
    from db.models import OutboxMessage

    async def work(session: Any) -> int:
        result = await session.execute(
            update(OutboxMessage).where(OutboxMessage.key.like("reminder:%"), OutboxMessage.id <= cutoff)
            .values(status="pending", attempts=0, next_attempt_at=MOMENT, claimed_at=None, sent_at=None,
                    last_error=None))
        return int(result.rowcount or 0)
    return await with_session(url, work)


async def status_counts(url: str) -> dict[str, int]:
    from db.models import OutboxMessage

    async def work(session: Any) -> dict[str, int]:
        rows = await session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
        return {status: int(n) for status, n in rows}
    return await with_session(url, work)


# -- the parent's side of the children ---------------------------------------------------------------------------------
@dataclass
class Children:
    """Every child process started, so that the finally block can stop any that is still running."""
    procs: list[asyncio.subprocess.Process] = field(default_factory=list)

    async def run(self, mode: str, extra: list[str], *, url: str, tmp: Path, timeout: float,
                  profile: str | None = None) -> dict[str, Any]:
        from bench.conversation import log_tail, start_process, stop_process

        label = f"{mode}-{len(self.procs) + 1}"
        result, log_path = tmp / f"{label}.json", tmp / f"{label}.log"
        argv = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--url", url, "--tmp", str(tmp),
                "--result", str(result), *extra]
        if profile:
            py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
            fmt = {".svg": "flamegraph", ".txt": "raw"}.get(Path(profile).suffix, "speedscope")
            argv = [py_spy, "record", "-o", profile, "--format", fmt, "--rate", "200", "--", *argv]
        proc = await start_process(argv, dict(os.environ), log_path)
        self.procs.append(proc)
        try:
            await asyncio.wait_for(proc.wait(), timeout)
        except TimeoutError:
            raise RuntimeError(f"the {mode} process did not finish within {timeout:.0f}s:\n{log_tail(log_path)}") \
                from None
        finally:
            await stop_process(proc, signum=signal.SIGINT if profile else signal.SIGTERM)
        if proc.returncode != 0 or not result.exists():
            raise RuntimeError(f"the {mode} process exited with {proc.returncode}:\n{log_tail(log_path)}")
        return json.loads(result.read_text())

    async def stop_all(self) -> None:
        from bench.conversation import stop_process

        for proc in self.procs:
            with contextlib.suppress(Exception):
                await stop_process(proc)


@dataclass
class Sends:
    count: int
    chats: int
    duplicates: int
    span: float  # seconds from the first to the last send the stand-in recorded

    @property
    def rate(self) -> float:
        return self.count / self.span if self.span > 0 else float("nan")


def sends_since(standin: Any, before: int) -> Sends:
    records = [r for r in standin.sent[before:] if r["method"] == "sendMessage"]
    if not records:
        return Sends(0, 0, 0, 0.0)
    chats = Counter(r["chat_id"] for r in records)
    return Sends(len(records), len(chats), sum(n - 1 for n in chats.values()),
                 records[-1]["time"] - records[0]["time"])


def code_state() -> str:
    """Which code was measured: the files under test, and whether they differ from the last commit."""
    import hashlib

    files = ("handlers/contributions/reminders.py", "bot/delivery/outbox.py", "bot/channels/telegram.py", "db/engine.py", "db/queries.py")
    try:
        changed = set(subprocess.run(["git", "diff", "--name-only", "HEAD", "--", *files], cwd=ROOT, text=True,
                                     capture_output=True, timeout=10, check=False).stdout.split())
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True, capture_output=True,
                              timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        changed, head = set(), "?"
    parts = [f"{name} {hashlib.sha1((ROOT / name).read_bytes()).hexdigest()[:8]}"
             + (" (modified)" if name in changed else "") for name in files]
    return f"HEAD {head}; " + ", ".join(parts)


@contextlib.contextmanager
def quiet_gc() -> Any:
    """No garbage collection in this process (the stand-in's) while a phase runs; one collection after it."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def goal(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


# -- main --------------------------------------------------------------------------------------------------------------
async def main(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    from bench.conversation import ScratchDatabase
    from tests.standins.telegram import TelegramStandin

    n = args.sponsorships
    deliver = min(args.deliver, n)
    backend = "PostgreSQL " + make_url(args.postgres).render_as_string(hide_password=True) \
        if args.postgres else "SQLite (file in a temp dir)"
    print("TuWai reminders benchmark")
    print(f"  sponsorships: {n:,} active, channel telegram, cover from {START:%Y-%m}; database: {backend} (scratch)")
    print(f"  planning moment: {MOMENT:%Y-%m-%d %H:%M} UTC (09:00 WIB), 7 days before the due date: "
          "one reminder per sponsorship expected")
    print(f"  delivery: {deliver:,} reminders, (a) at 30/s with the stand-in enforcing 30/s and 1/s per chat"
          f"{' (skipped)' if args.skip_limited else ''}, (b) unlimited vs a bare aiogram loop "
          f"(gather over chunks of {BATCH}); repeat (b): {args.repeat}")
    print("  children: the planner, the Deliverer and the anchor each run in their own process; the Bot API stand-in "
          "runs in this one")
    print(f"  machine: {os.cpu_count()} CPUs, load average {load()} at the start")
    code_at_start = code_state()
    print(f"  code: {code_at_start}")
    failed = False
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    tmp = Path(tempfile.mkdtemp(prefix="tuwai-bench-rem-"))
    database = ScratchDatabase(args.postgres, tmp, "reminders")
    children = Children()
    standin: Any = None
    try:
        url = await database.create()
        seconds = await seed(url, n)
        print(f"\nseeded {n:,} sponsorships in {seconds:.1f}s ({n / seconds:,.0f}/s, {SEED_CHUNK:,} per transaction)")

        # -- 1. planning ------------------------------------------------------------------------------------------
        plan = await children.run("plan", [], url=url, tmp=tmp, timeout=args.plan_timeout, profile=args.profile)
        rows = await count_rows(url)
        again = plan["again"]
        print(f"\n1. planning one month for {n:,} sponsorships (own process; load average now {load()})")
        print(f"  plan(): {plan['wall']:.2f}s wall, {plan['cpu']:.2f}s CPU in the process "
              f"(goal < {PLAN_GOAL_SECONDS:.0f}s: {goal(plan['wall'] < PLAN_GOAL_SECONDS)})")
        print(f"  created: {plan['ledger_rows']:,} ledger rows, {plan['reminders']:,} reminders queued, "
              f"{plan['lapsed']} lapsed, {plan['digests']} digests")
        print(f"  peak RSS of the planning process: {plan['peak_mb']:.1f} MB "
              f"(before planning: {plan['baseline_rss_mb']:.1f} MB; planning added "
              f"{plan['peak_mb'] - plan['baseline_rss_mb']:.1f} MB) "
              f"(goal < {PLAN_GOAL_MB:.0f} MB: {goal(plan['peak_mb'] < PLAN_GOAL_MB)})"
              + ("" if plan["hwm_reset"] else "  [VmHWM could not be reset: includes start-up]"))
        made = again["rows_created"]
        created_again = made["contributions"] + made["outbox"] + made["lapsed"]
        print(f"  plan() again at the same moment: {again['wall']:.2f}s wall ({again['cpu']:.2f}s CPU); rows it "
              f"created in the database: {made['contributions']} ledger, {made['outbox']} outbox, {made['lapsed']} "
              f"lapsed: {'idempotent, OK' if created_again == 0 else 'FAIL: not idempotent'}")
        print(f"    its PlanReport: ledger_rows={again['ledger_rows']}, reminders={again['reminders']:,}, "
              f"lapsed={again['lapsed']}, digests={again['digests']}"
              + ("  <- reminders counts the rows offered to INSERT .. ON CONFLICT DO NOTHING, not rows inserted"
                 if again["reminders"] and not made["outbox"] else ""))
        print(f"  database: {rows['contributions']:,} ledger rows, {rows['reminders']:,} reminders to "
              f"{rows['reminder_chats']:,} distinct chats, {rows['outbox']:,} outbox rows in all")
        if args.profile:
            print(f"  py-spy profile of the planning process: {args.profile}")
        if not (rows["contributions"] == rows["reminders"] == rows["reminder_chats"] == n
                and plan["ledger_rows"] == plan["reminders"] == n):
            failed = True
            print(f"  FAIL: expected exactly {n:,} ledger rows and {n:,} reminders (one per sponsorship)")
        if created_again:
            failed = True
        if deliver <= 0 or rows["reminders"] == 0:
            return 1 if failed else 0

        # -- delivery set-up --------------------------------------------------------------------------------------
        targets = tmp / "targets.json"
        cutoff, kept = await keep_pending(url, deliver, targets)
        pending = (await count_rows(url))["pending"]
        print(f"\n  {kept:,} reminders left pending for delivery, the other {rows['outbox'] - kept:,} marked sent; "
              f"pending now: {pending:,}")
        # The stand-in shares this process: move what is alive now out of the collector's way, and collect only
        # between phases (quiet_gc), so that a slow full collection here (~0.1 s once it holds 20,000 records) does
        # not stall it and bunch the sends it timestamps, which would cause 429s that are not the bot's.
        gc.collect()
        gc.freeze()
        standin = TelegramStandin(TOKEN)
        await standin.start()

        async def deliver_phase(per_second: float, per_chat: float, timeout: float,
                                profile: str | None = None) -> tuple[dict[str, Any], Sends]:
            before = len(standin.sent)
            with quiet_gc():
                result = await children.run("deliver", ["--api-base", standin.api_base, "--per-second",
                                                        str(per_second), "--per-chat", str(per_chat), "--timeout",
                                                        str(timeout)],
                                            url=url, tmp=tmp, timeout=timeout + 60, profile=profile)
            return result, sends_since(standin, before)

        def check(label: str, sends: Sends) -> bool:
            ok = sends.count == kept and sends.chats == kept and sends.duplicates == 0
            if not ok:
                print(f"  FAIL: {label}: {sends.count:,} sends to {sends.chats:,} chats ({sends.duplicates} "
                      f"duplicates), expected {kept:,} to {kept:,}")
            return ok

        # -- 2. delivery (a): Telegram's limits --------------------------------------------------------------------
        if not args.skip_limited:
            standin.enforce_rate_limits(per_second=30, per_chat_per_second=1)
            limited0, errors0 = standin.rate_limited, Counter(standin.errors_returned)
            result, sends = await deliver_phase(30, 1, timeout=kept / 30 * 1.5 + 120)
            too_many = standin.rate_limited - limited0
            errors = dict(Counter(standin.errors_returned) - errors0)
            share = sends.rate / 30
            counters = result["counters"]
            statuses = await status_counts(url)
            print(f"\n2. delivery (a): {kept:,} reminders, Deliverer at 30/s + 1/s per chat, stand-in enforcing "
                  f"30/s + 1/s per chat (load average now {load()})")
            print(f"  sent {sends.count:,} in {sends.span:.1f}s from the first send to the last: "
                  f"{sends.rate:.2f} msg/s = {share:.2%} of 30/s (goal >= {SHARE_GOAL:.0%}: {goal(share >= SHARE_GOAL)})")
            print(f"  429s from the stand-in: {too_many} (goal 0: {goal(too_many == 0)}); errors returned: "
                  f"{errors or 'none'}; Deliverer counters: {counters}")
            print(f"  Deliverer process: {result['wall']:.1f}s wall, {result['cpu']:.1f}s CPU, {result['batches']} "
                  f"batches of <= {result['batch_size']}, peak RSS {result['peak_mb']:.0f} MB; outbox now: {statuses}")
            failed |= not check("delivery (a)", sends)

        # -- 3. delivery (b): no limits, against the bare aiogram anchor -------------------------------------------
        standin.disable_rate_limits()
        bots: list[tuple[dict[str, Any], Sends]] = []
        anchors: list[tuple[dict[str, Any], Sends]] = []
        for rep in range(1, args.repeat + 1):
            reset = await reset_pending(url, cutoff)
            if reset != kept:
                print(f"  warning: reset {reset} rows to pending, expected {kept}")
            errors0 = Counter(standin.errors_returned)
            bot = await deliver_phase(0, 0, timeout=args.phase_timeout,
                                      profile=args.profile_deliver if rep == 1 else None)
            failed |= not check(f"delivery (b) run {rep}", bot[1])
            before = len(standin.sent)
            with quiet_gc():
                anchor_result = await children.run("anchor", ["--api-base", standin.api_base, "--targets",
                                                              str(targets),
                                                              *(["--keyboard"] if args.anchor_keyboard else [])],
                                                   url=url, tmp=tmp, timeout=args.phase_timeout)
            anchor = (anchor_result, sends_since(standin, before))
            failed |= not check(f"anchor run {rep}", anchor[1])
            errors = dict(Counter(standin.errors_returned) - errors0)
            bots.append(bot)
            anchors.append(anchor)
            if args.repeat > 1:
                print(f"  (b) run {rep}/{args.repeat}: Deliverer {bot[1].rate:.0f} msg/s, anchor "
                      f"{anchor[1].rate:.0f} msg/s, ratio {bot[1].rate / anchor[1].rate:.2f}"
                      f"{'; errors returned: ' + str(errors) if errors else ''}")
            elif errors:
                print(f"  errors returned by the stand-in: {errors}")

        def med(values: list[float]) -> float:
            return statistics.median(values)

        what = f"median of {args.repeat} runs" if args.repeat > 1 else "1 run"
        bot_rate = med([s.rate for _, s in bots])
        anchor_rate = med([s.rate for _, s in anchors])
        ratio = bot_rate / anchor_rate
        print(f"\n3. delivery (b): {kept:,} reminders, no limits (stand-in limits off, RateLimiter per_second=0); "
              f"{what}; load average now {load()}")
        print(f"  {'':<36}{'msg/s':>9}{'span s':>9}{'wall s':>9}{'CPU s':>8}{'CPU ms/msg':>11}{'peak MB':>9}")
        anchor_name = f"aiogram loop{' +buttons' if args.anchor_keyboard else ''} (gather {BATCH})"
        for name, runs in (("TuWai Deliverer (outbox)", bots), (anchor_name, anchors)):
            print(f"  {name:<36}{med([s.rate for _, s in runs]):>9.0f}{med([s.span for _, s in runs]):>9.2f}"
                  f"{med([r['wall'] for r, _ in runs]):>9.2f}{med([r['cpu'] for r, _ in runs]):>8.2f}"
                  f"{1000 * med([r['cpu'] for r, _ in runs]) / kept:>11.3f}"
                  f"{med([r['peak_mb'] for r, _ in runs]):>9.0f}")
        cpu_ratio = med([r["cpu"] for r, _ in anchors]) / med([r["cpu"] for r, _ in bots])
        print(f"  Deliverer/anchor = {ratio:.3f} (goal >= {RATIO_GOAL:.2f}: {goal(ratio >= RATIO_GOAL)}); "
              f"by CPU time per message (anchor/Deliverer, less sensitive to a busy machine): {cpu_ratio:.2f}")
        print("  (msg/s: sends / time from the first to the last send on the stand-in's clock; wall: the child's "
              "own sending loop; CPU: the child's CPU time in that loop, all threads (SQLite's included, not a "
              "PostgreSQL server's); the stand-in shares the machine)")
        if args.profile_deliver:
            print(f"  py-spy profile of the first unlimited Deliverer process: {args.profile_deliver}")
        anchor_failures = sum(r["failures"] for r, _ in anchors)
        if anchor_failures:
            print(f"  FAIL: the anchor had {anchor_failures} failed send(s)")
            failed = True
    finally:
        if code_state().split("; ", 1)[1] != code_at_start.split("; ", 1)[1]:
            print(f"  warning: the code under test changed during the run; now: {code_state()}")
        await children.stop_all()
        if standin is not None:
            await standin.stop()
        await database.drop()
        if args.keep_logs:
            print(f"logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if failed:
        print("FAIL: see above")
        return 1
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sponsorships", type=int, default=100_000, help="active sponsorships (default 100,000)")
    parser.add_argument("--million", action="store_true", help="1,000,000 sponsorships")
    parser.add_argument("--deliver", type=int, default=20_000,
                        help="reminders delivered in each delivery phase (default 20,000: ~11 min at 30/s)")
    parser.add_argument("--skip-limited", action="store_true", help="skip delivery (a), the one at 30/s")
    parser.add_argument("--repeat", type=int, default=1, help="runs of delivery (b) and its anchor; medians")
    parser.add_argument("--postgres", metavar="URL",
                        help="PostgreSQL server URL (postgresql+asyncpg://...): a scratch database is created on it "
                             "and dropped at the end (default: a SQLite file in a temp dir)")
    parser.add_argument("--profile", metavar="FILE",
                        help="run the planning process under py-spy record into FILE (.txt: collapsed stacks, "
                             ".svg: flame graph, else speedscope JSON)")
    parser.add_argument("--profile-deliver", metavar="FILE",
                        help="run the first unlimited Deliverer process (delivery (b)) under py-spy record into FILE")
    parser.add_argument("--anchor-keyboard", action="store_true",
                        help="the anchor sends each reminder's two inline buttons too, as the Deliverer does "
                             "(default: text only, `bot.send_message(chat_id, text)`)")
    parser.add_argument("--plan-timeout", type=float, default=1800.0, help="longest planning run (seconds)")
    parser.add_argument("--phase-timeout", type=float, default=900.0,
                        help="longest unlimited delivery run of one side (seconds)")
    parser.add_argument("--keep-logs", action="store_true", help="keep the temp dir with the children's logs")
    # the children: this script run again
    for name in ("--child", "--url", "--tmp", "--result", "--api-base", "--targets"):
        parser.add_argument(name, help=argparse.SUPPRESS)
    parser.add_argument("--keyboard", action="store_true", help=argparse.SUPPRESS)
    for name in ("--per-second", "--per-chat", "--timeout"):
        parser.add_argument(name, type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.million:
        args.sponsorships = 1_000_000
    if args.sponsorships < 1 or args.repeat < 1 or args.deliver < 0:
        parser.error("--sponsorships and --repeat must be at least 1, --deliver at least 0")
    return args


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.child:
        sys.exit(run_child(arguments))
    try:
        sys.exit(asyncio.run(main(arguments)))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted: child processes stopped, scratch database dropped")
        sys.exit(130)
