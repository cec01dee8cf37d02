"""Planning what is due: the month's ledger rows, the reminders, lapses, and the officers' daily digest.

Everything is computed from the database and the programme's rules with the time passed in, so downtime loses
nothing (the reminders still relevant go out when the bot is back, the stale ones are skipped) and two processes
plan nothing twice (every outbox row has a unique key: reminder:<sponsorship>:<month>:<offset>).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, literal, select, update

from db import queries, standing
from db.ledger import LedgerRules
from db.models import Asn, Chat, Contribution, Sponsorship, Worker
from db.rules.contributions import LAPSE_AFTER, latest_reminder, unpaid_streak
from db.rules.months import Month
from handlers.engine.core import Core
from handlers.engine.format import format_date, format_rupiah, month_name
from handlers.engine.i18n import Translator
from handlers.engine.types import GLOBAL, Expect, Option, Reply, reply_to_payload

logger = logging.getLogger(__name__)
CHUNK = 2000  # outbox rows per insert
RANGE = 5000  # sponsorships per planning transaction
@dataclass
class PlanReport:
    ledger_rows: int = 0
    reminders: int = 0
    lapsed: int = 0
    digests: int = 0
    at_risk: dict[str, int] = field(default_factory=dict)


class Planner:
    def __init__(self, core: Core, rules: LedgerRules) -> None:
        self.core = core
        self.rules = rules
        self.settings = core.program.contributions

    def in_sending_hours(self, now: datetime) -> bool:
        local = now.astimezone(self.core.zone).time()
        return self.settings.send_from <= local < self.settings.send_until

    async def plan(self, now: datetime) -> PlanReport:
        report = PlanReport()
        today = now.astimezone(self.core.zone).date()
        async with self.core.sessions() as session, session.begin():
            report.ledger_rows = await self._ensure_ledger(session, Month.of(today), now)
        # Sponsorships in id ranges, a transaction each: the write lock is never held long, so people chatting
        # with the bot while 100,000 reminders are planned are answered in between.
        streaks: dict[int, int] = {}
        for low, high in await self._ranges():
            async with self.core.sessions() as session, session.begin():
                await self._remind(session, today, now, report, streaks, low, high)
        async with self.core.sessions() as session, session.begin():
            await self._lapse(session, streaks, now, report)
        if now.astimezone(self.core.zone).time() >= self.settings.digest_at:
            async with self.core.sessions() as session, session.begin():
                await self._digest(session, today, now, report)
        digest = now.astimezone(self.core.zone).time() >= self.settings.digest_at
        for planning in self.core.planners:  # what the features plan (claims: digest, drafts, scholarships)
            async with self.core.sessions() as session, session.begin():
                report.digests += await planning(self.core, session, today, now, digest)
        return report

    # -- the ledger -----------------------------------------------------------------------------------------------
    def _amount_case(self, month: Month) -> Any:
        """The month's amount per worker in SQL: by sector (occupation) and by who pays (funding)."""
        transport = sorted(self.rules.transport_occupations)
        branches = []
        for sector, test in (("transport", Worker.occupation.in_(transport)), ("other", literal(True))):
            excluded = [funding for funding in ("apbd", "apbn")
                        if self.rules.schedule.amount(month, sector=sector, funding=funding)
                        != self.rules.schedule.amount(month, sector=sector)]
            personal = self.rules.schedule.amount(month, sector=sector)
            full = self.rules.schedule.amount(month, sector=sector, funding="apbd")
            value: Any = case((Sponsorship.funding.in_(excluded), full), else_=personal) if excluded else personal
            branches.append((test, value))
        return case(*branches)

    async def _ensure_ledger(self, session: Any, current: Month, now: datetime) -> int:
        """One row per month from the month cover started through this month, for every active sponsorship."""
        earliest = (await session.execute(select(func.min(Worker.bpjs_start)).where(Worker.status == "active"))
                    ).scalar_one_or_none()
        if earliest is None:
            return 0
        created = 0
        for month in max(Month.of(earliest), current - 24).until(current):
            amount = self._amount_case(month)
            regular = self.rules.due(month)  # never before the membership's first due date (db.rules.contributions)
            due = case((Worker.first_due > regular, Worker.first_due), else_=literal(regular))
            rows = (select(Sponsorship.id, literal(month.first_day()), amount, due,
                           literal("due"), literal(now))
                    .join(Worker, Worker.id == Sponsorship.worker_id)
                    .where(Sponsorship.ended_at.is_(None), Sponsorship.lapsed_at.is_(None),
                           Worker.status == "active", Worker.bpjs_start < (month + 1).first_day(),
                           ~select(Contribution.id).where(Contribution.sponsorship_id == Sponsorship.id,
                                                          Contribution.period == month).exists()))
            statement = queries._insert(session, Contribution).from_select(
                ["sponsorship_id", "period", "amount", "due_date", "status", "updated_at"], rows)
            result = await session.execute(statement.on_conflict_do_nothing(
                index_elements=["sponsorship_id", "period"]))
            created += max(result.rowcount or 0, 0)
        return created

    # -- reminders --------------------------------------------------------------------------------------------------
    async def _ranges(self) -> list[tuple[int, int]]:
        async with self.core.sessions() as session:
            low, high = (await session.execute(select(func.min(Sponsorship.id), func.max(Sponsorship.id)).where(
                Sponsorship.ended_at.is_(None), Sponsorship.lapsed_at.is_(None)))).one()
        if low is None:
            return []
        return [(start, min(start + RANGE - 1, high)) for start in range(low, high + 1, RANGE)]

    async def _remind(self, session: Any, today: date, now: datetime, report: PlanReport, streaks: dict[int, int],
                      low: int, high: int) -> None:
        """Queue the current reminder of every unpaid month of sponsorships low..high; note their unpaid streaks."""
        offsets = self.settings.reminder_days
        horizon = today + timedelta(days=-min(offsets))
        query = (select(Contribution.id, Contribution.sponsorship_id, Contribution.period, Contribution.amount,
                        Contribution.due_date, Worker.name, Chat.channel, Chat.address, Chat.language)
                 .join(Sponsorship, Sponsorship.id == Contribution.sponsorship_id)
                 .join(Worker, Worker.id == Sponsorship.worker_id)
                 .join(Asn, Asn.id == Sponsorship.asn_id)
                 .join(Chat, Chat.id == Asn.chat_id)
                 .where(Contribution.status == "due", Contribution.due_date <= horizon,
                        Contribution.sponsorship_id.between(low, high),
                        Sponsorship.ended_at.is_(None), Sponsorship.lapsed_at.is_(None))
                 .order_by(Contribution.sponsorship_id, Contribution.period))
        current = Month.of(today)
        latest_past_due = current if self.rules.due(current) < today else current - 1
        pending: list[dict[str, Any]] = []
        candidates: list[tuple[str, Any, int, int, int, list[Month]]] = []
        group: list[Any] = []
        translators: dict[str, Translator] = {}

        def flush_group() -> None:
            if not group:
                return
            past_due = [row.period for row in group if row.due_date < today]
            # Only a run of unpaid months reaching the latest month past its due date counts: a paid month ends it.
            streak = unpaid_streak(past_due, current) if latest_past_due in past_due else 0
            streaks[group[0].sponsorship_id] = streak
            # One message per sponsorship: the latest month with a reminder due, naming the other unpaid months.
            current_points = [(row, latest_reminder(row.due_date, today, offsets)) for row in group]
            current_points = [(row, offset) for row, offset in current_points if offset is not None]
            if current_points:
                row, offset = current_points[-1]
                others = len([m for m in past_due if m != row.period])
                # A new membership's first months share one due date (db.rules.first_due_date): name them all.
                along = [r.period for r in group if r.period != row.period and r.due_date == row.due_date >= today]
                candidates.append((f"reminder:{row.sponsorship_id}:{row.period.key()}:{offset}", row, offset, streak,
                                   others, along))
            group.clear()

        for row in await session.execute(query):
            if group and group[0].sponsorship_id != row.sponsorship_id:
                flush_group()
            group.append(row)
        flush_group()
        # Only reminders not queued before are written out: planning again every heartbeat costs one lookup.
        known = await queries.existing_keys(session, [key for key, *_ in candidates])
        for key, row, offset, streak, others, along in candidates:
            if key in known:
                continue
            language = row.language if row.language in ("id", "en") else "id"
            t = translators.setdefault(language, Translator(self.core.catalog, language))
            pending.append(queries.outbox_row(key=key, channel=row.channel, address=row.address, now=now,
                                              payload=self._reminder(t, row, offset, streak, others, along),
                                              quiet=True))
            if len(pending) >= CHUNK:
                await queries.enqueue_many(session, pending)
                report.reminders += len(pending)
                pending.clear()
        await queries.enqueue_many(session, pending)
        report.reminders += len(pending)

    def _reminder(self, t: Translator, row: Any, offset: int, streak: int, unpaid: int,
                  along: Sequence[Month] = ()) -> dict[str, Any]:
        """The reminder's text: the month, amount, due date; earlier unpaid months; the lapse warning; how to pay."""
        language = t.language
        params = {"name": row.name, "month": month_name(row.period, language), "amount": format_rupiah(row.amount),
                  "due": format_date(row.due_date, language), "days": abs(offset)}
        lines = [t("reminder.before" if offset < 0 else "reminder.after", **params)]
        if along:
            lines.append(t("trial.reminder_along", months=", ".join(month_name(m, language) for m in along),
                           due=params["due"]))
        if unpaid:
            lines.append(t("reminder.arrears", count=unpaid))
        if streak >= LAPSE_AFTER - 1:  # one more unpaid month ends the membership: say so before it happens
            lines.append(t("reminder.lapse_warning", name=row.name, months=LAPSE_AFTER))
        lines.append(t("reminder.how_to_pay", instructions=self.settings.instructions(language)))
        options = (Option(f"{GLOBAL}paid:{row.id}", t("reminder.paid")),
                   Option(f"{GLOBAL}later:{row.id}", t("reminder.later")))
        return reply_to_payload(Reply("\n\n".join(lines), options, Expect.OPTION))

    # -- lapse and digest ---------------------------------------------------------------------------------------------
    async def _lapse(self, session: Any, streaks: dict[int, int], now: datetime, report: PlanReport) -> None:
        lapsing = [sponsorship for sponsorship, streak in streaks.items() if streak >= LAPSE_AFTER]
        for start in range(0, len(lapsing), CHUNK):
            chunk = lapsing[start:start + CHUNK]
            marked = (await session.execute(
                update(Sponsorship).where(Sponsorship.id.in_(chunk), Sponsorship.lapsed_at.is_(None))
                .values(lapsed_at=now).returning(Sponsorship.id))).scalars().all()
            report.lapsed += len(marked)
            await self._tell_lapsed(session, marked, now)

    async def _tell_lapsed(self, session: Any, sponsorship_ids: list[int], now: datetime) -> None:
        if not sponsorship_ids:
            return
        rows = (await session.execute(
            select(Sponsorship.id, Worker.name, Asn.name.label("asn"), Asn.opd, Chat.channel, Chat.address,
                   Chat.language)
            .join(Worker, Worker.id == Sponsorship.worker_id).join(Asn, Asn.id == Sponsorship.asn_id)
            .join(Chat, Chat.id == Asn.chat_id).where(Sponsorship.id.in_(sponsorship_ids)))).all()
        officers = sorted(await self.core.officers(session))
        outbox = []
        for row in rows:
            t = Translator(self.core.catalog, row.language)
            outbox.append(queries.outbox_row(key=f"lapsed:{row.id}", channel=row.channel, address=row.address,
                                             now=now, payload=reply_to_payload(Reply(
                                                 t("reminder.lapsed", name=row.name, months=LAPSE_AFTER)))))
            for channel, address in officers:
                text = self.core.catalog.text("id", "officer.lapsed", name=row.name, asn=row.asn, opd=row.opd,
                                              months=LAPSE_AFTER)
                outbox.append(queries.outbox_row(key=f"lapsed:{row.id}:{channel}:{address}", channel=channel,
                                                 address=address, now=now, payload=reply_to_payload(Reply(text))))
        await queries.enqueue_many(session, outbox)

    async def _digest(self, session: Any, today: date, now: datetime, report: PlanReport) -> None:
        """Once a day, each officer: sponsorships at risk (a month unpaid past its due date), per OPD."""
        at_risk = await standing.arrears_by(session, Asn.opd, today=today, rules=self.rules)
        report.at_risk = {name: sponsorships for name, sponsorships, _ in at_risk}
        officers = sorted(await self.core.officers(session))
        if not officers or not at_risk:  # nobody at risk: no message, officers are not paged for good news
            return
        rows = []
        for channel, address in officers:
            language = await queries.chat_language(session, channel=channel, address=address)
            t = Translator(self.core.catalog, language)
            lines = [t("officer.digest_title", date=format_date(today, language))]
            lines += [t("officer.digest_line", group=name, sponsorships=count, months=months)
                      for name, count, months in at_risk]
            rows.append(queries.outbox_row(key=f"digest:{today.isoformat()}:{channel}:{address}", channel=channel,
                                           address=address, now=now, quiet=True,
                                           payload=reply_to_payload(Reply("\n".join(lines)))))
        await queries.enqueue_many(session, rows)
        report.digests = len(rows)

