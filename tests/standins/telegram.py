"""A local stand-in of the Telegram Bot API, served over real HTTP on 127.0.0.1.

A real aiogram ``Bot`` talks to it through
``AiohttpSession(api=TelegramAPIServer.from_base(standin.api_base))``. Tests act as people through the
``push_*`` methods and read what the bot said through ``sent``, ``messages_to`` and ``wait_for_messages``.

Behaviour follows the real Bot API where it matters to a bot:

* ``POST|GET {api_base}/bot{token}/{method}`` with multipart/form-data, urlencoded, JSON or query
  parameters; answers ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code", "description"}``.
  Method names are case-insensitive, as on the real server.
* getUpdates is a real long poll; updates with ``update_id < offset`` are forgotten; getUpdates while a
  webhook is set answers 409, as on the real server.
* ``parse_mode=HTML`` is checked like Telegram does (unsupported or unbalanced tags answer
  400 "can't parse entities"), and the stored ``text`` is what the person sees (tags stripped, entities
  unescaped); the text as the bot sent it is in ``raw_text``. Other parse modes are stored unchecked.
* Limits the real API enforces and that bots trip over: text over 4096 characters, caption over 1024,
  empty text, callback_data over 64 bytes, "message is not modified", answering a callback query twice,
  invalid bot command names, and photos Telegram will not take as photos (sendPhoto of an image over 10 MB:
  400 PHOTO_SAVE_FILE_INVALID; width + height over 10000 or sides in a ratio over 20, read from the image's
  header: 400 PHOTO_INVALID_DIMENSIONS). Uploads whose size cannot be read are taken, as tests send tiny fakes.
* Only inline keyboards are echoed back in the returned Message (as Telegram does); reply keyboards are
  kept in the records (``reply_markup``) and in ``current_reply_keyboard(chat_id)``.

Everything runs on the event loop without locks: handlers are O(1) (long polls wait on an
``asyncio.Event``; test waits resolve futures), so the stand-in can carry benchmarks with hundreds of
simulated people.
"""

from __future__ import annotations

import asyncio
import io
import json
import math
import random
import re
import socket
import time
from collections import Counter, deque
from collections.abc import Callable
from html import unescape
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, MultipartReader, web
from PIL import Image

from tests.standins.media_body import serve_body

__all__ = ["TelegramStandin", "NEW_MESSAGE_METHODS", "SEND_TYPE_METHODS"]

#: Methods that create a new message in a chat (these are what ``messages_to`` lists).
NEW_MESSAGE_METHODS = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "sendSticker",
        "sendVoice",
        "sendAudio",
        "sendVideo",
        "sendAnimation",
        "sendLocation",
    }
)
#: Methods subject to fault injection (``fail_share_*``) and to ``enforce_rate_limits``.
SEND_TYPE_METHODS = NEW_MESSAGE_METHODS | {"editMessageText", "editMessageReplyMarkup", "editMessageCaption"}

_MEDIA_KINDS = {
    "sendDocument": "document",
    "sendPhoto": "photo",
    "sendSticker": "sticker",
    "sendVoice": "voice",
    "sendAudio": "audio",
    "sendVideo": "video",
    "sendAnimation": "animation",
}
_FILE_PREFIX = {
    "photo": "AgACAgUAAxkBAAI",
    "document": "BQACAgUAAxkBAAI",
    "sticker": "CAACAgUAAxkBAAI",
    "voice": "AwACAgUAAxkBAAI",
    "audio": "CQACAgUAAxkBAAI",
    "video": "BAACAgUAAxkBAAI",
    "animation": "CgACAgUAAxkBAAI",
}
_FILE_FOLDER = {
    "photo": ("photos", ".jpg"),
    "document": ("documents", ""),
    "sticker": ("stickers", ".webp"),
    "voice": ("voice", ".oga"),
    "audio": ("music", ".mp3"),
    "video": ("videos", ".mp4"),
    "animation": ("animations", ".mp4"),
}
_DEFAULT_MIME = {
    "photo": "image/jpeg",
    "document": "application/octet-stream",
    "sticker": "image/webp",
    "voice": "audio/ogg",
    "audio": "audio/mpeg",
    "video": "video/mp4",
    "animation": "video/mp4",
}

# A tiny but well-formed JPEG header/trailer: enough for anything that sniffs magic bytes.
DEFAULT_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 48 + b"\xff\xd9"
DEFAULT_OGG = b"OggS\x00\x02" + b"\x00" * 58

_HTML_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre",
     "blockquote", "tg-emoji"}
)
_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s[^<>]*)?)>")
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_MAX_TEXT = 4096
_MAX_CAPTION = 1024
_MAX_GETFILE = 20 * 1024 * 1024
_MAX_PHOTO = 10 * 1024 * 1024


class _ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


class _Queued:
    """One update waiting for getUpdates. ``forced`` ones (redelivered / duplicate ids) survive the
    offset until they have been returned once."""

    __slots__ = ("update_id", "update", "forced")

    def __init__(self, update: dict[str, Any], forced: bool) -> None:
        self.update_id: int = update["update_id"]
        self.update = update
        self.forced = forced


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _as_int(value: Any, default: int | None = None) -> int | None:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        try:
            return int(float(str(value)))
        except ValueError:
            raise _ApiError(400, f"Bad Request: invalid integer value {value!r}") from None


def _as_float(value: Any, default: float) -> float:
    if value is None or value == "":
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _ApiError(400, f"Bad Request: invalid number {value!r}") from None


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _photo_refusal(content: bytes) -> str | None:
    """What sendPhoto answers to an upload it will not take as a photo; None when it takes it."""
    if len(content) > _MAX_PHOTO:
        return "Bad Request: PHOTO_SAVE_FILE_INVALID"
    try:
        with Image.open(io.BytesIO(content)) as image:
            width, height = image.size
    except Exception:  # not a readable image header (the tests' tiny fake JPEGs): taken
        return None
    if width + height > 10_000 or max(width, height) > 20 * min(width, height):
        return "Bad Request: PHOTO_INVALID_DIMENSIONS"
    return None


def _json_param(params: dict[str, Any], name: str) -> Any:
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, (dict, list)):
        return value
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        raise _ApiError(400, f"Bad Request: can't parse {name} JSON object") from None


def _render_html(text: str) -> str:
    """Validate Telegram-HTML like the real server and return the plain text the person sees."""
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    while True:
        j = text.find("<", pos)
        if j < 0:
            out.append(text[pos:])
            break
        out.append(text[pos:j])
        offset = len(text[:j].encode())
        m = _TAG_RE.match(text, j)
        if m is None:
            raise _ApiError(
                400, f"Bad Request: can't parse entities: Can't find end of the tag starting at byte offset {offset}"
            )
        closing, name = m.group(1), m.group(2).lower()
        if closing:
            if not stack:
                raise _ApiError(400, f"Bad Request: can't parse entities: Unexpected end tag at byte offset {offset}")
            if stack[-1] != name:
                raise _ApiError(
                    400,
                    "Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
                    f'"{stack[-1]}"',
                )
            stack.pop()
        else:
            if name not in _HTML_TAGS:
                raise _ApiError(
                    400, f'Bad Request: can\'t parse entities: Unsupported start tag "{name}" at byte offset {offset}'
                )
            stack.append(name)
        pos = m.end()
    if stack:
        raise _ApiError(
            400, f'Bad Request: can\'t parse entities: Can\'t find end tag corresponding to start tag "{stack[-1]}"'
        )
    return unescape("".join(out))


