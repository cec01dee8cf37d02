"""Random walks through every flow (hypothesis): whatever people send, in whatever order, the bot answers.

One App per test function on a SQLite file (migrations are too slow to run per example); every example brings fresh
people with fresh identities (addresses, NIPs in the roster, NIKs, KPJs), so examples do not interfere. After every
event the invariants below hold; a biased walk that mostly presses the buttons of the latest prompt makes sure the
deep states (summary, edit, enrolment end, consent, KPJ recording) are reached, so the test cannot pass vacuously.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from bot.app import App
from bot.channels.telegram_render import parse_callback
from bot.config import Settings
from db.models import Asn, Chat, Officer, RosterEntry, Worker
from handlers.engine.core import MAX_TEXT
from handlers.engine.forms import EDIT, SUMMARY, Form
from handlers.engine.types import GLOBAL, Choice, Contact, Event, File, Location, Payload, Reply, Text, Unsupported
from tests.conftest import Clock
from tests.people import JPEG, NIK_FEMALE, NIK_MALE, NIP_PNS, RecordingChannel

MAX_LABEL = 24  # Telegram shows about this much of a button; WhatsApp list rows allow 24 characters
MAX_OPTION_ID_BYTES = 60  # callback_data is 64 bytes; the core adds the conversation version

# Steps of the flows that are not forms (forms are checked against their own fields).
PLAIN_STEPS = {"privacy": {"notice"}, "my_workers": {"list"},
               "officer": {"menu", "pending", "bpjs", "receipts", "lapsed", "claims", "consent_review", "code_locks"},
               "worker_consent": {"contact", "agree"}, "claims": {"hub", "status"}, "claim_docs": {"list", "file"},
               "claim_view": {"open"}, "claim_withdraw": {"confirm"}}

COMMANDS = ("/start", "/menu", "/batal", "/bantuan", "/bahasa", "/petugas", "/start c_bogus", "/unknown",
            "batal", "menu", "/start@TuWaiBot", "/bahasa en", "/")
FORGED = ("!asn.ok:1", "!asn.no:1", "!kpj:1", "!w.link:1", "!w.paper:1", "!nope:x", "!", "!kpj:", "!asn.ok:abc",
          "!pay:1", "!paid:1", "!later:1", "!rcpt.ok:1", "!rcpt.no:1", "!fix:1", "!fix:x",
          "!rcpt.view:1", "!klm.open:1", "!klm.docs:1", "!klm.fwd:1", "!klm.ask:1", "!klm.pay:1", "!klm.rej:1",
          "!klm.open:abc", "!cf.ok:1", "!cf.no:1", "!cf.view:1", "!nip.move:1", "!w.view:1", "!w.form:0",
          "!nip.move:abc", "!klm.dead:1", "!klm.undo:1", "!klm.main:1:1", "!klm.main:1", "!klm.files:1",
          "!code.no:asn:1:1", "!code.me:asn:1", "!code.unlock:1", "!lnk.ok:1", "!lnk.home:1", "!lnk.cut:1")
# Option ids of the flows sent with the current token, whether or not the current prompt shows them.
LOCAL_IDS = ("confirm", "edit", "cancel", "skip", "yes", "no", "nik", "all", "resume", "agree", "disagree",
             "language", "help", "asn_register", "enrol", "my_workers", "officer", "pending", "bpjs", "stats", "menu",
             "today", "opd0", "opd99", "occ:nelayan", "occ:nope", "rel:child", "rel:x", "13.77.01", "13.77.01.2001",
             "name", "birth", "desa", "_summary", "", "done", "m:202611", "m:abc", "m:209913", "arrears", "claims",
             "new", "status", "submit", "later", "d:kpj_card", "d:x", "c:1", "p:1", "w:1", "jkm", "jkk_death")
PHONES = ("0812-3456-7890", "+62 813 1111 2222", "021 555 1234", "6281234567890", "+6281311112222")
NAMES = ("Rahmat Hidayat", "Siti Rahma", "Syafrizal", "Nurhayati", "Ma'ruf Amin", "BUDI SANTOSO")
AREAS = ("pariaman tengah", "Pariaman Utara", "Taratak", "mangguang", "Manggung", "Kampung Perak")
FIXED_DATES = ("17-08-1975", "12 Maret 1980", "2026-11-22", "31/02/2000", "1 januari 1900", "22 November 2026")
FIXED_ROSTER = ("199001012015012003", "198712252012121001")  # seeded once per test function
# Options the biased walk prefers: they move a conversation forward.
PROGRESS = {"agree", "resume", "confirm", "yes", "today", "skip", "asn_register", "enrol", "officer", "bpjs",
            "my_workers", "pending", "done"}
PROGRESS_PREFIXES = ("!kpj:", "!w.paper:", "!asn.ok:", "!w.link:", "!pay:", "m:", "!cf.ok:")


# -- identities: fresh for every example --------------------------------------------------------------------------

def make_nip(k: int) -> str:
    """A valid PNS NIP (born 1985, appointed Jan 2010, male), different for every k < 335,000."""
    month, day, serial = 1 + k % 12, 1 + (k // 12) % 28, 1 + k // 336
    return f"1985{month:02d}{day:02d}2010011{serial:03d}"


def make_nik(k: int) -> tuple[str, date]:
    """A valid Kota Pariaman NIK born in 1979 (female for odd serials), and its birth date."""
    kecamatan, day, month, serial = 1 + k % 4, 1 + (k // 4) % 28, 1 + (k // 112) % 12, 1 + k // 1344
    coded_day = day + 40 if serial % 2 else day
    return f"13770{kecamatan}{coded_day:02d}{month:02d}79{serial:04d}", date(1979, month, day)


@dataclass
class Person:
    role: str
    address: str
    replies: list[Reply] = field(default_factory=list)
    last_replies: list[Reply] = field(default_factory=list)  # the answer to the latest event
    last_event: Event | None = None
    flow: str | None = None
    step: str | None = None
    notices_seen: int = 0  # delivered notifications already pressed
    links_opened: set[str] = field(default_factory=set)
    edited: bool = False
    agreed: bool = False  # to the privacy notice (global actions are refused before)

    def prompts(self) -> list[Reply]:
        return [reply for reply in self.replies if reply.options]


@dataclass
class World:
    """One example: its people and their identities."""

    n: int
    people: list[Person]
    roster_nips: list[str]
    other_nips: list[str]
    niks: list[str]
    births: list[date]
    kpjs: list[str]
    errors_before: int = 0  # the core's error count when the example started
    log: list[str] = field(default_factory=list)

    def person(self, role: str) -> Person:
        return next(p for p in self.people if p.role == role)

    def valid(self, kind: str, index: int) -> str:
        choices: dict[str, list[str]] = {
            "nik": self.niks + [NIK_MALE, NIK_FEMALE, "1377 0117.0875 0003"],
            "nip": self.roster_nips + self.other_nips + [NIP_PNS, *FIXED_ROSTER],
            "phone": list(PHONES),
            "date": [b.strftime("%d-%m-%Y") for b in self.births] + list(FIXED_DATES),
            "name": list(NAMES),
            "kpj": self.kpjs + ["2301 2345 678"],
            "area": list(AREAS),
        }
        values = choices[kind]
        return values[index % len(values)]


class Harness:
    """The app, its own event loop, and what the run has seen (for the not-vacuous assertions)."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.runner = asyncio.Runner()
        self.app = App(settings, clock=clock)
        self.channel = RecordingChannel()
        self.run(self.app.prepare())
        self.app.add_channel(self.channel)
        self.run(self._seed(*FIXED_ROSTER))
        self.error_text = self.app.catalog.text("id", "common.error")
        self.examples = itertools.count(1)
        self.event_ids = itertools.count(1)
        self.file_refs = itertools.count(1)
        self.states: Counter[str] = Counter()
        self.kinds: Counter[str] = Counter()
        self.undelivered = True
        self.scripted = False  # True during a scripted prelude: its states are not counted as reached
        self.typed: Counter[str] = Counter()  # typed labels: "chosen" when not answered "choose a button"

    def run(self, coro: Any) -> Any:
        return self.runner.run(coro)

    def close(self) -> None:
        try:
            self.run(self.app.stop())
        finally:
            self.runner.close()

    async def _seed(self, *nips: str, officer: str | None = None) -> None:
        async with self.app.sessions() as session, session.begin():
            session.add_all([RosterEntry(nip=nip, name="Rahmat Hidayat", opd="Dinas Sosial") for nip in nips])
            if officer is not None:
                session.add(Officer(channel="console", address=officer))

    # -- one example --------------------------------------------------------------------------------------------------
    def new_world(self) -> World:
        n = next(self.examples)
        people = [Person(role, f"rw{n}-{role}") for role in ("asn", "officer", "worker", "other")]
        nik_births = [make_nik(n * 4 + i) for i in range(3)]
        world = World(n=n, people=people, roster_nips=[make_nip(n * 4), make_nip(n * 4 + 1)],
                      other_nips=[make_nip(n * 4 + 2)], niks=[nik for nik, _ in nik_births],
                      births=[born for _, born in nik_births], kpjs=[f"9{n:06d}{i:04d}" for i in range(3)],
                      errors_before=self.app.core.counters["errors"])
        self.run(self._seed(*world.roster_nips, officer=world.person("officer").address))
        return world

    def end_world(self, world: World) -> None:
        """The example's officer stops being one, so notifications do not go to every officer of every example."""
        async def drop() -> None:
            async with self.app.sessions() as session, session.begin():
                await session.execute(delete(Officer).where(Officer.address == world.person("officer").address))
        self.run(drop())
        for person in world.people:
            self.notices(world, person)  # every notification this example caused, checked like replies

    async def deliver(self) -> None:
        if not self.undelivered:
            return
        while await self.app.deliverer.deliver_once():
            pass
        self.undelivered = False

    # -- sending and checking ----------------------------------------------------------------------------------------
    def send(self, world: World, person: Person, payload: Payload, event_id: str | None = None,
             description: str = "") -> list[Reply]:
        duplicate = event_id is not None
        event = Event("console", person.address, event_id or f"rw-{next(self.event_ids)}", payload, "Walker")
        world.log.append(f"{person.role}: {description or payload!r}" + (" [same event id again]" if duplicate else ""))
        replies = self.run(self.app.handle_event(event)) or []
        self.undelivered = True  # the event may have queued notifications
        person.last_event = event
        person.replies += replies
        if replies:
            person.last_replies = replies
        self.check(world, person, replies, duplicate)
        return replies

    def fail(self, world: World, message: str) -> None:
        steps = "\n".join(f"  {i + 1}. {line}" for i, line in enumerate(world.log))
        raise AssertionError(f"{message}\nsteps of this example:\n{steps}")

    def check(self, world: World, person: Person, replies: list[Reply], duplicate: bool) -> None:
        if duplicate:
            if replies:
                self.fail(world, f"a duplicate event was answered: {replies!r}")
        elif not replies:
            self.fail(world, "no reply to an event")
        errors = self.app.core.counters["errors"] - world.errors_before
        if errors:
            self.fail(world, f"the core counted {errors} error(s) (the exception is in the captured log)")
        for reply in replies:
            self.check_reply(world, reply)
        chat = self.run(self.chat_row(person.address))
        if chat is None:
            if not duplicate:
                self.fail(world, "no chat row after an event")
            return
        self.check_state(world, chat.flow, chat.step, chat.answers, where="chat")
        try:
            round_trip = json.loads(json.dumps(chat.answers))
        except (TypeError, ValueError) as error:
            self.fail(world, f"answers are not JSON: {chat.answers!r} ({error})")
        if round_trip != chat.answers:
            self.fail(world, f"answers do not round-trip through JSON: {chat.answers!r}")
        draft = chat.answers.get("_resume") if isinstance(chat.answers, dict) else None
        if draft:
            self.check_state(world, draft.get("flow"), draft.get("step"), draft.get("answers"), where="draft")
        non_global = [r for r in replies if r.options and not all(o.id.startswith(GLOBAL) for o in r.options)]
        if not duplicate and non_global and non_global[-1].token != chat.version:
            self.fail(world, f"the latest buttons carry token {non_global[-1].token}, the chat is at {chat.version}")
        person.flow, person.step = chat.flow, chat.step
        person.agreed = chat.privacy_version is not None
        if not self.scripted:
            self.states[f"{chat.flow}/{chat.step}"] += 1

    def check_reply(self, world: World, reply: Reply, where: str = "reply") -> None:
        if reply.text.startswith(self.error_text):
            self.fail(world, f"the generic error {where}: {reply.text!r}")
        if not reply.text.strip():
            self.fail(world, f"an empty {where}: {reply!r}")
        if len(reply.text) > MAX_TEXT:
            self.fail(world, f"a {where} of {len(reply.text)} characters: {reply.text[:200]!r}...")
        for option in reply.options:
            if not option.label.strip() or len(option.label) > MAX_LABEL:
                self.fail(world, f"button label {option.label!r} ({len(option.label)} chars) in {where}")
            if not option.id or len(option.id.encode()) > MAX_OPTION_ID_BYTES:
                self.fail(world, f"option id {option.id!r} is empty or over {MAX_OPTION_ID_BYTES} bytes")

    def check_state(self, world: World, flow: Any, step: Any, answers: Any, where: str) -> None:
        if not isinstance(answers, dict):
            self.fail(world, f"{where} answers are not a dict: {answers!r}")
        if flow is None:
            if step is not None:
                self.fail(world, f"{where}: no flow but step {step!r}")
            return
        if flow not in self.app.core.flows:
            self.fail(world, f"{where}: flow {flow!r} is not registered ({sorted(self.app.core.flows)})")
        target = self.app.core.flows[flow]
        if isinstance(target, Form):
            allowed = {f.name for f in target.fields} | {SUMMARY, EDIT}
            if step not in allowed:
                self.fail(world, f"{where}: step {step!r} is not a field of form {flow!r} ({sorted(allowed)})")
        elif flow in PLAIN_STEPS and step not in PLAIN_STEPS[flow]:
            self.fail(world, f"{where}: step {step!r} is not a step of flow {flow!r}")

    async def chat_row(self, address: str) -> Chat | None:
        async with self.app.sessions() as session:
            query = select(Chat).where(Chat.channel == "console", Chat.address == address)
            return (await session.execute(query)).scalar_one_or_none()

    def notices(self, world: World, person: Person) -> list[Reply]:
        """Notifications delivered to this person (checked like replies)."""
        self.run(self.deliver())
        inbox = self.channel.inbox.get(person.address, [])
        for reply in inbox:
            self.check_reply(world, reply, where="notification")
        return inbox

    def consent_links(self, world: World) -> list[str]:
        links = []
        for person in world.people:
            for reply in self.notices(world, person):
                if "start=c_" in reply.text:
                    links.append("c_" + reply.text.split("start=c_", 1)[1].split()[0])
        return links

    async def lead(self, world: World) -> str:
        """Who can move this example forward: the ASN until their worker exists, then the worker (consent),
        then the officer (KPJ); the ASN again at the end (to see the worker in "Pekerja saya")."""
        async with self.app.sessions() as session:
            chat_id = select(Chat.id).where(Chat.channel == "console", Chat.address == world.person("asn").address)
            asn = (await session.execute(select(Asn).where(Asn.chat_id == chat_id.scalar_subquery()))).scalar()
            workers = list((await session.execute(
                select(Worker).where(Worker.nik.in_(world.niks)))).scalars()) if asn is not None else []
        if asn is None or asn.status != "approved" or not workers:
            return "asn" if asn is None or asn.status == "approved" else "officer"
        if all(w.consent_at is None for w in workers):
            return "worker" if world.n % 2 else "asn"  # by link in odd examples, on paper in even ones
        return "officer" if all(w.status != "active" for w in workers) else "asn"

    async def counts(self) -> dict[str, int]:
        async with self.app.sessions() as session:
            async def count(model: type, *where: Any) -> int:
                query = select(func.count()).select_from(model).where(*where)
                return int((await session.execute(query)).scalar_one())
            return {
                "asns approved": await count(Asn, Asn.status == "approved"),
                "asns pending": await count(Asn, Asn.status == "pending"),
                "asns rejected": await count(Asn, Asn.status == "rejected"),
                "workers": await count(Worker),
                "workers consented": await count(Worker, Worker.consent_at.is_not(None)),
                "consent by link": await count(Worker, Worker.consent_method == "link"),
                "consent on paper": await count(Worker, Worker.consent_method == "paper"),
                "workers active (KPJ recorded)": await count(Worker, Worker.status == "active"),
            }


