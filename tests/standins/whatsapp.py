"""A local stand-in of the WhatsApp Cloud API (Graph API) on 127.0.0.1, for end-to-end tests and benchmarks.

What it does, in the shapes of Meta's documentation:
- `POST /{version}/{phone_number_id}/messages`: text, interactive (button, list) and template messages, checked
  against WhatsApp's limits (≤ 3 reply buttons with unique titles ≤ 20 characters, ≤ 10 list rows with titles ≤ 24,
  bodies ≤ 1,024 characters in interactive messages, ≤ 4,096 in texts, templates by name and language with the
  right number of parameters); a free-form message to someone outside the 24-hour window is refused (131047).
- Throughput (130429 above `throughput` messages/s), pair rate (131056 above `pair_burst` messages to one person in
  6 s) and the daily limit of people reached outside the window (131048 past `tier`), plus injected errors.
- Statuses (sent, delivered, read; failed with 131026 for numbers not on WhatsApp) posted back to the bot.
- Media: `GET /{version}/{media_id}` gives a URL, the URL gives the bytes, both with the access token; the bytes come
  in small writes, as over a real network, and a test can spoil a file's downloads (tests/standins/media_body.py).
  Media the bot uploads and sends: an image over 5 MB is refused (131053), as WhatsApp takes such a file only as a
  document.
- People: `send_text`, `press`, `send_image`, ... build webhook payloads and POST them to the bot, signed with the
  app secret (X-Hub-Signature-256), retrying like Meta when the bot does not answer 200.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import random
import socket
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web

from tests.standins.media_body import serve_body

TEXT_MAX, BODY_MAX, BUTTON_TITLE_MAX, ROW_TITLE_MAX, ROW_DESC_MAX = 4096, 1024, 20, 24, 72
PERMANENT_NOT_ON_WHATSAPP = 131026
IMAGE_BYTES_MAX = 5 * 1024 * 1024


class GraphError(Exception):
    def __init__(self, code: int, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WhatsAppStandin:
    def __init__(self, *, token: str = "standin-access-token", app_secret: str = "standin-app-secret",
                 phone_number_id: str = "106540352242922", api_version: str = "v23.0", seed: int = 0,
                 templates: dict[str, dict[str, Any]] | None = None) -> None:
        self.token, self.app_secret = token, app_secret
        self.phone_number_id, self.api_version = phone_number_id, api_version
        # Approved templates: name -> {"language": {code: {"body": str, "buttons": [labels]}}}
        self.templates: dict[str, dict[str, Any]] = templates or {}
        self.api_base = ""
        self.webhook_url = ""
        self.offset = 0.0  # tests move the stand-in's clock (the 24-hour window) instead of sleeping
        # limits and faults
        self.throughput = 0.0  # messages/s per number; 0 = not enforced
        self.pair_burst = 45  # messages to one person in 6 s
        self.tier = 0  # people reached outside the window in 24 h; 0 = unlimited
        self.fail_next: deque[int] = deque()  # error codes for the next sends
        self.fail_share_500 = 0.0
        self.not_on_whatsapp: set[str] = set()
        self.post_statuses = True
        self.read_receipts = False
        self.lookup_gives_size = True  # the media lookup says file_size (a test may leave it out)
        self.lookup_gives_hash = True  # the media lookup says sha256 (a test may leave it out)
        self.download_gives_length = True  # the media download says Content-Length (else it is chunked)
        # records
        self.sent: list[dict[str, Any]] = []
        self.calls: Counter[str] = Counter()
        self.errors_returned: Counter[int] = Counter()
        self.statuses_posted: list[dict[str, Any]] = []
        self.uploads: list[dict[str, Any]] = []
        self.served: Counter[str] = Counter()  # bytes of each media's body written to the bot
        self.deliveries: list[tuple[int, str]] = []  # (HTTP status, wamid or "status") per webhook POST attempt
        self.delivery_failed: list[dict[str, Any]] = []
        self.pushed_at: dict[str, float] = {}
        self._rng = random.Random(seed)
        self._seq = 0
        self._last_inbound: dict[str, float] = {}
        self._reached: dict[str, float] = {}
        self._send_log: deque[float] = deque()
        self._pair_log: dict[str, deque[float]] = defaultdict(deque)
        self._media: dict[str, dict[str, Any]] = {}
        self._to_user: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._by_wamid: dict[str, dict[str, Any]] = {}
        self._lanes: dict[str, deque[bytes]] = {}  # per person (and per person's statuses): delivered in order
        self._workers: set[asyncio.Task[None]] = set()
        self._waiters: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None
        self._busy = 0

    # -- life cycle ---------------------------------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/{version}/{number}/messages", self._h_messages)
        app.router.add_post("/{version}/{number}/media", self._h_upload)
        app.router.add_get("/{version}/{media_id}", self._h_media)
        app.router.add_get("/download/{media_id}", self._h_download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, sock).start()
        self.api_base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self._client = ClientSession(timeout=ClientTimeout(total=15))

    async def stop(self) -> None:
        for worker in list(self._workers):
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> WhatsAppStandin:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, *, hours: float = 0, seconds: float = 0) -> None:
        self.offset += hours * 3600 + seconds

    # -- people writing to the bot (webhook payloads as Meta sends them) -----------------------------------------------
    def _wamid(self) -> str:
        self._seq += 1
        return "wamid.HBgM" + hashlib.sha1(f"{self._seq}:{self._rng.random()}".encode()).hexdigest()[:32].upper()

    def inbound(self, wa_id: str, message: dict[str, Any], *, name: str = "Pengguna", user_id: str | None = None,
                wamid: str | None = None) -> str:
        """Queue one user message (any type) for delivery to the bot; returns its wamid."""
        wamid = wamid or self._wamid()
        contact: dict[str, Any] = {"profile": {"name": name}, "wa_id": wa_id}
        full = {"from": wa_id, "id": wamid, "timestamp": str(int(self.now())), **message}
        if user_id is not None:
            contact["user_id"] = user_id
            full["from_user_id"] = user_id
        self._last_inbound[wa_id] = self.now()
        if user_id is not None:
            self._last_inbound[user_id] = self.now()
        self.pushed_at[wamid] = time.monotonic()
        self.enqueue(self.envelope("messages", contacts=[contact], messages=[full]), wa_id)
        return wamid

    def envelope(self, kind: str, **value: Any) -> dict[str, Any]:
        return {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
            "field": "messages", "value": {"messaging_product": "whatsapp", "metadata": {
                "display_phone_number": "15550783881", "phone_number_id": self.phone_number_id}, **value}}]}]}

    def enqueue(self, payload: dict[str, Any], key: str, *, status: bool = False) -> None:
        """One person's messages reach the bot in order, different people's at once; statuses travel on lanes of
        their own (as at Meta, they do not wait behind messages)."""
        lane = f"{'s' if status else 'm'}:{key}"
        self._busy += 1
        if lane in self._lanes:
            self._lanes[lane].append(json.dumps(payload).encode())
            return
        self._lanes[lane] = deque([json.dumps(payload).encode()])
        worker = asyncio.get_running_loop().create_task(self._deliver_lane(lane, key))
        self._workers.add(worker)
        worker.add_done_callback(self._workers.discard)

    def send_text(self, wa_id: str, text: str, **kw: Any) -> str:
        return self.inbound(wa_id, {"type": "text", "text": {"body": text}}, **kw)

    def press(self, to: str, label: str, *, phone: str | None = None, **kw: Any) -> str:
        """Tap a reply button, a list row or a template's quick-reply button on the latest message to `to` (a
        phone number or a user id) that has it."""
        for record in reversed(self._to_user[to]):
            for choice in record["choices"]:
                if label in choice["title"] or label in (choice.get("description") or ""):
                    return self.inbound(phone or to, self.choice_message(record, choice), **kw)
        raise AssertionError(f"no button {label!r} for {to}: {self.transcript(to)[-3:]}")

    @staticmethod
    def choice_message(record: dict[str, Any], choice: dict[str, Any]) -> dict[str, Any]:
        context = {"from": "15550783881", "id": record["wamid"]}
        if record["kind"] == "template":
            return {"type": "button", "context": context, "button": {"payload": choice["id"], "text": choice["title"]}}
        kind = "button_reply" if record["kind"] == "button" else "list_reply"
        reply = {"id": choice["id"], "title": choice["title"]}
        if kind == "list_reply" and choice.get("description"):
            reply["description"] = choice["description"]
        return {"type": "interactive", "context": context, "interactive": {"type": kind, kind: reply}}

    def add_media(self, content: bytes, mime: str, *, fault: str | None = None) -> str:
        """A file people send; `fault` ("cut", "short", "altered": tests/standins/media_body.py) spoils its
        every download."""
        media_id = str(900000000 + len(self._media) + 1)
        self._media[media_id] = {"content": content, "mime": mime, "expired": False, "fault": fault}
        return media_id

    @staticmethod
    def webhook_hash(content: bytes) -> str:
        """The "sha256" of a media message's webhook: base64 of the digest, as Meta sends it (the media lookup
        gives it in hex)."""
        return base64.b64encode(hashlib.sha256(content).digest()).decode()

    def expire_media(self, media_id: str) -> None:
        self._media[media_id]["expired"] = True

    def send_image(self, wa_id: str, content: bytes, caption: str | None = None, *, fault: str | None = None,
                   **kw: Any) -> str:
        media_id = self.add_media(content, "image/jpeg", fault=fault)
        image = {"id": media_id, "mime_type": "image/jpeg", "sha256": self.webhook_hash(content)}
        if caption:
            image["caption"] = caption
        return self.inbound(wa_id, {"type": "image", "image": image}, **kw)

    def send_document(self, wa_id: str, content: bytes, filename: str, mime: str = "application/pdf", *,
                      fault: str | None = None, **kw: Any) -> str:
        media_id = self.add_media(content, mime, fault=fault)
        return self.inbound(wa_id, {"type": "document", "document": {
            "id": media_id, "filename": filename, "mime_type": mime, "sha256": self.webhook_hash(content)}}, **kw)

    def send_sticker(self, wa_id: str, **kw: Any) -> str:
        media_id = self.add_media(b"RIFF0000WEBP", "image/webp")
        return self.inbound(wa_id, {"type": "sticker", "sticker": {"id": media_id, "mime_type": "image/webp",
                                                                    "animated": False}}, **kw)

    def send_contact(self, wa_id: str, phone: str, **kw: Any) -> str:
        return self.inbound(wa_id, {"type": "contacts", "contacts": [{
            "name": {"formatted_name": "Kontak", "first_name": "Kontak"},
            "phones": [{"phone": phone, "type": "CELL", "wa_id": phone.lstrip("+")}]}]}, **kw)

    def send_location(self, wa_id: str, lat: float, lon: float, **kw: Any) -> str:
        return self.inbound(wa_id, {"type": "location", "location": {"latitude": lat, "longitude": lon}}, **kw)

    def send_reaction(self, wa_id: str, to_wamid: str, emoji: str = "\U0001f44d", **kw: Any) -> str:
        return self.inbound(wa_id, {"type": "reaction", "reaction": {"message_id": to_wamid, "emoji": emoji}}, **kw)

    def send_unsupported(self, wa_id: str, **kw: Any) -> str:
        return self.inbound(wa_id, {"type": "unsupported", "errors": [{
            "code": 131051, "title": "Message type unknown", "message": "Message type unknown",
            "error_data": {"details": "Message type is currently not supported."}}]}, **kw)

    async def post(self, payload: dict[str, Any] | bytes, *, signature: str | None = None) -> int:
        """POST one webhook call at once (no retries): the bot's HTTP status. `signature=None` signs correctly."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        headers["X-Hub-Signature-256"] = sign(body, self.app_secret) if signature is None else signature
        if signature == "":
            del headers["X-Hub-Signature-256"]
        assert self._client is not None
        async with self._client.post(self.webhook_url, data=body, headers=headers) as response:
            await response.read()
            return response.status

    async def _deliver_lane(self, lane: str, key: str) -> None:
        """Deliver a lane's calls one after the other, each retried like Meta does until the bot answers 200."""
        assert self._client is not None
        queue = self._lanes[lane]
        try:
            while queue:
                body = queue.popleft()
                try:
                    await self._deliver(body, key)
                finally:
                    self._busy -= 1
                    self._notify()
        finally:
            del self._lanes[lane]

    async def _deliver(self, body: bytes, key: str) -> None:
        assert self._client is not None
        for attempt in range(6):
            try:
                async with self._client.post(self.webhook_url, data=body, headers={
                        "Content-Type": "application/json",
                        "X-Hub-Signature-256": sign(body, self.app_secret)}) as response:
                    await response.read()
                    self.deliveries.append((response.status, key))
                    if response.status == 200:
                        return
            except (ClientError, asyncio.TimeoutError, OSError):
                self.deliveries.append((0, key))
            await asyncio.sleep(0.1 * 2 ** attempt)
        self.delivery_failed.append(json.loads(body))

    async def idle(self, timeout: float = 15.0) -> None:
        await self.wait_until(lambda: self._busy == 0, timeout)

    # -- the bot's side: the Graph API ---------------------------------------------------------------------------------
    def _check_auth(self, request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            raise GraphError(190, "Invalid OAuth access token.", 401)

    @staticmethod
    def _error(error: GraphError) -> web.Response:
        return web.json_response({"error": {"message": error.message, "type": "OAuthException", "code": error.code,
                                             "error_data": {"messaging_product": "whatsapp", "details": error.message},
                                             "fbtrace_id": "AbCdEf"}}, status=error.status)

    async def _h_messages(self, request: web.Request) -> web.Response:
        self.calls["messages"] += 1
        arrived = time.monotonic()  # limits count arrivals, before the body is read
        try:
            self._check_auth(request)
            if request.match_info["number"] != self.phone_number_id:
                raise GraphError(100, "Unsupported post request: unknown phone number id")
            body = await request.json()
            record = self._accept(body, arrived)
        except GraphError as error:
            self.errors_returned[error.code] += 1
            return self._error(error)
        finally:
            self._notify()
        return web.json_response({"messaging_product": "whatsapp", "contacts": [
            {"input": record["to"], "wa_id": record["to"]}], "messages": [{"id": record["wamid"]}]})

    def _accept(self, body: dict[str, Any], arrived: float) -> dict[str, Any]:
        if body.get("messaging_product") != "whatsapp":
            raise GraphError(100, "(#100) The parameter messaging_product is required.")
        to = str(body.get("to") or body.get("recipient") or "")
        if not to:
            raise GraphError(100, "(#100) The parameter to is required.")
        self._faults()
        kind = body.get("type")
        record = self._render(kind, body)
        now = self.now()
        inside = now - self._last_inbound.get(to, -1e12) < 24 * 3600
        if kind != "template" and not inside:
            raise GraphError(131047, "Re-engagement message: more than 24 hours since the customer last replied")
        self._limits(to, inside, now, arrived)
        record.update(to=to, wamid=self._wamid(), at=now, sent_at=time.monotonic(), raw=body, window=inside)
        self.sent.append(record)
        self._to_user[to].append(record)
        self._by_wamid[record["wamid"]] = record
        if self.post_statuses:
            self._statuses(record)
        return record

    def _faults(self) -> None:
        if self.fail_next:
            code = self.fail_next.popleft()
            raise GraphError(code, f"injected error {code}", 500 if code == 1 else 400)
        if self.fail_share_500 and self._rng.random() < self.fail_share_500:
            raise GraphError(1, "An unknown error occurred", 500)

    def _limits(self, to: str, inside: bool, now: float, moment: float) -> None:
        if self.throughput:
            while self._send_log and self._send_log[0] <= moment - 1.0:
                self._send_log.popleft()
            if len(self._send_log) >= self.throughput:
                raise GraphError(130429, "Rate limit hit: cloud API message throughput has been reached")
        pair = self._pair_log[to]
        while pair and pair[0] <= moment - 6.0:
            pair.popleft()
        if len(pair) >= self.pair_burst:
            raise GraphError(131056, "(Business Account, Consumer Account) pair rate limit hit")
        if not inside and self.tier:
            fresh = {who for who, at in self._reached.items() if now - at < 24 * 3600}
            if to not in fresh and len(fresh) >= self.tier:
                raise GraphError(131048, "Spam rate limit hit: the daily limit of people reached has been reached")
            if to not in fresh:
                self._reached[to] = now
        self._send_log.append(moment)
        pair.append(moment)

    def _render(self, kind: Any, body: dict[str, Any]) -> dict[str, Any]:
        if kind == "text":
            text = (body.get("text") or {}).get("body") or ""
            if not text or len(text) > TEXT_MAX:
                raise GraphError(100, "(#100) Param text['body'] must be 1-4096 characters long")
            return {"kind": "text", "text": text, "choices": []}
        if kind == "interactive":
            return self._interactive(body.get("interactive") or {})
        if kind == "template":
            return self._template(body.get("template") or {})
        if kind in ("image", "document"):
            media = body.get(kind) or {}
            if str(media.get("id")) not in self._media:
                raise GraphError(131053, "Media upload error: unknown media id")
            if kind == "image" and len(self._media[str(media["id"])]["content"]) > IMAGE_BYTES_MAX:
                raise GraphError(131053, "Media upload error: an image must be at most 5 MB")
            return {"kind": kind, "text": media.get("caption") or "", "choices": [], "media": media["id"]}
        raise GraphError(100, f"(#100) Unsupported message type {kind!r}")

    @staticmethod
    def _interactive(interactive: dict[str, Any]) -> dict[str, Any]:
        text = (interactive.get("body") or {}).get("text") or ""
        if not text or len(text) > BODY_MAX:
            raise GraphError(131009, "Parameter value is not valid: body text must be 1-1024 characters")
        action = interactive.get("action") or {}
        if interactive.get("type") == "button":
            buttons = [b.get("reply") or {} for b in action.get("buttons") or []]
            titles = [b.get("title") or "" for b in buttons]
            if not 1 <= len(buttons) <= 3 or any(not 1 <= len(t) <= BUTTON_TITLE_MAX for t in titles) \
                    or len(set(titles)) != len(titles) or len({b.get("id") for b in buttons}) != len(buttons) \
                    or any(len(b.get("id") or "") > 256 for b in buttons):
                raise GraphError(131009, f"Parameter value is not valid: buttons {titles}")
            return {"kind": "button", "text": text, "choices": [{"id": b["id"], "title": b["title"]} for b in buttons]}
        if interactive.get("type") == "list":
            rows = [row for section in action.get("sections") or [] for row in section.get("rows") or []]
            if not 1 <= len(rows) <= 10 or not 1 <= len(action.get("button") or "") <= BUTTON_TITLE_MAX \
                    or any(not 1 <= len(r.get("title") or "") <= ROW_TITLE_MAX for r in rows) \
                    or any(len(r.get("description") or "") > ROW_DESC_MAX for r in rows) \
                    or len({r.get("id") for r in rows}) != len(rows) or any(len(r.get("id") or "") > 200 for r in rows):
                raise GraphError(131009, f"Parameter value is not valid: list rows {[r.get('title') for r in rows]}")
            return {"kind": "list", "text": text, "button": action["button"],
                    "choices": [{"id": r["id"], "title": r["title"], "description": r.get("description")}
                                for r in rows]}
        raise GraphError(131009, "Parameter value is not valid: interactive type")

    def _template(self, template: dict[str, Any]) -> dict[str, Any]:
        known = self.templates.get(template.get("name") or "")
        code = (template.get("language") or {}).get("code")
        if known is None or code not in known["language"]:
            raise GraphError(132001, f"Template name does not exist in the translation: {template.get('name')}/{code}")
        spec = known["language"][code]
        params: list[str] = []
        payloads: dict[int, str] = {}
        for component in template.get("components") or []:
            if component.get("type") == "body":
                params = [str(p.get("text") or "") for p in component.get("parameters") or []]
            elif component.get("type") == "button" and component.get("sub_type") == "quick_reply":
                payloads[int(component.get("index", 0))] = component["parameters"][0]["payload"]
        wanted = spec["body"].count("{{")
        if len(params) != wanted:
            raise GraphError(132000, f"Number of parameters does not match the expected number of params ({wanted})")
        if any("\n" in p or "\t" in p or "     " in p or not p for p in params):
            raise GraphError(132018, "There was an issue with the parameters in your template (newlines, tabs, spaces)")
        text = spec["body"]
        for index, value in enumerate(params, 1):
            text = text.replace("{{%d}}" % index, value)
        if len(text) > BODY_MAX:
            raise GraphError(132005, "Translated text too long")
        choices = [{"id": payloads.get(i, label), "title": label} for i, label in enumerate(spec.get("buttons", []))]
        return {"kind": "template", "template": template["name"], "language": code, "text": text, "choices": choices}

    def _statuses(self, record: dict[str, Any]) -> None:
        wamid, to = record["wamid"], record["to"]
        if to in self.not_on_whatsapp:
            self.post_status(wamid, to, "failed", errors=[{
                "code": PERMANENT_NOT_ON_WHATSAPP, "title": "Message undeliverable",
                "message": "Message undeliverable", "error_data": {"details": "Message failed to send."}}])
            return
        for status in ("sent", "delivered", *(("read",) if self.read_receipts else ())):
            self.post_status(wamid, to, status)

    def post_status(self, wamid: str, to: str, status: str, errors: list[dict[str, Any]] | None = None) -> None:
        item: dict[str, Any] = {"id": wamid, "status": status, "timestamp": str(int(self.now())), "recipient_id": to}
        if status != "failed":
            item["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "utility", "type": "regular"}
        if errors:
            item["errors"] = errors
        self.statuses_posted.append(item)
        self.enqueue(self.envelope("statuses", statuses=[item]), to, status=True)

    async def _h_upload(self, request: web.Request) -> web.Response:
        """Media the bot uploads to send: multipart with messaging_product, type and file."""
        try:
            self._check_auth(request)
            form = await request.post()
            upload = form.get("file")
            if form.get("messaging_product") != "whatsapp" or upload is None or not hasattr(upload, "file"):
                raise GraphError(100, "(#100) file, type and messaging_product are required")
        except GraphError as error:
            return self._error(error)
        content = upload.file.read()
        self.uploads.append({"content": content, "mime": str(form.get("type")), "filename": upload.filename})
        return web.json_response({"id": self.add_media(content, str(form.get("type")))})

    async def _h_media(self, request: web.Request) -> web.Response:
        try:
            self._check_auth(request)
            media = self._media.get(request.match_info["media_id"])
            if media is None or media["expired"]:
                raise GraphError(100, "Unsupported get request. Object does not exist or has expired", 404)
        except GraphError as error:
            self.errors_returned[error.code] += 1
            return self._error(error)
        media_id = request.match_info["media_id"]
        found = {"messaging_product": "whatsapp", "url": f"{self.api_base}/download/{media_id}",
                 "mime_type": media["mime"], "id": media_id}
        if self.lookup_gives_hash:
            found["sha256"] = hashlib.sha256(media["content"]).hexdigest()
        if self.lookup_gives_size:
            found["file_size"] = str(len(media["content"]))  # a string, as in Meta's documentation
        return web.json_response(found)

    async def _h_download(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.Response(status=401)
        media = self._media.get(request.match_info["media_id"])
        if media is None or media["expired"]:
            return web.Response(status=404)
        self.calls["download"] += 1
        served = [0]
        try:
            return await serve_body(request, media["content"], media["mime"], fault=media["fault"],
                                    with_length=self.download_gives_length, served=served)
        finally:
            self.served[request.match_info["media_id"]] += served[0]

    # -- what the bot said -------------------------------------------------------------------------------------------
    def messages_to(self, wa_id: str) -> list[dict[str, Any]]:
        return self._to_user[wa_id]

    def transcript(self, wa_id: str) -> list[str]:
        return [f"[{r['kind']}] {r['text']} {[c['title'] for c in r['choices']]}" for r in self._to_user[wa_id]]

    def record(self, wamid: str) -> dict[str, Any] | None:
        return self._by_wamid.get(wamid)

    def _notify(self) -> None:
        for entry in list(self._waiters):
            predicate, future = entry
            if future.done():
                continue
            try:
                value = predicate()
            except Exception as error:  # a predicate that fails is the test's failure, not the stand-in's
                future.set_exception(error)
                continue
            if value:
                future.set_result(value)

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 15.0) -> Any:
        value = predicate()
        if value:
            return value
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        entry = (predicate, future)
        self._waiters.append(entry)
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            raise AssertionError(f"condition not met within {timeout}s; errors {dict(self.errors_returned)}") from None
        finally:
            self._waiters.remove(entry)