def _check_markup(markup: Any) -> None:
    if markup is None:
        return
    if not isinstance(markup, dict):
        raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list):
            raise _ApiError(400, "Bad Request: can't parse inline keyboard markup JSON object")
        for row in rows:
            if not isinstance(row, list):
                raise _ApiError(400, "Bad Request: can't parse inline keyboard markup JSON object")
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise _ApiError(400, "Bad Request: can't parse inline keyboard button: Text must be non-empty")
                actions = [k for k in button if k != "text"]
                if not actions:
                    raise _ApiError(
                        400,
                        "Bad Request: can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard",
                    )
                if "callback_data" in button:
                    data = str(button["callback_data"])
                    if not 1 <= len(data.encode()) <= 64:
                        raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    elif "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in rows:
            for button in row:
                label = button.get("text") if isinstance(button, dict) else button
                if not label:
                    raise _ApiError(400, "Bad Request: can't parse keyboard button: Text must be non-empty")


def _update_chat_id(update: dict[str, Any]) -> int | None:
    for key in ("message", "edited_message", "channel_post", "edited_channel_post", "business_message"):
        msg = update.get(key)
        if isinstance(msg, dict):
            chat = msg.get("chat")
            if isinstance(chat, dict):
                return chat.get("id")
    cb = update.get("callback_query")
    if isinstance(cb, dict):
        msg = cb.get("message")
        if isinstance(msg, dict) and isinstance(msg.get("chat"), dict):
            return msg["chat"].get("id")
        sender = cb.get("from")
        if isinstance(sender, dict):
            return sender.get("id")
    for key in ("my_chat_member", "chat_member", "chat_join_request"):
        obj = update.get(key)
        if isinstance(obj, dict) and isinstance(obj.get("chat"), dict):
            return obj["chat"].get("id")
    for value in update.values():
        if isinstance(value, dict) and isinstance(value.get("from"), dict):
            return value["from"].get("id")
    return None


def _summarise_update(update: dict[str, Any]) -> str:
    msg = update.get("message") or update.get("edited_message")
    if isinstance(msg, dict):
        prefix = "(edited) " if "edited_message" in update else ""
        if "text" in msg:
            return prefix + str(msg["text"])
        for kind in ("contact", "photo", "document", "sticker", "voice", "location", "video", "audio"):
            if kind in msg:
                extra = ""
                if kind == "contact":
                    extra = f" {msg['contact'].get('phone_number')}"
                elif kind == "document":
                    extra = f" {msg['document'].get('file_name')}"
                elif kind == "location":
                    extra = f" {msg['location'].get('latitude')},{msg['location'].get('longitude')}"
                caption = f" {msg['caption']!r}" if msg.get("caption") else ""
                return f"{prefix}[{kind}{extra}]{caption}"
        return prefix + "[message]"
    cb = update.get("callback_query")
    if isinstance(cb, dict):
        return f"[pressed button data={cb.get('data')!r}]"
    kinds = [k for k in update if k != "update_id"]
    return f"[{kinds[0] if kinds else 'update'}]"