# -- strategies ----------------------------------------------------------------------------------------------------

SMALL_TEXT = st.one_of(
    st.text(max_size=300),  # any unicode: emoji, RTL, control characters, combining marks...
    st.text(alphabet=st.characters(categories=("Cc", "Cf", "Zs", "Mn", "So")), max_size=40),
    st.sampled_from(["", " ", "\u202eTUWAI", "\u200b", "😀", "\x00", "1.", " 2 ", "Ya", "✅", "محمد", "1377"]),
)
LONG_TEXT = st.builds(lambda ch, extra: ch * (5000 + extra), st.sampled_from(["a", "😀", "1", "\u202e", " ", "/"]),
                      st.integers(0, 3))
# Arguments of forged global actions: any text, digits int() refuses ("²"), ids beyond 64 bits.
FORGED_ARGS = st.one_of(st.integers(-5, 10**6).map(str), st.sampled_from(["١", "１", "0", " 1", "1 ", "", "x", "²",
                                                                          "99999999999999999999"]),
                        st.text(max_size=8))
FORGED_IDS = st.one_of(
    st.sampled_from(FORGED),
    st.builds(lambda prefix, arg: f"!{prefix}:{arg}",
              st.sampled_from(["asn.ok", "asn.no", "kpj", "w.link", "w.paper", "pay", "paid", "later", "rcpt.ok",
                               "rcpt.no", "fix", "rcpt.view"]), FORGED_ARGS),
)
CONTENTS = st.builds(lambda head, body: head + body,
                     st.sampled_from([b"", JPEG[:4], b"\x89PNG\r\n\x1a\n", b"%PDF-1.4\n", b"MZ\x90\x00"]),
                     st.binary(max_size=64))
