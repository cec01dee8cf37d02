"""Benchmark: the WhatsApp channel against the Telegram one, then 20,000 reminders as templates at 80/s.

    .venv/bin/python bench/whatsapp.py                       # 200 people, 20,000 reminders, SQLite in a temp dir
    .venv/bin/python bench/whatsapp.py --people 5 --reminders 500     # smoke run
    .venv/bin/python bench/whatsapp.py --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test

Everything talks only to 127.0.0.1. Part 1: N simulated people register as ASNs and enrol a worker (the steps of
bench/conversation.py) through signed webhooks against `tuwai run` (python -m bot.cli run, its own process,
WhatsApp only) and the local Cloud API stand-in (tests/standins/whatsapp.py, in this process); then the same
number of other people do the same on Telegram (bench/conversation.py's bot side, long polling against the Bot
API stand-in), in the same run, for the ratio. Each person waits for the reply to one message before sending the
next. Figures: events per second (events sent / wall time), reply latency p50/p95/p99 (from the stand-in queueing
the webhook call to the bot's first send in answer), and the ratios WhatsApp/Telegram (goals: throughput >= 0.8,
p95 <= 1.5x). Part 2: 20,000 reminders queued in the outbox of a fresh database, nobody inside the 24-hour window,
delivered as templates with the number's throughput set to 80/s and enforced by the stand-in: the achieved rate
as a share of the limit (goal >= 95%) and how many sends the stand-in refused (goal: none).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import shutil
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import conversation as tg  # noqa: E402  (bench/conversation.py: the Telegram side and the shared steps)
from sqlalchemy import func, insert, select  # noqa: E402

from bot.config import load_settings  # noqa: E402
from db.engine import create_engine, session_factory, upgrade  # noqa: E402
from db.models import OutboxMessage  # noqa: E402
from handlers.engine.types import Expect, Option, Reply, reply_to_payload
from tests.standins.apps import standin_templates  # noqa: E402
from tests.standins.whatsapp import WhatsAppStandin  # noqa: E402

# The same conversation as on Telegram. The OPD list is longer than one WhatsApp list page: the OPD is typed (its
# name is on page 2), and the step before waits for the question instead of the OPD's row.
STEPS = tuple(tg.Step(tg.TEXT if step.value == tg.OPD else step.kind, "halo" if step.value == "/start" else step.value,
                      "OPD" if step.expect == tg.OPD else step.expect) for step in tg.STEPS)


def bot_env(standin: WhatsAppStandin, url: str, port: int, tmp: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TUWAI_TELEGRAM__")}
    env.update({"TUWAI_WHATSAPP__PHONE_NUMBER_ID": standin.phone_number_id,
                "TUWAI_WHATSAPP__ACCESS_TOKEN": standin.token, "TUWAI_WHATSAPP__APP_SECRET": standin.app_secret,
                "TUWAI_WHATSAPP__VERIFY_TOKEN": "bench", "TUWAI_WHATSAPP__GRAPH_BASE": standin.api_base,
                "TUWAI_WHATSAPP__API_VERSION": standin.api_version, "TUWAI_DATABASE__URL": url,
                "TUWAI_SERVER__HOST": "127.0.0.1", "TUWAI_SERVER__PORT": str(port),
                "TUWAI_STORAGE__FILES_DIR": str(tmp / "files"), "TUWAI_LOGGING__LEVEL": "WARNING", **extra})
    return env


def shows(record: dict[str, Any], fragment: str) -> bool:
    return fragment in record["text"] or any(fragment in c["title"] or fragment in (c.get("description") or "")
                                             for c in record["choices"])


async def converse(standin: WhatsAppStandin, person: tg.Person, phone: str, run: tg.SideRun,
                   step_timeout: float) -> None:
    for number, step in enumerate(STEPS, 1):
        after = len(standin.messages_to(phone))
        value = person.fill(step.value)
        try:
            wamid = standin.send_text(phone, value) if step.kind == tg.TEXT else standin.press(phone, value)
            run.updates += 1
            await standin.wait_until(lambda: len(standin.messages_to(phone)) > after
                                     and shows(standin.messages_to(phone)[-1], step.expect), step_timeout)
        except AssertionError as error:
            got = [m["text"][:60] for m in standin.messages_to(phone)[after:]]
            run.failures.append(f"{phone} step {number} ({step.kind} {value!r}): {str(error)[:80]}; got {got}")
            return
        run.answered += 1
        run.latencies.append(standin.messages_to(phone)[after]["sent_at"] - standin.pushed_at[wamid])


async def run_whatsapp(args: argparse.Namespace, standin: WhatsAppStandin, people: list[tg.Person], url: str,
                       tmp: Path) -> tg.SideRun:
    run = tg.SideRun("whatsapp", len(people))
    port = tg.free_port()
    log_path = tmp / "bot-whatsapp.log"
    # Meta raises a number's throughput to 1,000 messages/s on request; 200 people answered at once need more
    # than the default 80 (part 2 measures delivery at 80/s).
    proc = await tg.start_process([sys.executable, "-m", "bot.cli", "run"], bot_env(
        standin, url, port, tmp, TUWAI_WHATSAPP__PER_SECOND=str(args.reply_limit)), log_path)
    try:
        await tg.wait_healthy(port, proc, log_path)
        standin.webhook_url = f"http://127.0.0.1:{port}/whatsapp/webhook"
        phones = [f"62813{p.chat_id % 100_000_000:08d}" for p in people]
        started = time.monotonic()
        cpu_child, cpu_self = tg.cpu_seconds(proc.pid), tg.cpu_seconds(os.getpid())
        try:
            async with asyncio.timeout(args.phase_timeout):
                await asyncio.gather(*(converse(standin, p, phone, run, args.step_timeout)
                                       for p, phone in zip(people, phones)))
        except TimeoutError:
            run.failures.append(f"the run phase did not finish within {args.phase_timeout:.0f}s")
        run.wall = time.monotonic() - started
        run.cpu = tg.cpu_seconds(proc.pid) - cpu_child
        run.harness_cpu = tg.cpu_seconds(os.getpid()) - cpu_self
        run.peak_rss_mb = tg.peak_rss_mb(proc.pid)
        run.extra["metrics"] = await tg.read_metrics(port)
    finally:
        await tg.stop_process(proc)
    log = log_path.read_text(errors="replace") if log_path.exists() else ""
    run.extra["log_errors"] = sum(1 for line in log.splitlines() if " ERROR " in line or "Traceback" in line)
    run.extra["log_tail"] = tg.log_tail(log_path, 15) if run.extra["log_errors"] else ""
    return run


async def queue_reminders(url: str, count: int) -> None:
    """`count` reminder rows in the outbox of a fresh database, to people who never wrote (templates)."""
    engine = create_engine(url)
    now = datetime.now(timezone.utc) - timedelta(seconds=1)
    try:
        await upgrade(engine)
        async with session_factory(engine)() as session, session.begin():
            for start in range(0, count, 5000):
                rows = []
                for i in range(start, min(count, start + 5000)):
                    reply = Reply(f"Pengingat iuran BPJS Ketenagakerjaan untuk Pekerja {i}: bulan November 2026, "
                                  "sebesar Rp8.400, jatuh tempo 16 November 2026.\n\nCara bayar: aplikasi JMO.",
                                  (Option(f"!paid:{i}", "Sudah bayar"), Option(f"!later:{i}", "Ingatkan nanti")),
                                  Expect.OPTION)
                    rows.append({"key": f"reminder:{i}:2026-11:-7", "channel": "whatsapp",
                                 "address": f"6289{i:09d}", "payload": reply_to_payload(reply), "status": "pending",
                                 "attempts": 0, "next_attempt_at": now, "created_at": now, "quiet": False})
                await session.execute(insert(OutboxMessage), rows)
    finally:
        await engine.dispose()


async def sent_count(url: str) -> int:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            return (await session.execute(select(func.count()).select_from(OutboxMessage)
                                          .where(OutboxMessage.status == "sent"))).scalar_one()
    finally:
        await engine.dispose()


async def run_reminders(args: argparse.Namespace, standin: WhatsAppStandin, url: str, tmp: Path) -> dict[str, Any]:
    await queue_reminders(url, args.reminders)
    standin.throughput = args.limit
    before = len(standin.sent)
    refused_before = sum(standin.errors_returned.values())
    port = tg.free_port()
    log_path = tmp / "bot-reminders.log"
    proc = await tg.start_process([sys.executable, "-m", "bot.cli", "run"], bot_env(
        standin, url, port, tmp, TUWAI_WHATSAPP__PER_SECOND=str(args.limit), TUWAI_WHATSAPP__DAILY_LIMIT="0",
        TUWAI_PROGRAM__SEND_FROM="00:00", TUWAI_PROGRAM__SEND_UNTIL="23:59"), log_path)
    try:
        await tg.wait_healthy(port, proc, log_path)
        standin.webhook_url = f"http://127.0.0.1:{port}/whatsapp/webhook"
        gc.disable()  # the stand-in counts arrivals: a collection pause in this process would bunch them
        deadline = time.monotonic() + args.reminders / args.limit * 2 + 60
        while len(standin.sent) - before < args.reminders and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            if proc.returncode is not None:
                break
        for _ in range(40):  # the last batch's rows are marked sent a moment after their sends
            if await sent_count(url) >= args.reminders:
                break
            await asyncio.sleep(0.25)
    finally:
        gc.enable()
        await tg.stop_process(proc)
    sends = [r["sent_at"] for r in standin.sent[before:]]
    templates = sum(1 for r in standin.sent[before:] if r["kind"] == "template")
    span = (max(sends) - min(sends)) if len(sends) > 1 else float("nan")
    rate = (len(sends) - 1) / span if len(sends) > 1 else 0.0
    return {"sent": len(sends), "templates": templates, "seconds": span, "rate": rate,
            "refused": sum(standin.errors_returned.values()) - refused_before, "errors": dict(standin.errors_returned),
            "rows_sent": await sent_count(url),
            "log_errors": sum(1 for line in (log_path.read_text(errors="replace") if log_path.exists() else "")
                              .splitlines() if " ERROR " in line or "Traceback" in line)}


def row(name: str, run: tg.SideRun) -> str:
    return (f"{name:<10}{run.updates:>8}{run.wall:>9.2f}{run.throughput:>10.1f}{run.percentile(50):>9.1f}"
            f"{run.percentile(95):>9.1f}{run.percentile(99):>9.1f}{run.peak_rss_mb:>12.1f}{run.cpu:>8.1f}"
            f"{run.harness_cpu:>12.1f}{len(run.failures):>7}")


async def main(args: argparse.Namespace) -> int:
    today = date.today()
    print("TuWai WhatsApp benchmark")
    print(f"  part 1: {args.people} people each, concurrently, {len(STEPS)} messages each (ASN registration + "
          "worker enrolment), WhatsApp (signed webhooks) then Telegram (long polling), each against `tuwai run`")
    print(f"  number throughput in part 1: {args.reply_limit:.0f} messages/s (Meta's upgraded tier)")
    print(f"  part 2: {args.reminders} reminders as templates, throughput limit {args.limit:.0f}/s enforced by the "
          "stand-in")
    settings = load_settings(ROOT / "config.toml")
    tmp = Path(tempfile.mkdtemp(prefix="tuwai-bench-wa-"))
    whatsapp = WhatsAppStandin(templates=standin_templates(settings))
    telegram = tg.TelegramStandin(tg.TOKEN)
    await whatsapp.start()
    await telegram.start()
    failed = False
    try:
        wa_people = tg.make_people(args.people, seed=1, base_chat=1_000_000, today=today)
        tg_people = tg.make_people(args.people, seed=2, base_chat=5_000_000, today=today)
        for label, people, side in (("whatsapp", wa_people, "wa"), ("telegram", tg_people, "tg")):
            database = tg.ScratchDatabase(args.postgres, tmp, label)
            try:
                url = await database.create()
                await tg.seed(url, people)
                if side == "wa":
                    wa = await run_whatsapp(args, whatsapp, people, url, tmp)
                else:
                    args.polling_timeout, args.profile = 1, None
                    tel = await tg.run_bot(args, telegram, people, url, tmp, label)
                rows = await tg.count_rows(url)
            finally:
                await database.drop()
            if rows["workers"] != args.people:
                failed = True
                print(f"  FAIL: {label}: {rows['workers']} workers in the database, expected {args.people}")
        print(f"\n{'':<10}{'events':>8}{'wall s':>9}{'events/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
              f"{'peak RSS MB':>12}{'CPU s':>8}{'harness CPU':>12}{'failed':>7}")
        print(row("WhatsApp", wa))
        print(row("Telegram", tel))
        ratio = wa.throughput / tel.throughput if tel.throughput else float("nan")
        p95 = wa.percentile(95) / tel.percentile(95)
        print("(CPU s: the bot process during the run phase; harness CPU: this process, stand-ins and people)")
        print(f"throughput WhatsApp/Telegram = {ratio:.2f}  (goal >= 0.8: {'met' if ratio >= 0.8 else 'NOT MET'})")
        print(f"p95 latency WhatsApp/Telegram = {p95:.2f}  (goal <= 1.5: {'met' if p95 <= 1.5 else 'NOT MET'})")
        for run in (wa, tel):
            if run.failures or run.extra.get("log_errors"):
                failed = failed or bool(run.failures)
                print(f"  {run.side}: {len(run.failures)} failed, {run.extra.get('log_errors', 0)} error lines; "
                      f"{run.failures[:3]}\n{run.extra.get('log_tail', '')}")
        database = tg.ScratchDatabase(args.postgres, tmp, "reminders")
        try:
            url = await database.create()
            result = await run_reminders(args, whatsapp, url, tmp)
        finally:
            await database.drop()
        share = result["rate"] / args.limit
        print(f"\nreminders: {result['sent']} sent ({result['templates']} as templates) in {result['seconds']:.1f}s "
              f"= {result['rate']:.1f}/s = {share:.1%} of the {args.limit:.0f}/s limit "
              f"(goal >= 95%: {'met' if share >= 0.95 else 'NOT MET'}); refused by the stand-in: "
              f"{result['refused']} {result['errors']} (goal 0: {'met' if result['refused'] == 0 else 'NOT MET'}); "
              f"outbox rows marked "
              f"sent: {result['rows_sent']}; bot log error lines: {result['log_errors']}")
        failed = failed or result["sent"] != args.reminders
    finally:
        await whatsapp.stop()
        await telegram.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--reminders", type=int, default=20_000)
    parser.add_argument("--limit", type=float, default=80.0, help="the number's throughput in part 2 (messages/s)")
    parser.add_argument("--reply-limit", type=float, default=1000.0,
                        help="the number's throughput in part 1 (messages/s; Meta's upgraded tier is 1,000)")
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL server URL for scratch databases")
    parser.add_argument("--step-timeout", type=float, default=30.0)
    parser.add_argument("--phase-timeout", type=float, default=600.0)
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