class TelegramStandin:
    """A Telegram Bot API server on 127.0.0.1 (aiohttp) that a real aiogram Bot talks to."""

    def __init__(
        self,
        token: str = "123456:TEST-token",
        *,
        seed: int = 0,
        bot_first_name: str = "TuWai Test",
        bot_username: str = "tuwai_test_bot",
    ) -> None:
        self.token = token
        self.seed = seed
        head = token.split(":", 1)[0]
        self.bot_id = int(head) if head.isdigit() else 123456
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.api_base: str = ""

        # What the bot did / what happened.
        self.sent: list[dict[str, Any]] = []
        self.calls: Counter[str] = Counter()
        self.errors_returned: Counter[int] = Counter()
        self.updates: list[dict[str, Any]] = []  # every pushed update, in push order
        self.pushed_at: dict[int, float] = {}  # update_id -> time.monotonic() of the first push
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.my_commands: dict[tuple[str, str], list[dict[str, Any]]] = {}

        # Faults.
        self.fail_share_429: float = 0.0
        self.fail_share_500: float = 0.0
        self.retry_after_seconds: int = 1
        self.forbidden_chats: set[int] = set()
        # Raw answers to the next getUpdates calls, as a proxy or a second instance would cause them:
        # (HTTP status, body text, content type), e.g. (502, "<html>Bad Gateway</html>", "text/html").
        self.get_updates_faults: deque[tuple[int, str, str]] = deque()
        self.download_delay: float = 0.0  # seconds each file download takes (a slow network)
        # file_id -> "cut", "short" or "altered": that file's downloads are spoilt (tests/standins/media_body.py)
        self.download_faults: dict[str, str] = {}
        self.rate_limited: int = 0
        self._rate_global: tuple[float, int] | None = None  # (window seconds, capacity)
        self._rate_chat: tuple[float, int] | None = None
        self._rate_global_log: deque[float] = deque()
        self._rate_chat_log: dict[Any, deque[float]] = {}

        # Webhook.
        self.webhook_url: str = ""
        self.webhook_secret: str | None = None
        self.webhook_max_connections: int = 40
        self.webhook_allowed_updates: list[str] | None = None
        self.webhook_max_attempts: int = 3
        self.webhook_retry_delay: float = 0.05
        self.webhook_timeout: float = 10.0
        self.webhook_deliveries: list[dict[str, Any]] = []  # one entry per POST attempt
        self.webhook_failed: list[dict[str, Any]] = []  # updates given up on after webhook_max_attempts
        self.webhook_last_error: tuple[int, str] | None = None
        self._wh_pending: dict[Any, deque[dict[str, Any]]] = {}
        self._wh_ready: asyncio.Queue[Any] = asyncio.Queue()
        self._wh_workers: list[asyncio.Task[None]] = []
        self._wh_inflight: dict[asyncio.Task[Any], dict[str, Any]] = {}
        self._wh_count = 0
        self._wh_idle = asyncio.Event()
        self._wh_idle.set()

        # Internal state.
        self._rng = random.Random(seed)
        self._last_update_id = 0
        self._queue: deque[_Queued] = deque()
        self._update_event = asyncio.Event()
        self._all_updates: dict[int, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._msgs: dict[tuple[Any, int], dict[str, Any]] = {}
        self._next_mid: dict[Any, int] = {}
        self._last_bot_mid: dict[Any, int] = {}
        self._chat_msgs: dict[Any, list[dict[str, Any]]] = {}
        self._chat_edits: dict[Any, list[dict[str, Any]]] = {}
        self._reply_kb: dict[Any, dict[str, Any]] = {}
        self._transcript: dict[Any, list[str]] = {}
        self._chat_waiters: dict[Any, list[tuple[int, asyncio.Future[None]]]] = {}
        self._pred_waiters: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []
        self._callbacks: dict[str, dict[str, Any]] = {}
        self._cb_seq = 0
        self._file_seq = 0
        self._files: dict[str, dict[str, Any]] = {}
        self._file_paths: dict[str, str] = {}
        self._seq = 0
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None

        methods: dict[str, Callable[..., Any]] = {
            "getMe": self._m_get_me,
            "getUpdates": self._m_get_updates,
            "sendMessage": self._m_send_message,
            "editMessageText": self._m_edit_message_text,
            "editMessageReplyMarkup": self._m_edit_message_reply_markup,
            "editMessageCaption": self._m_edit_message_caption,
            "answerCallbackQuery": self._m_answer_callback_query,
            "deleteMessage": self._m_delete_message,
            "sendLocation": self._m_send_location,
            "sendChatAction": self._m_send_chat_action,
            "getFile": self._m_get_file,
            "setWebhook": self._m_set_webhook,
            "deleteWebhook": self._m_delete_webhook,
            "getWebhookInfo": self._m_get_webhook_info,
            "setMyCommands": self._m_set_my_commands,
            "deleteMyCommands": self._m_delete_my_commands,
            "getMyCommands": self._m_get_my_commands,
            "getChat": self._m_get_chat,
        }
        for name in _MEDIA_KINDS:
            methods[name] = self._m_send_media
        for name in ("setMyDescription", "setMyShortDescription", "setMyName", "setChatMenuButton"):
            methods[name] = self._m_true
        self._methods: dict[str, tuple[str, Callable[..., Any]]] = {n.lower(): (n, f) for n, f in methods.items()}

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Bind 127.0.0.1 on a free port and serve; sets ``api_base``."""
        if self._runner is not None:
            return
        self._closing = False
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{file_path:.+}", self._handle_file)
        runner = web.AppRunner(app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        site = web.SockSite(runner, sock)
        await site.start()
        self._runner = runner
        self.api_base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self._client = ClientSession(timeout=ClientTimeout(total=self.webhook_timeout))

    async def stop(self) -> None:
        self._closing = True
        self._wake_pollers()
        await self._stop_webhook_workers()
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> TelegramStandin:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ acting as people

    def set_user(
        self,
        user_id: int,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> dict[str, Any]:
        """Create or update the profile used as ``from`` for this person's updates."""
        user = self._users.get(user_id)
        if user is None:
            user = self._users[user_id] = {"id": user_id, "is_bot": False, "first_name": first_name or "Test"}
        else:
            user = self._users[user_id] = dict(user)
            if first_name:
                user["first_name"] = first_name
        if last_name is not None:
            user["last_name"] = last_name
        if username is not None:
            user["username"] = username
        if language_code is not None:
            user["language_code"] = language_code
        return user

    def push_text(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> int:
        """A person sends ``text``; a leading ``/command`` gets a bot_command entity. Returns update_id."""
        self.set_user(user_id, first_name=first_name, last_name=last_name, username=username,
                      language_code=language_code)
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(None, 1)[0] if text.strip() else text
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": _utf16_len(command)}]
        if reply_to_message_id is not None:
            replied = self._msgs.get((user_id, reply_to_message_id))
            if replied is not None:
                content["reply_to_message"] = {k: v for k, v in replied.items() if k != "reply_to_message"}
        return self._push({"message": self._user_message(user_id, content)})

    def push_callback(self, user_id: int, data: str, *, message_id: int | None = None) -> int:
        """A person presses an inline button with ``data`` on ``message_id`` (default: the last bot message)."""
        user = self.set_user(user_id)
        if message_id is None:
            message_id = self._last_bot_mid.get(user_id)
            if message_id is None:
                raise LookupError(f"no bot message in chat {user_id} to press a button on")
        message = self._msgs.get((user_id, message_id))
        if message is None:
            message = {"message_id": message_id, "date": int(time.time()), "chat": self._chat_obj(user_id)}
        self._cb_seq += 1
        cb_id = str(4_000_000_000_000_000 + (self.seed % 1000) * 1_000_000_000 + self._cb_seq)
        self._callbacks[cb_id] = {"chat_id": user_id, "user_id": user_id, "message_id": message_id,
                                  "data": data, "answered": False}
        query = {
            "id": cb_id,
            "from": user,
            "message": message,
            "chat_instance": str(-(7_000_000_000 + user_id)),
            "data": data,
        }
        return self._push({"callback_query": query})

    def press(self, user_id: int, label: str, *, message_id: int | None = None) -> int:
        """Press the inline button labelled ``label`` (exact, else unique substring) on a bot message."""
        if message_id is None:
            message_id = self._last_bot_mid.get(user_id)
            if message_id is None:
                raise LookupError(f"no bot message in chat {user_id} to press a button on")
        message = self._msgs.get((user_id, message_id)) or {}
        buttons = self.buttons(message)
        matches = [b for b in buttons if b[0] == label] or [b for b in buttons if label in b[0]]
        if len(matches) != 1:
            raise LookupError(f"button {label!r} not found exactly once in message {message_id}: {buttons}")
        return self.push_callback(user_id, matches[0][1], message_id=message_id)

    def push_contact(self, user_id: int, phone: str, *, own: bool = True) -> int:
        """A person shares a contact: their own (``user_id`` = sender, as with request_contact) or someone else's."""
        user = self.set_user(user_id)
        contact: dict[str, Any] = {"phone_number": phone}
        if own:
            contact["first_name"] = user["first_name"]
            if "last_name" in user:
                contact["last_name"] = user["last_name"]
            contact["user_id"] = user_id
        else:
            contact["first_name"] = "Other"
            contact["user_id"] = 900_000_000_000 + user_id
        return self._push({"message": self._user_message(user_id, {"contact": contact})})

    def push_photo(self, user_id: int, content: bytes = DEFAULT_JPEG, caption: str | None = None) -> int:
        """A person sends a photo; its sizes are downloadable via getFile + file URL."""
        self.set_user(user_id)
        msg_content: dict[str, Any] = {"photo": self._photo_sizes(content)}
        if caption is not None:
            msg_content["caption"] = caption
        return self._push({"message": self._user_message(user_id, msg_content)})

    def push_document(
        self, user_id: int, content: bytes, file_name: str, mime_type: str, *, caption: str | None = None,
        fault: str | None = None,
    ) -> int:
        """A person sends a file; `fault` ("cut", "short", "altered") spoils its downloads."""
        self.set_user(user_id)
        f = self.register_file(content, kind="document", file_name=file_name, mime_type=mime_type)
        if fault is not None:
            self.download_faults[f["file_id"]] = fault
        doc = {"file_id": f["file_id"], "file_unique_id": f["file_unique_id"], "file_name": file_name,
               "mime_type": mime_type, "file_size": len(content)}
        msg_content: dict[str, Any] = {"document": doc}
        if caption is not None:
            msg_content["caption"] = caption
        return self._push({"message": self._user_message(user_id, msg_content)})

    def push_sticker(self, user_id: int, *, emoji: str = "\U0001f44d") -> int:
        self.set_user(user_id)
        f = self.register_file(b"RIFF\x00\x00\x00\x00WEBP", kind="sticker")
        sticker = {"file_id": f["file_id"], "file_unique_id": f["file_unique_id"], "type": "regular",
                   "width": 512, "height": 512, "is_animated": False, "is_video": False, "emoji": emoji,
                   "file_size": f["file_size"]}
        return self._push({"message": self._user_message(user_id, {"sticker": sticker})})

    def push_voice(self, user_id: int, content: bytes = DEFAULT_OGG, *, duration: int = 1) -> int:
        self.set_user(user_id)
        f = self.register_file(content, kind="voice", mime_type="audio/ogg")
        voice = {"file_id": f["file_id"], "file_unique_id": f["file_unique_id"], "duration": duration,
                 "mime_type": "audio/ogg", "file_size": len(content)}
        return self._push({"message": self._user_message(user_id, {"voice": voice})})

    def push_location(self, user_id: int, lat: float, lon: float) -> int:
        self.set_user(user_id)
        location = {"latitude": float(lat), "longitude": float(lon)}
        return self._push({"message": self._user_message(user_id, {"location": location})})

    def push_raw(self, update: dict[str, Any]) -> int:
        """Queue ``update`` as-is (an ``update_id`` is added when missing). Pushing an update_id that was
        already used delivers it again (duplicate), even if confirmed."""
        update = dict(update)
        uid = update.get("update_id")
        if uid is None:
            return self._push(update)
        uid = int(uid)
        update["update_id"] = uid
        forced = uid <= self._last_update_id
        self._last_update_id = max(self._last_update_id, uid)
        return self._push(update, forced=forced)

    def redeliver(self, update_id: int) -> None:
        """Queue the exact same update again, even if it was already confirmed (Telegram redelivering)."""
        update = self._all_updates.get(update_id)
        if update is None:
            raise LookupError(f"update {update_id} was never pushed")
        self.updates.append(update)
        self._enqueue(update, forced=True)
        self._notify()

    def register_file(
        self, content: bytes, *, kind: str = "document", file_name: str | None = None, mime_type: str | None = None
    ) -> dict[str, Any]:
        """Register downloadable bytes; returns {file_id, file_unique_id, file_path, file_size, ...}."""
        self._file_seq += 1
        n = self._file_seq
        folder, ext = _FILE_FOLDER.get(kind, ("documents", ""))
        if file_name and "." in file_name:
            ext = "." + file_name.rsplit(".", 1)[1]
        file_id = f"{_FILE_PREFIX.get(kind, _FILE_PREFIX['document'])}{n:06d}S{self.seed}"
        record = {
            "file_id": file_id,
            "file_unique_id": f"AQAD{n:06d}S{self.seed}",
            "file_path": f"{folder}/file_{n}{ext}",
            "file_size": len(content),
            "content": bytes(content),
            "file_name": file_name,
            "mime_type": mime_type or _DEFAULT_MIME.get(kind, "application/octet-stream"),
            "kind": kind,
        }
        self._files[file_id] = record
        self._file_paths[record["file_path"]] = file_id
        return record

    def file(self, file_id: str) -> dict[str, Any] | None:
        """The registered file (including ``content`` bytes), e.g. one the bot uploaded."""
        return self._files.get(file_id)

    def get_update(self, update_id: int) -> dict[str, Any]:
        return self._all_updates[update_id]

    # ------------------------------------------------------------------ webhook helpers

    async def post_to_webhook(
        self, update: dict[str, Any], *, secret: str | None, url: str | None = None
    ) -> int:
        """POST ``update`` to the webhook (or ``url``) with ``secret`` as the secret header (none if None);
        returns the HTTP status. Nothing is retried or recorded: for forged-request tests."""
        target = url or self.webhook_url
        if not target:
            raise RuntimeError("no webhook URL set (call setWebhook first or pass url=)")
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        client = self._client or ClientSession(timeout=ClientTimeout(total=self.webhook_timeout))
        try:
            async with client.post(target, data=json.dumps(update), headers=headers) as resp:
                await resp.read()
                return resp.status
        finally:
            if client is not self._client:
                await client.close()

    async def wait_webhook_idle(self, timeout: float = 10.0) -> None:
        """Wait until every pushed update has been delivered to the webhook (or given up on)."""
        try:
            async with asyncio.timeout(timeout):
                await self._wh_idle.wait()
        except TimeoutError:
            raise AssertionError(
                f"webhook deliveries still pending after {timeout}s: {self._wh_count} pending; "
                f"last error {self.webhook_last_error}"
            ) from None

    @property
    def pending_update_count(self) -> int:
        return self._wh_count if self.webhook_url else len(self._queue)

    # ------------------------------------------------------------------ reading what the bot said

    def messages_to(self, chat_id: int) -> list[dict[str, Any]]:
        """Records of the new messages the bot sent to ``chat_id`` (send* methods), in order."""
        return list(self._chat_msgs.get(chat_id, ()))

    def edits_to(self, chat_id: int) -> list[dict[str, Any]]:
        """Records of editMessage* calls in ``chat_id``, in order."""
        return list(self._chat_edits.get(chat_id, ()))

    def last_message(self, chat_id: int) -> dict[str, Any] | None:
        msgs = self._chat_msgs.get(chat_id)
        return msgs[-1] if msgs else None

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """The current Telegram-shaped Message (after edits; None once deleted)."""
        return self._msgs.get((chat_id, message_id))

    def current_reply_keyboard(self, chat_id: int) -> list[dict[str, Any]]:
        """Buttons of the reply keyboard the person currently sees in ``chat_id`` ([] if none/removed)."""
        markup = self._reply_kb.get(chat_id)
        return self.reply_keyboard({"reply_markup": markup}) if markup else []

    async def wait_for_messages(
        self, chat_id: int, count: int = 1, *, after: int = 0, timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        """Wait until at least ``count`` messages with index >= ``after`` were sent to ``chat_id``
        (index into ``messages_to(chat_id)``) and return ``messages_to(chat_id)[after:]``."""
        need = after + count
        msgs = self._chat_msgs.get(chat_id)
        if msgs is not None and len(msgs) >= need:
            return msgs[after:]
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (need, fut)
        self._chat_waiters.setdefault(chat_id, []).append(entry)
        try:
            async with asyncio.timeout(timeout):
                await fut
        except TimeoutError:
            have = len(self._chat_msgs.get(chat_id, ())) - after
            raise AssertionError(
                f"timed out after {timeout}s waiting for {count} message(s) to chat {chat_id} "
                f"(index >= {after}); got {max(have, 0)}.\n"
                f"Conversation so far:\n{self.conversation(chat_id)}\n{self._error_summary()}"
            ) from None
        finally:
            waiters = self._chat_waiters.get(chat_id)
            if waiters is not None:
                try:
                    waiters.remove(entry)
                except ValueError:
                    pass
                if not waiters:
                    del self._chat_waiters[chat_id]
        return self._chat_msgs[chat_id][after:]

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked after every API call, push and webhook
        delivery) and return its value; AssertionError on timeout."""
        value = predicate()
        if value:
            return value
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        entry = (predicate, fut)
        self._pred_waiters.append(entry)
        try:
            async with asyncio.timeout(timeout):
                return await fut
        except TimeoutError:
            raise AssertionError(
                f"condition {getattr(predicate, '__name__', predicate)!r} not met within {timeout}s; "
                f"calls so far: {dict(self.calls)}\n{self._error_summary()}"
            ) from None
        finally:
            try:
                self._pred_waiters.remove(entry)
            except ValueError:
                pass

    @staticmethod
    def _as_message_dict(message: Any) -> dict[str, Any]:
        if message is None:
            return {}
        if hasattr(message, "model_dump"):
            return message.model_dump(exclude_none=True)
        return message

    @classmethod
    def buttons(cls, message: Any) -> list[tuple[str, str]]:
        """(label, callback_data) of every inline button, row by row (url buttons give their url)."""
        markup = cls._as_message_dict(message).get("reply_markup") or {}
        out: list[tuple[str, str]] = []
        for row in markup.get("inline_keyboard") or ():
            for button in row:
                data = button.get("callback_data")
                if data is None:
                    data = button.get("url") or ""
                out.append((button.get("text", ""), data))
        return out

    @classmethod
    def reply_keyboard(cls, message: Any) -> list[dict[str, Any]]:
        """Buttons of a reply keyboard, row by row, each a dict like {"text": ..., "request_contact": True}."""
        markup = cls._as_message_dict(message).get("reply_markup") or {}
        out: list[dict[str, Any]] = []
        for row in markup.get("keyboard") or ():
            for button in row:
                out.append(dict(button) if isinstance(button, dict) else {"text": str(button)})
        return out

    def conversation(self, chat_id: int, *, last: int = 60) -> str:
        lines = self._transcript.get(chat_id, [])
        head = [f"  ... {len(lines) - last} earlier lines"] if len(lines) > last else []
        return "\n".join(head + lines[-last:]) or "  (nothing)"

    def _error_summary(self) -> str:
        if not self.errors_returned:
            return "Errors returned to the bot: none"
        return f"Errors returned to the bot: {dict(self.errors_returned)}"

    # ------------------------------------------------------------------ faults

    def enforce_rate_limits(self, per_second: float = 30, per_chat_per_second: float = 1) -> None:
        """Answer 429 when send-type calls exceed ``per_second`` overall or ``per_chat_per_second`` in one
        chat (sliding window; rates below 1 use a window of 1/rate seconds with capacity 1)."""
        self._rate_global = self._window(per_second)
        self._rate_chat = self._window(per_chat_per_second)
        self._rate_global_log.clear()
        self._rate_chat_log.clear()

    def disable_rate_limits(self) -> None:
        self._rate_global = self._rate_chat = None

    @staticmethod
    def _window(rate: float) -> tuple[float, int] | None:
        if rate is None or rate <= 0 or math.isinf(rate):
            return None
        if rate >= 1:
            return 1.0, int(rate)
        return 1.0 / rate, 1

    def _check_rate(self, chat_id: Any) -> None:
        if self._rate_global is None and self._rate_chat is None:
            return
        now = time.monotonic()
        wait = 0.0
        if self._rate_global is not None:
            window, cap = self._rate_global
            log = self._rate_global_log
            while log and log[0] <= now - window:
                log.popleft()
            if len(log) >= cap:
                wait = max(wait, log[0] + window - now)
        chat_log = None
        if self._rate_chat is not None and chat_id is not None:
            window, cap = self._rate_chat
            chat_log = self._rate_chat_log.get(chat_id)
            if chat_log is None:
                chat_log = self._rate_chat_log[chat_id] = deque()
            while chat_log and chat_log[0] <= now - window:
                chat_log.popleft()
            if len(chat_log) >= cap:
                wait = max(wait, chat_log[0] + window - now)
        if wait > 0:
            self.rate_limited += 1
            retry = max(1, math.ceil(wait))
            raise _ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        if self._rate_global is not None:
            self._rate_global_log.append(now)
        if chat_log is not None:
            chat_log.append(now)

    def _inject_faults(self) -> None:
        if self.fail_share_429 <= 0 and self.fail_share_500 <= 0:
            return
        r = self._rng.random()
        if r < self.fail_share_429:
            retry = int(self.retry_after_seconds)
            raise _ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        if r < self.fail_share_429 + self.fail_share_500:
            raise _ApiError(500, "Internal Server Error")

    # ------------------------------------------------------------------ HTTP

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        entry = self._methods.get(method.lower())
        canon = entry[0] if entry else method
        self.calls[canon] += 1
        self._notify()
        if request.match_info["token"] != self.token:
            return self._error_response(401, "Unauthorized")
        if entry is None:
            return self._error_response(404, "Not Found: method not found")
        if canon == "getUpdates" and self.get_updates_faults:
            status, text, content_type = self.get_updates_faults.popleft()
            self.errors_returned[status] += 1
            return web.Response(status=status, text=text, content_type=content_type)
        try:
            params, files = await self._read_params(request)
        except Exception:  # noqa: BLE001 - a malformed body is the client's problem
            return self._error_response(400, "Bad Request: can't parse request")
        status, body = await self._dispatch(canon, entry[1], params, files)
        return web.json_response(body, status=status)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        self.calls["downloadFile"] += 1
        if request.match_info["token"] != self.token:
            return self._error_response(401, "Unauthorized")
        file_id = self._file_paths.get(request.match_info["file_path"])
        if file_id is None:
            return self._error_response(404, "Not Found")
        record = self._files[file_id]
        if self.download_delay:
            await asyncio.sleep(self.download_delay)
        return await serve_body(request, record["content"], "application/octet-stream",
                                fault=self.download_faults.get(file_id))

    def _error_response(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
        self.errors_returned[code] += 1
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=code)

    @staticmethod
    async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, tuple[str, str, bytes]]]:
        params: dict[str, Any] = dict(request.query)
        files: dict[str, tuple[str, str, bytes]] = {}
        if request.method == "POST" and request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    params.update(body)
            elif ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = (value.filename or key, value.content_type, value.file.read())
                    else:
                        params[key] = value
            else:
                raw = await request.read()
                if raw.strip():
                    body = json.loads(raw)
                    if isinstance(body, dict):
                        params.update(body)
        return params, files

    async def _dispatch(
        self,
        canon: str,
        fn: Callable[..., Any],
        params: dict[str, Any],
        files: dict[str, tuple[str, str, bytes]],
    ) -> tuple[int, dict[str, Any]]:
        try:
            if canon in SEND_TYPE_METHODS or canon == "sendChatAction":
                chat_id = self._chat_id(params, required=False)
                if chat_id is not None and chat_id in self.forbidden_chats:
                    raise _ApiError(403, "Forbidden: bot was blocked by the user")
                if canon in SEND_TYPE_METHODS:
                    self._inject_faults()
                    self._check_rate(chat_id)
            result = fn(canon, params, files)
            if asyncio.iscoroutine(result):
                result = await result
        except _ApiError as e:
            self.errors_returned[e.code] += 1
            body: dict[str, Any] = {"ok": False, "error_code": e.code, "description": e.description}
            if e.parameters:
                body["parameters"] = e.parameters
            self._notify()
            return e.code, body
        self._notify()
        return 200, {"ok": True, "result": result}

    # ------------------------------------------------------------------ method implementations

    def _m_true(self, canon: str, params: dict[str, Any], files: Any) -> bool:
        self._record(canon, None, params)
        return True

    def _m_get_me(self, canon: str, params: dict[str, Any], files: Any) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _m_get_updates(self, canon: str, params: dict[str, Any], files: Any) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _as_int(params.get("offset"), 0) or 0
        limit = min(max(_as_int(params.get("limit"), 100) or 100, 1), 100)
        timeout = max(0.0, _as_float(params.get("timeout"), 0.0))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch = self._take_batch(offset, limit)
            if batch or self._closing or self.webhook_url:
                return batch
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            event = self._update_event
            try:
                async with asyncio.timeout(remaining):
                    await event.wait()
            except TimeoutError:
                pass

    def _take_batch(self, offset: int, limit: int) -> list[dict[str, Any]]:
        q = self._queue
        if offset < 0:
            while len(q) > -offset:
                q.popleft()
        elif offset:
            while q and q[0].update_id < offset and not q[0].forced:
                q.popleft()
        batch: list[dict[str, Any]] = []
        prev: int | None = None
        for entry in q:
            # Return a run of non-decreasing ids: a redelivered (older) update comes in its own batch,
            # so that the offset the client confirms afterwards never skips an unseen update.
            if prev is not None and entry.update_id < prev:
                break
            entry.forced = False
            batch.append(entry.update)
            prev = entry.update_id
            if len(batch) >= limit:
                break
        return batch

    def _m_send_message(self, canon: str, params: dict[str, Any], files: Any) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        raw = params.get("text")
        if raw is None or str(raw) == "":
            raise _ApiError(400, "Bad Request: message text is empty")
        raw = str(raw)
        parse_mode = params.get("parse_mode") or None
        text = self._render(raw, parse_mode)
        if not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if _utf16_len(text) > _MAX_TEXT:
            raise _ApiError(400, "Bad Request: message is too long")
        markup = _json_param(params, "reply_markup")
        _check_markup(markup)
        msg = self._bot_message(chat_id, {"text": text}, markup, params)
        return self._record_new(canon, chat_id, msg, params, text=text, raw_text=raw, parse_mode=parse_mode,
                                reply_markup=markup)

    def _m_send_media(
        self, canon: str, params: dict[str, Any], files: dict[str, tuple[str, str, bytes]]
    ) -> dict[str, Any]:
        kind = _MEDIA_KINDS[canon]
        chat_id = self._chat_id(params)
        value = params.get(kind)
        upload = None
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value[len("attach://"):])
        elif kind in files:
            upload = files[kind]
        if upload is not None:
            file_name, mime_type, content = upload
            refusal = _photo_refusal(content) if kind == "photo" else None
            if refusal is not None:
                raise _ApiError(400, refusal)
            mime_type = mime_type if mime_type and mime_type != "application/octet-stream" else None
            f = self.register_file(content, kind=kind, file_name=file_name, mime_type=mime_type)
        elif isinstance(value, str) and value in self._files:
            f = self._files[value]
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            f = self.register_file(b"", kind=kind, file_name=value.rsplit("/", 1)[-1] or None)
        else:
            raise _ApiError(400, f"Bad Request: there is no {kind} in the request")
        raw_caption = params.get("caption")
        parse_mode = params.get("parse_mode") or None
        caption = None
        if raw_caption not in (None, ""):
            caption = self._render(str(raw_caption), parse_mode)
            if _utf16_len(caption) > _MAX_CAPTION:
                raise _ApiError(400, "Bad Request: message caption is too long")
        markup = _json_param(params, "reply_markup")
        _check_markup(markup)
        base = {"file_id": f["file_id"], "file_unique_id": f["file_unique_id"], "file_size": f["file_size"]}
        obj: Any
        if kind == "photo":
            obj = [dict(base, width=90, height=90), dict(base, width=320, height=320),
                   dict(base, width=1280, height=1280)]
        elif kind == "document":
            obj = dict(base, mime_type=f["mime_type"])
            if f.get("file_name"):
                obj["file_name"] = f["file_name"]
        elif kind == "sticker":
            obj = dict(base, type="regular", width=512, height=512, is_animated=False, is_video=False)
        elif kind in ("voice", "audio"):
            obj = dict(base, duration=_as_int(params.get("duration"), 1), mime_type=f["mime_type"])
        else:  # video, animation
            obj = dict(base, width=640, height=360, duration=_as_int(params.get("duration"), 1))
        content: dict[str, Any] = {kind: obj}
        if caption is not None:
            content["caption"] = caption
        msg = self._bot_message(chat_id, content, markup, params)
        return self._record_new(
            canon, chat_id, msg, params, text=caption, raw_text=raw_caption, parse_mode=parse_mode,
            reply_markup=markup, file_id=f["file_id"], file_name=f.get("file_name"), mime_type=f["mime_type"],
            content=f["content"],
        )

    def _m_send_location(self, canon: str, params: dict[str, Any], files: Any) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        location = {"latitude": _as_float(params.get("latitude"), 0.0),
                    "longitude": _as_float(params.get("longitude"), 0.0)}
        markup = _json_param(params, "reply_markup")
        _check_markup(markup)
        msg = self._bot_message(chat_id, {"location": location}, markup, params)
        return self._record_new(canon, chat_id, msg, params, text=None, reply_markup=markup, location=location)

    def _m_send_chat_action(self, canon: str, params: dict[str, Any], files: Any) -> bool:
        chat_id = self._chat_id(params)
        self._record(canon, chat_id, params, action=params.get("action"))
        return True

    def _target(self, params: dict[str, Any]) -> tuple[Any, int, dict[str, Any]] | None:
        if params.get("inline_message_id") and not params.get("chat_id"):
            return None
        chat_id = self._chat_id(params)
        message_id = _as_int(params.get("message_id"))
        if message_id is None:
            raise _ApiError(400, "Bad Request: message identifier is not specified")
        return chat_id, message_id, self._msgs.get((chat_id, message_id)) or {}

    def _apply_edit(
        self, canon: str, params: dict[str, Any], changes: dict[str, Any], markup: Any, what: str
    ) -> dict[str, Any] | bool:
        _check_markup(markup)
        target = self._target(params)
        if target is None:  # inline message: nothing stored, just acknowledge like Telegram does
            self._record(canon, None, params, text=changes.get("text"), reply_markup=markup)
            return True
        chat_id, message_id, old = target
        if not old:
            raise _ApiError(400, "Bad Request: message to edit not found")
        if old.get("from", {}).get("id") != self.bot_id:
            raise _ApiError(400, "Bad Request: message can't be edited")
        if what == "text" and "text" not in old:
            raise _ApiError(400, "Bad Request: there is no text in the message to edit")
        if what == "caption" and not any(k in old for k in _MEDIA_KINDS.values()):
            raise _ApiError(400, "Bad Request: there is no caption in the message to edit")
        inline = markup if isinstance(markup, dict) and "inline_keyboard" in markup else None
        unchanged = all(old.get(k) == v for k, v in changes.items())
        if unchanged and old.get("reply_markup") == inline:
            raise _ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message",
            )
        new = dict(old)
        for k, v in changes.items():
            if v is None:
                new.pop(k, None)
            else:
                new[k] = v
        if inline is not None:
            new["reply_markup"] = inline
        else:
            new.pop("reply_markup", None)
        new["edit_date"] = int(time.time())
        self._msgs[(chat_id, message_id)] = new
        rec = self._record(canon, chat_id, params, text=new.get("text", new.get("caption")),
                           raw_text=params.get("text", params.get("caption")),
                           parse_mode=params.get("parse_mode") or None, reply_markup=markup,
                           message_id=message_id, message=new)
        self._chat_edits.setdefault(chat_id, []).append(rec)
        self._transcript.setdefault(chat_id, []).append(
            f"  bot  (edit #{message_id}): {self._describe(rec)}"
        )
        return new

    def _m_edit_message_text(self, canon: str, params: dict[str, Any], files: Any) -> dict[str, Any] | bool:
        raw = params.get("text")
        if raw is None or str(raw) == "":
            raise _ApiError(400, "Bad Request: message text is empty")
        text = self._render(str(raw), params.get("parse_mode") or None)
        if _utf16_len(text) > _MAX_TEXT:
            raise _ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return self._apply_edit(canon, params, {"text": text}, _json_param(params, "reply_markup"), "text")

    def _m_edit_message_caption(self, canon: str, params: dict[str, Any], files: Any) -> dict[str, Any] | bool:
        raw = params.get("caption")
        caption = self._render(str(raw), params.get("parse_mode") or None) if raw not in (None, "") else None
        if caption is not None and _utf16_len(caption) > _MAX_CAPTION:
            raise _ApiError(400, "Bad Request: message caption is too long")
        return self._apply_edit(canon, params, {"caption": caption}, _json_param(params, "reply_markup"), "caption")

    def _m_edit_message_reply_markup(
        self, canon: str, params: dict[str, Any], files: Any
    ) -> dict[str, Any] | bool:
        return self._apply_edit(canon, params, {}, _json_param(params, "reply_markup"), "markup")

    def _m_answer_callback_query(self, canon: str, params: dict[str, Any], files: Any) -> bool:
        cb_id = str(params.get("callback_query_id") or "")
        cb = self._callbacks.get(cb_id)
        if cb is None or cb["answered"]:
            raise _ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        cb["answered"] = True
        answer = {"text": params.get("text"), "show_alert": _as_bool(params.get("show_alert")),
                  "url": params.get("url")}
        self.callback_answers[cb_id] = answer
        self._record(canon, cb["chat_id"], params, text=answer["text"], callback_query_id=cb_id,
                     show_alert=answer["show_alert"], message_id=cb["message_id"])
        if answer["text"]:
            self._transcript.setdefault(cb["chat_id"], []).append(
                f"  bot  (popup{' alert' if answer['show_alert'] else ''}): {answer['text']}"
            )
        return True

    def _m_delete_message(self, canon: str, params: dict[str, Any], files: Any) -> bool:
        chat_id = self._chat_id(params)
        message_id = _as_int(params.get("message_id"))
        if message_id is None or self._msgs.pop((chat_id, message_id), None) is None:
            raise _ApiError(400, "Bad Request: message to delete not found")
        if self._last_bot_mid.get(chat_id) == message_id:
            del self._last_bot_mid[chat_id]
        self._record(canon, chat_id, params, message_id=message_id)
        self._transcript.setdefault(chat_id, []).append(f"  bot  (deleted #{message_id})")
        return True

    def _m_get_file(self, canon: str, params: dict[str, Any], files: Any) -> dict[str, Any]:
        f = self._files.get(str(params.get("file_id") or ""))
        if f is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        if f["file_size"] > _MAX_GETFILE:
            raise _ApiError(400, "Bad Request: file is too big")
        return {"file_id": f["file_id"], "file_unique_id": f["file_unique_id"], "file_size": f["file_size"],
                "file_path": f["file_path"]}

    def _m_set_webhook(self, canon: str, params: dict[str, Any], files: Any) -> bool:
        url = str(params.get("url") or "")
        drop = _as_bool(params.get("drop_pending_updates"))
        if not url:
            self._remove_webhook(drop)
            self._record(canon, None, params, url="")
            return True
        if not url.startswith(("http://", "https://")):
            raise _ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token") or None
        if secret is not None and not _SECRET_RE.match(str(secret)):
            raise _ApiError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook_max_connections = min(max(_as_int(params.get("max_connections"), 40) or 40, 1), 100)
        self.webhook_allowed_updates = _json_param(params, "allowed_updates")
        was_set = bool(self.webhook_url)
        self.webhook_url = url
        self.webhook_secret = str(secret) if secret is not None else None
        if drop:
            self._queue.clear()
            self._reset_webhook_queue()
        if not was_set:
            pending = list(self._queue)
            self._queue.clear()
            for entry in pending:
                self._wh_enqueue(entry.update)
            self._wake_pollers()
        self._ensure_webhook_workers()
        self._record(canon, None, params, url=url)
        return True

    def _m_delete_webhook(self, canon: str, params: dict[str, Any], files: Any) -> bool:
        self._remove_webhook(_as_bool(params.get("drop_pending_updates")))
        self._record(canon, None, params)
        return True

    def _m_get_webhook_info(self, canon: str, params: dict[str, Any], files: Any) -> dict[str, Any]:
        info: dict[str, Any] = {"url": self.webhook_url, "has_custom_certificate": False,
                                "pending_update_count": self.pending_update_count}
        if self.webhook_url:
            info["max_connections"] = self.webhook_max_connections
            info["ip_address"] = "127.0.0.1"
            if self.webhook_allowed_updates is not None:
                info["allowed_updates"] = self.webhook_allowed_updates
            if self.webhook_last_error is not None:
                info["last_error_date"], info["last_error_message"] = self.webhook_last_error
        return info

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = _json_param(params, "scope")
        scope_key = json.dumps(scope, sort_keys=True) if scope and scope != {"type": "default"} else "default"
        return scope_key, str(params.get("language_code") or "")

    def _m_set_my_commands(self, canon: str, params: dict[str, Any], files: Any) -> bool:
        commands = _json_param(params, "commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _ApiError(400, "Bad Request: can't parse commands JSON object")
        for cmd in commands:
            if not isinstance(cmd, dict) or not _COMMAND_RE.match(str(cmd.get("command", ""))):
                raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(cmd.get("description", ""))) <= 256:
                raise _ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.my_commands[self._commands_key(params)] = commands
        self._record(canon, None, params, commands=commands)
        return True

    def _m_delete_my_commands(self, canon: str, params: dict[str, Any], files: Any) -> bool:
        self.my_commands.pop(self._commands_key(params), None)
        self._record(canon, None, params)
        return True

    def _m_get_my_commands(self, canon: str, params: dict[str, Any], files: Any) -> list[dict[str, Any]]:
        return self.my_commands.get(self._commands_key(params), [])

    def _m_get_chat(self, canon: str, params: dict[str, Any], files: Any) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        return {
            **self._chat_obj(chat_id),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                                    "premium_subscription": False, "gifts_from_channels": False},
        }

    # ------------------------------------------------------------------ state helpers

    @staticmethod
    def _chat_id(params: dict[str, Any], required: bool = True) -> Any:
        value = params.get("chat_id")
        if value is None or value == "":
            if required:
                raise _ApiError(400, "Bad Request: chat_id is empty")
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise _ApiError(400, "Bad Request: chat not found") from None

    def _chat_obj(self, chat_id: int) -> dict[str, Any]:
        if chat_id > 0:
            user = self._users.get(chat_id) or {"first_name": "Test"}
            chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
            for key in ("last_name", "username"):
                if key in user:
                    chat[key] = user[key]
            return chat
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": "Test group"}

    def _next_message_id(self, chat_id: Any) -> int:
        mid = self._next_mid.get(chat_id, 0) + 1
        self._next_mid[chat_id] = mid
        return mid

    def _user_message(self, user_id: int, content: dict[str, Any]) -> dict[str, Any]:
        mid = self._next_message_id(user_id)
        msg = {"message_id": mid, "from": self._users[user_id], "chat": self._chat_obj(user_id),
               "date": int(time.time()), **content}
        self._msgs[(user_id, mid)] = msg
        return msg

    def _photo_sizes(self, content: bytes) -> list[dict[str, Any]]:
        sizes = []
        for side in (90, 320, 1280):
            f = self.register_file(content, kind="photo")
            sizes.append({"file_id": f["file_id"], "file_unique_id": f["file_unique_id"],
                          "file_size": len(content), "width": side, "height": side})
        return sizes

    def _bot_message(
        self, chat_id: Any, content: dict[str, Any], markup: Any, params: dict[str, Any]
    ) -> dict[str, Any]:
        mid = self._next_message_id(chat_id)
        msg: dict[str, Any] = {"message_id": mid, "from": self.bot_user, "chat": self._chat_obj(chat_id),
                               "date": int(time.time()), **content}
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            msg["reply_markup"] = markup
        reply_to = _as_int(params.get("reply_to_message_id"))
        if reply_to is None:
            rp = _json_param(params, "reply_parameters")
            if isinstance(rp, dict):
                reply_to = _as_int(rp.get("message_id"))
        if reply_to is not None:
            replied = self._msgs.get((chat_id, reply_to))
            if replied is not None:
                msg["reply_to_message"] = {k: v for k, v in replied.items() if k != "reply_to_message"}
        self._msgs[(chat_id, mid)] = msg
        self._last_bot_mid[chat_id] = mid
        return msg

    def _record(self, method: str, chat_id: Any, params: dict[str, Any], **fields: Any) -> dict[str, Any]:
        self._seq += 1
        rec: dict[str, Any] = {"method": method, "chat_id": chat_id, "text": None, "reply_markup": None,
                               "message_id": None, "time": time.monotonic(), "seq": self._seq,
                               "params": params}
        rec.update(fields)
        self.sent.append(rec)
        return rec

    def _record_new(
        self, method: str, chat_id: Any, msg: dict[str, Any], params: dict[str, Any], **fields: Any
    ) -> dict[str, Any]:
        reply_to = msg.get("reply_to_message", {}).get("message_id")
        rec = self._record(method, chat_id, params, message_id=msg["message_id"], message=msg,
                           reply_to_message_id=reply_to, date=msg["date"], **fields)
        msgs = self._chat_msgs.get(chat_id)
        if msgs is None:
            msgs = self._chat_msgs[chat_id] = []
        rec["index"] = len(msgs)
        msgs.append(rec)
        markup = rec.get("reply_markup")
        if isinstance(markup, dict):
            if "keyboard" in markup:
                self._reply_kb[chat_id] = markup
            elif markup.get("remove_keyboard"):
                self._reply_kb.pop(chat_id, None)
        self._transcript.setdefault(chat_id, []).append(f"  bot  #{rec['message_id']}: {self._describe(rec)}")
        waiters = self._chat_waiters.get(chat_id)
        if waiters:
            n = len(msgs)
            for need, fut in waiters:
                if n >= need and not fut.done():
                    fut.set_result(None)
        return msg

    def _describe(self, rec: dict[str, Any]) -> str:
        method = rec["method"]
        text = rec.get("text")
        out = text if text is not None else ""
        if method != "sendMessage" and method in NEW_MESSAGE_METHODS:
            out = f"[{method[4:].lower()}{' ' + rec['file_name'] if rec.get('file_name') else ''}] {out}".rstrip()
        labels = [label for label, _ in self.buttons(rec)]
        if labels:
            out += f"  [buttons: {' | '.join(labels)}]"
        kb = [b.get("text", "") + (" (contact)" if b.get("request_contact") else "") for b in self.reply_keyboard(rec)]
        if kb:
            out += f"  [keyboard: {' | '.join(kb)}]"
        return out

    def _render(self, raw: str, parse_mode: str | None) -> str:
        if parse_mode and str(parse_mode).upper() == "HTML":
            return _render_html(raw)
        return raw

    def _next_update_id(self) -> int:
        self._last_update_id += 1
        return self._last_update_id

    def _push(self, update: dict[str, Any], *, forced: bool = False) -> int:
        if "update_id" not in update:
            update = {"update_id": self._next_update_id(), **update}
        uid = update["update_id"]
        self._all_updates[uid] = update
        self.updates.append(update)
        self.pushed_at.setdefault(uid, time.monotonic())
        chat_id = _update_chat_id(update)
        if chat_id is not None:
            self._transcript.setdefault(chat_id, []).append(f"  user (update {uid}): {_summarise_update(update)}")
        self._enqueue(update, forced=forced)
        self._notify()
        return uid

    def _enqueue(self, update: dict[str, Any], *, forced: bool) -> None:
        if self.webhook_url:
            self._wh_enqueue(update)
        else:
            self._queue.append(_Queued(update, forced))
            self._wake_pollers()

    def _wake_pollers(self) -> None:
        event = self._update_event
        self._update_event = asyncio.Event()
        event.set()

    def _notify(self) -> None:
        if not self._pred_waiters:
            return
        for predicate, fut in list(self._pred_waiters):
            if fut.done():
                continue
            try:
                value = predicate()
            except Exception as e:  # noqa: BLE001 - handed to the waiting test
                fut.set_exception(e)
                continue
            if value:
                fut.set_result(value)

    # ------------------------------------------------------------------ webhook delivery

    def _wh_enqueue(self, update: dict[str, Any]) -> None:
        key = _update_chat_id(update)
        if key is None:
            key = ("update", update["update_id"], self._wh_count)
        q = self._wh_pending.get(key)
        if q is None:
            q = self._wh_pending[key] = deque()
            self._wh_ready.put_nowait(key)
        q.append(update)
        self._wh_count += 1
        self._wh_idle.clear()

    def _reset_webhook_queue(self) -> list[dict[str, Any]]:
        """Forget webhook-pending updates (returning them, in-flight ones first)."""
        leftovers = list(self._wh_inflight.values())
        for q in self._wh_pending.values():
            leftovers.extend(q)
        self._wh_pending = {}
        self._wh_ready = asyncio.Queue()
        self._wh_count = 0
        self._wh_idle.set()
        return leftovers

    def _ensure_webhook_workers(self) -> None:
        self._wh_workers = [t for t in self._wh_workers if not t.done()]
        while len(self._wh_workers) < self.webhook_max_connections:
            self._wh_workers.append(asyncio.get_running_loop().create_task(self._webhook_worker()))

    def _remove_webhook(self, drop: bool) -> None:
        leftovers = self._reset_webhook_queue()
        workers, self._wh_workers = self._wh_workers, []
        self._wh_inflight.clear()
        for task in workers:
            task.cancel()
        self.webhook_url = ""
        self.webhook_secret = None
        self.webhook_allowed_updates = None
        if drop:
            self._queue.clear()
        else:
            for update in sorted(leftovers, key=lambda u: u["update_id"]):
                self._queue.append(_Queued(update, False))
            if leftovers:
                self._wake_pollers()

    async def _stop_webhook_workers(self) -> None:
        workers, self._wh_workers = self._wh_workers, []
        for task in workers:
            task.cancel()
        for task in workers:
            try:
                await task
            except asyncio.CancelledError:
                pass

    async def _webhook_worker(self) -> None:
        task = asyncio.current_task()
        assert task is not None
        while True:
            ready = self._wh_ready
            key = await ready.get()
            if ready is not self._wh_ready:  # the webhook was reset meanwhile
                continue
            q = self._wh_pending.get(key)
            if not q:
                self._wh_pending.pop(key, None)
                continue
            update = q.popleft()
            self._wh_inflight[task] = update
            try:
                await self._deliver(update)
            finally:
                self._wh_inflight.pop(task, None)
            if ready is not self._wh_ready:
                continue
            self._wh_count -= 1
            if q:
                ready.put_nowait(key)
            else:
                self._wh_pending.pop(key, None)
            if self._wh_count <= 0:
                self._wh_count = 0
                self._wh_idle.set()
            self._notify()

    async def _deliver(self, update: dict[str, Any]) -> None:
        body = json.dumps(update)
        for attempt in range(1, self.webhook_max_attempts + 1):
            url, secret, client = self.webhook_url, self.webhook_secret, self._client
            if not url or client is None:
                return
            headers = {"Content-Type": "application/json"}
            if secret:
                headers["X-Telegram-Bot-Api-Secret-Token"] = secret
            status: int | None = None
            try:
                async with client.post(url, data=body, headers=headers) as resp:
                    status = resp.status
                    if 200 <= status < 300:
                        reply = await self._read_webhook_reply(resp)
                        self.webhook_deliveries.append(
                            {"update_id": update["update_id"], "status": status, "attempt": attempt,
                             "time": time.monotonic()}
                        )
                        if reply is not None:
                            await self._execute_webhook_reply(*reply)
                        return
                    error = f"Wrong response from the webhook: {status} {resp.reason}"
            except (ClientError, asyncio.TimeoutError, OSError) as e:
                error = f"Connection failed: {type(e).__name__}: {e}"
            self.webhook_deliveries.append(
                {"update_id": update["update_id"], "status": status, "attempt": attempt,
                 "time": time.monotonic(), "error": error}
            )
            self.webhook_last_error = (int(time.time()), error)
            if attempt < self.webhook_max_attempts:
                await asyncio.sleep(self.webhook_retry_delay * attempt)
        self.webhook_failed.append(update)

    @staticmethod
    async def _read_webhook_reply(resp: Any) -> tuple[str, dict[str, Any], dict[str, Any]] | None:
        """A webhook answer may carry a method call (aiogram's "reply into webhook"); parse it."""
        ctype = resp.content_type
        params: dict[str, Any] = {}
        files: dict[str, tuple[str, str, bytes]] = {}
        try:
            if ctype == "multipart/form-data":
                reader = MultipartReader(resp.headers, resp.content)
                async for part in reader:
                    if part is None or not hasattr(part, "name"):
                        continue
                    data = await part.read(decode=True)
                    if part.filename:
                        files[part.name] = (part.filename, part.headers.get("Content-Type", ""), bytes(data))
                    else:
                        params[part.name] = data.decode()
            elif ctype == "application/json":
                body = await resp.json()
                if isinstance(body, dict):
                    params = dict(body)
            else:
                await resp.read()
                return None
        except (ValueError, ClientError):
            return None
        method = params.pop("method", None)
        if not method:
            return None
        return str(method), params, files

    async def _execute_webhook_reply(self, method: str, params: dict[str, Any], files: dict[str, Any]) -> None:
        entry = self._methods.get(method.lower())
        canon = entry[0] if entry else method
        self.calls[canon] += 1
        if entry is None:
            self.errors_returned[404] += 1
            return
        await self._dispatch(canon, entry[1], params, files)