# Callback data that once stopped the bot ("²".isdigit() is true, int("²") raises), and other forgeries of its shape.
POISON = st.one_of(
    st.sampled_from(["²|x", "١|confirm", "99999999999999999999|confirm", "|", "1|", "||", "x|y|z", "-1|confirm",
                     "0|!asn.ok:1", "\x00|\x00", "²", "1²|edit", " 1|confirm"]),
    st.builds(lambda token, option: f"{token}|{option}", st.text(max_size=6), st.sampled_from(LOCAL_IDS)),
    st.text(max_size=64),
)
CHAOS_STEP = st.one_of(
    st.tuples(st.just("poison"), POISON),
    st.tuples(st.just("text"), SMALL_TEXT),
    st.tuples(st.just("long"), LONG_TEXT),
    st.tuples(st.just("valid"), st.sampled_from(["nik", "nip", "phone", "date", "name", "kpj", "area"]),
              st.integers(0, 12)),
    st.tuples(st.just("command"), st.sampled_from(COMMANDS)),
    st.tuples(st.just("number"), st.integers(1, 12)),
    st.tuples(st.just("press"), st.integers(0, 40)),
    st.tuples(st.just("stale"), st.integers(1, 6), st.integers(0, 40)),
    st.tuples(st.just("forged"), FORGED_IDS),
    st.tuples(st.just("forged"), FORGED_IDS),  # twice: forged callbacks are the likeliest attack
    st.tuples(st.just("local"), st.sampled_from(LOCAL_IDS), st.integers(-2, 1)),
    st.tuples(st.just("file"), st.sampled_from(["photo", "document", "sticker", "voice"]), CONTENTS,
              st.sampled_from(["exact", "none", "huge"])),
    st.tuples(st.just("contact"), st.one_of(st.sampled_from(PHONES), st.text(max_size=20)), st.booleans()),
    st.tuples(st.just("location"), st.floats(), st.floats()),
    st.tuples(st.just("unsupported"), st.text(max_size=20)),
    st.tuples(st.just("twice"),),
    st.tuples(st.just("notice"), st.integers(0, 5)),
    st.tuples(st.just("link"),),
    st.tuples(st.just("smart"), st.integers(0, 99)),
    # Typed options, as on WhatsApp and in the terminal: a label, a word of it, a typo of it, in capitals.
    st.tuples(st.just("typed"), st.integers(0, 40), st.sampled_from(["label", "word", "typo", "upper"]),
              st.integers(0, 99)),
    st.tuples(st.just("typed"), st.integers(0, 40), st.sampled_from(["label", "word", "typo", "upper"]),
              st.integers(0, 99)),
)

# A step of a text field and the kind of valid value the biased walk types there.
FIELD_VALUES = {"nik": "nik", "name": "name", "heir_name": "name", "phone": "phone", "heir_phone": "phone",
                "kpj": "kpj", "start": "date"}


def typed_variant(label: str, mode: str, r: int) -> str:
    """What a person types for an option: its label, one of its words, a typo of it, or it in capitals."""
    words = [w for w in label.split() if any(ch.isalnum() for ch in w)] or [label]
    if mode == "word":
        return words[r % len(words)]
    if mode == "typo" and len(label) > 4:
        at = 1 + r % (len(label) - 2)
        return label[:at] + label[at + 1:]  # one letter left out
    return label.upper() if mode == "upper" else label


# -- the walk --------------------------------------------------------------------------------------------------------

class Walker:
    def __init__(self, harness: Harness, world: World) -> None:
        self.h, self.world = harness, world

    def step(self, person: Person, step: tuple[Any, ...]) -> None:
        kind = step[0]
        self.h.kinds[kind] += 1
        getattr(self, f"do_{kind}")(person, *step[1:])

    def send(self, person: Person, payload: Payload, description: str = "") -> list[Reply]:
        return self.h.send(self.world, person, payload, description=description)

    def say(self, person: Person, text: str) -> list[Reply]:
        return self.send(person, Text(text), f"says {text[:60]!r}" + (f"... ({len(text)} chars)" if len(text) > 60
                                                                      else ""))

    def press_option(self, person: Person, reply: Reply, index: int, what: str = "presses") -> list[Reply]:
        option = reply.options[index % len(reply.options)]
        token = None if option.id.startswith(GLOBAL) else reply.token
        return self.send(person, Choice(option.id, token), f"{what} {option.label!r} ({option.id}, token {token})")

    def press_id(self, person: Person, prefix: str) -> list[Reply]:
        """Press the option whose id starts with `prefix` on the latest reply (the scripted preludes)."""
        latest = person.replies[-1]
        ids = [o.id for o in latest.options]
        index = next((i for i, oid in enumerate(ids) if oid.startswith(prefix)), None)
        if index is None:
            self.h.fail(self.world, f"prelude: no option {prefix!r} in {ids} of {latest.text[:200]!r}")
        return self.press_option(person, latest, index or 0)

    def prelude(self, kind: str) -> None:
        """Where an example starts: fresh people, people who agreed to the notice, an approved ASN, one at the
        summary of an enrolment, or one with a worker enrolled. Scripted and checked like every other step (but
        not counted in `states`), so the walks also start in the deep states."""
        if kind == "fresh":
            return
        self.h.scripted = True
        try:
            self._prelude(kind)
        finally:
            self.h.scripted = False

    def _prelude(self, kind: str) -> None:
        for person in self.world.people:
            self.say(person, "/start")
            self.press_id(person, "agree")
        if kind == "agreed":
            return
        asn = self.world.person("asn")
        self.press_id(asn, "asn_register")
        self.say(asn, self.world.roster_nips[0])
        self.say(asn, "Rahmat Hidayat")
        self.press_id(asn, "opd")
        self.say(asn, PHONES[0])
        self.press_id(asn, "confirm")
        if kind == "asn":
            return
        self.press_id(asn, "enrol")
        self.say(asn, self.world.niks[0])
        self.say(asn, "Syafrizal")
        self.press_id(asn, "yes")
        self.press_id(asn, "occ:")
        self.press_id(asn, "13.77.")
        self.press_id(asn, "13.77.")
        self.press_id(asn, "skip")
        self.press_id(asn, "no")
        if kind == "enrolling":  # left at the summary of the enrolment
            return
        self.press_id(asn, "confirm")

    # chaos steps
    def do_text(self, person: Person, text: str) -> None:
        self.say(person, text)

    def do_long(self, person: Person, text: str) -> None:
        self.say(person, text)

    def do_valid(self, person: Person, kind: str, index: int) -> None:
        self.say(person, self.world.valid(kind, index))

    def do_command(self, person: Person, command: str) -> None:
        self.say(person, command)

    def do_number(self, person: Person, number: int) -> None:
        self.say(person, str(number))

    def do_press(self, person: Person, index: int) -> None:
        prompts = person.prompts()
        if not prompts:
            self.say(person, "/start")
            return
        self.press_option(person, prompts[-1], index)

    def do_stale(self, person: Person, back: int, index: int) -> None:
        prompts = person.prompts()
        if not prompts:
            self.say(person, "/menu")
            return
        self.press_option(person, prompts[-min(back + 1, len(prompts))], index, "presses an old button")

    def do_forged(self, person: Person, option: str) -> None:
        self.send(person, Choice(option, None), f"forges {option!r}")

    def do_local(self, person: Person, option: str, shift: int) -> None:
        prompts = person.prompts()
        token = (prompts[-1].token if prompts else 0) or 0
        self.send(person, Choice(option, token + shift), f"sends button {option!r} with token {token + shift}")

    def do_file(self, person: Person, kind: str, content: bytes, size: str) -> None:
        ref = f"file-{next(self.h.file_refs)}"
        self.h.channel.files[ref] = content
        stated = {"exact": len(content), "none": None, "huge": 10**12}[size]
        self.send(person, File(ref, "x.jpg", "image/jpeg", stated, kind), f"sends a {kind} {content[:12]!r}")

    def do_poison(self, person: Person, data: str) -> None:
        """Callback data as a client could forge it, read by the real Telegram parser (once a crash of polling)."""
        self.send(person, parse_callback(data), f"sends callback data {data!r}")

    def do_contact(self, person: Person, phone: str, own: bool) -> None:
        self.send(person, Contact(phone, own))

    def do_location(self, person: Person, latitude: float, longitude: float) -> None:
        self.send(person, Location(latitude, longitude))

    def do_unsupported(self, person: Person, what: str) -> None:
        self.send(person, Unsupported(what))

    def do_twice(self, person: Person) -> None:
        if person.last_event is None:
            self.say(person, "/start")
        event = person.last_event
        assert event is not None
        self.h.send(self.world, person, event.payload, event_id=event.event_id)

    def do_notice(self, person: Person, index: int) -> None:
        with_buttons = [r for r in self.h.notices(self.world, person) if r.options]
        if not with_buttons:
            self.say(person, "/petugas")
            return
        self.press_option(person, with_buttons[-1 - index % len(with_buttons)], index, "presses in a notification")

    def do_typed(self, person: Person, index: int, mode: str, r: int) -> None:
        """Type an option of the latest prompt instead of pressing it: its label, a word, a typo, in capitals."""
        prompts = person.prompts()
        if not prompts:
            self.say(person, "/start")
            return
        label = prompts[-1].options[index % len(prompts[-1].options)].label
        self.say(person, typed_variant(label, mode, r))
        choose = self.h.app.catalog.text("id", "common.choose_option")
        self.h.typed["refused" if any(reply.text == choose for reply in person.last_replies) else "chosen"] += 1

    def do_link(self, person: Person) -> None:
        links = self.h.consent_links(self.world)
        self.say(person, f"/start {links[-1]}" if links else "/start c_")

    # the biased step: what a person who wants to get somewhere would do
    def do_smart(self, person: Person, r: int) -> None:
        world = self.world
        if person.role == "worker" and person.flow != "worker_consent" and r % 4 != 3:
            fresh = [link for link in self.h.consent_links(world) if link not in person.links_opened]
            if fresh:
                person.links_opened.add(fresh[-1])
                self.say(person, f"/start {fresh[-1]}")
                return
        if person.agreed and (r % 3 == 0 or person.role == "officer" and r % 4 != 3):
            notices = [n for n in self.h.notices(world, person)[person.notices_seen:] if n.options]
            if notices:
                person.notices_seen = len(self.h.channel.inbox[person.address])
                self.press_option(person, notices[-1], 0, "presses in a notification")
                return
        prompts = person.prompts()
        latest = person.replies[-1] if person.replies else None
        step = person.step
        if person.flow == "asn_register" and step == "nip":
            nips = world.roster_nips if r % 4 else world.other_nips  # mostly approved at once by the roster
            self.say(person, nips[r % len(nips)])
            return
        if person.flow == "worker_consent" and step == "contact":  # their own number (the first is the ASN's)
            self.send(person, Contact(PHONES[r % len(PHONES)]))
            return
        if person.flow == "paper_consent" and step == "file":
            kind, content = ("photo", JPEG) if r % 2 else ("document", b"%PDF-1.4\n" + b"0" * 100)
            self.do_file(person, kind, content, "exact")
            return
        if person.flow == "enrol" and step == "nik":
            self.say(person, world.niks[r % len(world.niks)])
            return
        if step in FIELD_VALUES and person.flow not in (None, "menu") and (r % 2 or not latest or not latest.options):
            if step in ("phone", "heir_phone") and r % 5 == 0:
                self.send(person, Contact(PHONES[0]))
            elif step == "start":
                self.say(person, (self.h.app.core.clock().date() - timedelta(days=r)).strftime("%d/%m/%Y"))
            else:
                self.say(person, world.valid(FIELD_VALUES[step], r // 3))
            return
        if step == SUMMARY and latest is not None and any(o.id == "edit" for o in latest.options) and (
                r % 4 == 1 or world.n % 3 == 0 and not person.edited):
            person.edited = True  # once per example in every third one, and at random
            self.press_option(person, latest, [o.id for o in latest.options].index("edit"))
            return
        if step == EDIT and latest is not None and latest.options and r % 2:
            self.press_option(person, latest, r // 2)  # a field to change, or back to the summary
            return
        if latest is None or not latest.options:
            if not prompts or r % 4 == 0:  # nothing to press here: start over
                self.say(person, "/menu" if r % 2 else "/start")
                return
            latest = prompts[-1]  # an older message's buttons
        # Buttons of an earlier message of the same answer first (the officer's lists come before the menu).
        listed = [reply for reply in person.last_replies[:-1] if reply.options and r % 5]
        if listed and latest is person.replies[-1]:
            latest = listed[-1]
        ids = [o.id for o in latest.options]
        forward = [i for i, oid in enumerate(ids) if oid in PROGRESS or oid.startswith(PROGRESS_PREFIXES)]
        if person.role != "officer":  # an ASN does not approve others
            forward = [i for i in forward if not ids[i].startswith("!asn.ok:")]
        if person.role in ("officer", "worker"):  # they have other things to do than registering as an ASN
            forward = [i for i in forward if ids[i] != "asn_register"]
        index = forward[r % len(forward)] if forward and r % 5 else r
        option = latest.options[index % len(latest.options)]
        if r % 3 == 0 and latest is person.replies[-1] and not option.id.startswith(GLOBAL):
            self.say(person, typed_variant(option.label, "label" if r % 2 else "upper", r))  # typed, not pressed
            return
        self.press_option(person, latest, index)


def walk(harness: Harness, data: st.DataObject, *, steps: int, smart: int, roles: list[str],
         min_steps: int = 1, preludes: tuple[str, ...] = ("fresh",)) -> World:
    """A random walk of up to `steps` events; `smart` in 10 steps are biased towards moving forward.

    A role "lead" stands for whoever can move the example forward now (see Harness.lead).
    """
    world = harness.new_world()
    walker = Walker(harness, world)
    try:
        walker.prelude(data.draw(st.sampled_from(preludes), label="prelude"))
        for _ in range(data.draw(st.integers(min_steps, steps), label="steps")):
            role = data.draw(st.sampled_from(roles), label="who")
            person = world.person(harness.run(harness.lead(world)) if role == "lead" else role)
            biased = data.draw(st.integers(0, 9), label="bias") < smart
            step = ("smart", data.draw(st.integers(0, 99), label="r")) if biased else data.draw(CHAOS_STEP, "step")
            walker.step(person, step)
        # Every walk ends with someone's last event delivered again (a client's retry): it must be processed once.
        again = data.draw(st.sampled_from(roles), label="again")
        walker.step(world.person(harness.run(harness.lead(world)) if again == "lead" else again), ("twice",))
    finally:
        harness.end_world(world)
    return world


SETTINGS = dict(deadline=None, database=None, print_blob=False,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.large_base_example])


@pytest.fixture
def harness(settings: Settings, clock: Clock):
    harness = Harness(settings, clock)
    yield harness
    harness.close()


def report(harness: Harness, title: str) -> dict[str, int]:
    figures = harness.run(harness.counts())
    print(f"\n{title}: {figures}")
    print("  states reached:", dict(sorted(harness.states.items())))
    print("  step kinds:", dict(sorted(harness.kinds.items())))
    return figures


# -- the tests -------------------------------------------------------------------------------------------------------

def test_random_walks_never_break(harness: Harness) -> None:
    """Mostly chaos (anything a person or a client can send), some purposeful steps so flows get entered."""
    @hsettings(max_examples=35, **SETTINGS)
    @given(st.data())
    def run(data: st.DataObject) -> None:
        walk(harness, data, steps=35, smart=3, roles=["asn", "asn", "officer", "worker", "other"],
             preludes=("fresh", "agreed", "asn", "enrolling", "worker"))

    run()
    report(harness, "chaos walk")
    assert harness.app.core.counters["events"] > 500
    assert harness.app.core.counters["duplicates"] > 0
    assert harness.typed["chosen"] > 0, dict(harness.typed)  # typed labels, words and typos chose options


def test_biased_walks_reach_the_deep_states(harness: Harness) -> None:
    """Mostly pressing the buttons of the latest prompt and typing valid values: enrolment, consent, KPJ happen."""
    # Derandomized: the same walks every run, so "the deep states were reached" never depends on luck.
    @hsettings(max_examples=30, derandomize=True, **SETTINGS)
    @given(st.data())
    def run(data: st.DataObject) -> None:
        walk(harness, data, steps=45, min_steps=25, smart=9,
             roles=["lead", "lead", "lead", "lead", "asn", "officer", "worker"],
             preludes=("fresh", "asn", "enrolling", "worker"))

    run()
    figures = report(harness, "biased walk")
    reached = {state for state, seen in harness.states.items() if seen}
    assert figures["asns approved"] > 0 and figures["workers"] > 0, figures
    assert figures["workers consented"] > 0 and figures["workers active (KPJ recorded)"] > 0, figures
    for state in ("asn_register/_summary", "enrol/_summary", "enrol/_edit", "enrol/desa", "worker_consent/agree",
                  "record_kpj/_summary", "officer/menu", "my_workers/list", "paper_consent/file"):
        assert state in reached, f"{state} never reached: {sorted(reached)}"
    print("  typed options:", dict(harness.typed))


def test_cancel_after_any_walk_leads_back_to_the_main_menu(harness: Harness) -> None:
    """Wherever a walk leaves someone, /batal (and the privacy notice if never agreed) then /menu shows the menu."""
    @hsettings(max_examples=20, **SETTINGS)
    @given(st.data())
    def run(data: st.DataObject) -> None:
        world = walk(harness, data, steps=25, smart=5, roles=["asn", "officer", "worker", "other"],
                     preludes=("fresh", "agreed", "asn", "enrolling", "worker"))
        walker = Walker(harness, world)
        for person in world.people:
            replies = walker.say(person, "/batal")
            ids = [o.id for o in replies[-1].options]
            if "agree" in ids:  # never agreed to the privacy notice: that comes first, whatever the command
                replies = walker.press_option(person, replies[-1], ids.index("agree"))
            chat = harness.run(harness.chat_row(person.address))
            assert chat is not None and (chat.flow, chat.step) == (None, None), (chat and chat.flow, world.log)
            assert "_resume" not in chat.answers, world.log
            menu = walker.say(person, "/menu")[-1]
            title = harness.app.catalog.text(chat.language, "menu.title", program=harness.app.settings.program.name)
            ids = [o.id for o in menu.options]
            assert menu.text.startswith(title), (menu.text, world.log)
            assert "help" in ids and "language" in ids and "resume" not in ids, (ids, world.log)

    run()
    report(harness, "cancel walk")


# Regression: global actions once checked their argument with str.isdigit(), which accepts digits int() refuses
# ("²") and ids beyond 64 bits (OverflowError on SQLite); a forged callback then got the generic error reply.
@pytest.mark.parametrize("role, option", [("officer", "!asn.ok:²"), ("officer", "!asn.no:99999999999999999999"),
                                          ("officer", "!kpj:²"), ("officer", "!kpj:99999999999999999999"),
                                          ("asn", "!w.paper:²"), ("asn", "!w.link:99999999999999999999"),
                                          ("asn", "!pay:²"), ("asn", "!paid:99999999999999999999"),
                                          ("asn", "!later:²"), ("officer", "!rcpt.ok:²"),
                                          ("officer", "!rcpt.no:99999999999999999999")])
def test_forged_action_arguments_are_refused_politely(harness: Harness, role: str, option: str) -> None:
    world = harness.new_world()
    walker = Walker(harness, world)
    walker.prelude("asn")
    walker.send(world.person(role), Choice(option, None), f"forges {option!r}")
