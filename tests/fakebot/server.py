"""A fake Telegram Bot API server (aiohttp) for offline end-to-end tests.

A real PTB ``Bot``/``Application`` talks to it over HTTP through ``base_url``; tests drive and
observe it through the :class:`FakeBotAPI` object (updates in, recorded calls and sent
messages out, injected faults). Validation and error texts follow the Bot API.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import random
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, NamedTuple, NoReturn, TypeVar

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from . import builders as b
from .faults import Fault, bad_gateway, blocked, disconnect, flood, not_modified, server_error
from .limits import RateLimits

JSON = dict[str, Any]
T = TypeVar("T")

DEFAULT_TOKEN = "123456789:AAFakeTokenForOfflineTests_0123456789"
# Sent as raw strings by PTB; every other form field is JSON-encoded.
RAW_FIELDS = frozenset({
    "text", "caption", "parse_mode", "callback_query_id", "url", "secret_token", "name", "file_id",
    "icon_custom_emoji_id", "ip_address", "description", "title",
})
SEND_METHODS = frozenset({"sendmessage", "sendphoto", "senddocument", "copymessage", "forwardmessage"})
FLAKY_METHODS = SEND_METHODS | {"editmessagetext", "editmessagereplymarkup"}
NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
CONTENT_KEYS = ("text", "entities", "photo", "document", "sticker", "voice", "video", "audio", "animation",
                "video_note", "location", "venue", "contact", "dice", "poll", "caption", "caption_entities")
MESSAGE_UPDATES = ("message", "edited_message", "channel_post", "edited_channel_post")
POLL_CONFLICT = ("Conflict: terminated by other getUpdates request;"
                 " make sure that only one bot instance is running")
WEBHOOK_CONFLICT = ("Conflict: can't use getUpdates method while webhook is active;"
                    " use deleteWebhook to delete the webhook first")


class ApiError(Exception):
    """Raised by a method to answer with a Bot API error."""

    def __init__(self, fault: Fault) -> None:
        super().__init__(fault.description)
        self.fault = fault


def bad_request(reason: str, **parameters: Any) -> ApiError:
    return ApiError(Fault(400, f"Bad Request: {reason}", parameters))


class Call(NamedTuple):
    """A request, recorded once answered: method as spelled by the client, decoded params, arrival time."""

    method: str
    params: JSON
    ts: float


@dataclass(frozen=True)
class Upload:
    """A file received in a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None

    def ref(self) -> JSON:
        """``file_id``/``file_unique_id``/``file_size``, as the builders expect."""
        return {"file_id": self.file_id, "file_unique_id": self.file_unique_id, "file_size": len(self.data)}


@dataclass
class _Armed:
    method: str
    fault: Fault
    times: int
    match: JSON


class _Changes:
    """Broadcast "state changed" to every async waiter; ``notify()`` may be called from sync code."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_until(self, predicate: Callable[[], T], timeout: float | None) -> T:
        """Re-check ``predicate`` after every change until truthy; TimeoutError after ``timeout``."""
        async with asyncio.timeout(timeout):
            while not (result := predicate()):
                await self._event.wait()
        return result


# ---------------------------------------------------------------- formatting (parse_mode HTML)

_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "span": "spoiler",
    "tg-spoiler": "spoiler", "a": "text_link", "code": "code", "pre": "pre", "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class _TelegramHTML(HTMLParser):
    """Telegram's HTML subset to (plain text, entities); ApiError on anything it would reject."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)
        self.source = source
        self.parts: list[str] = []
        self.length = 0  # UTF-16 code units
        self.stack: list[tuple[str, int, JSON]] = []
        self.entities: list[JSON] = []

    def _fail(self, reason: str) -> NoReturn:
        raise bad_request(f"can't parse entities: {reason}")

    def _index(self) -> int:
        """Index in ``source`` of the construct being handled."""
        line, col = self.getpos()
        return sum(len(row) + 1 for row in self.source.split("\n")[: line - 1]) + col

    def _byte_offset(self) -> int:
        return len(self.source[: self._index()].encode())

    def _add(self, text: str) -> None:
        self.parts.append(text)
        self.length += b.utf16_len(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        kind = _HTML_TAGS.get(tag)
        if kind is None or (tag == "span" and attr.get("class") != "tg-spoiler"):
            self._fail(f'Unsupported start tag "{tag}" at byte offset {self._byte_offset()}')
        entity: JSON = {"type": kind}
        if tag == "a":
            entity["url"] = attr.get("href", "")
        elif tag == "blockquote" and "expandable" in attr:
            entity["type"] = "expandable_blockquote"
        elif tag == "tg-emoji":
            entity["custom_emoji_id"] = attr.get("emoji-id", "")
        elif tag == "code" and self.stack and self.stack[-1][0] == "pre":
            language = attr.get("class", "").removeprefix("language-")
            if language:
                self.stack[-1][2]["language"] = language
            entity = {}  # <pre><code class="language-x"> is a single pre entity
        self.stack.append((tag, self.length, entity))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            self._fail(f'Unexpected end tag "{tag}" at byte offset {self._byte_offset()}')
        _, start, entity = self.stack.pop()
        if entity and self.length > start and (entity["type"] != "text_link" or entity["url"]):
            self.entities.append({**entity, "offset": start, "length": self.length - start})

    def handle_data(self, data: str) -> None:
        if "<" in data:  # html.parser hands over a bare "<" as data
            self._fail(f'Unsupported start tag "" at byte offset {self._byte_offset()}')
        self._add(data)

    def handle_entityref(self, name: str) -> None:
        end = self._index() + 1 + len(name)
        terminated = self.source[end : end + 1] == ";"
        self._add(_NAMED_REFS[name] if terminated and name in _NAMED_REFS else f"&{name}{';' * terminated}")

    def handle_charref(self, name: str) -> None:
        self._add(chr(int(name[1:], 16) if name[0] in "xX" else int(name)))

    def unknown_decl(self, data: str) -> None:
        self._fail(f"Unsupported declaration at byte offset {self._byte_offset()}")

    handle_comment = handle_decl = handle_pi = unknown_decl

    def parse(self) -> tuple[str, list[JSON]]:
        self.feed(self.source)
        self.close()
        if self.stack:
            self._fail(f'Can\'t find end tag corresponding to start tag "{self.stack[-1][0]}"')
        return "".join(self.parts), sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))


def parse_formatted(text: str, parse_mode: str | None, entities: list[JSON] | None) -> tuple[str, list[JSON]]:
    """Plain text and entities after parsing (only HTML is parsed; other modes pass through)."""
    if (parse_mode or "").lower() == "html":
        return _TelegramHTML(text).parse()
    return text, list(entities or [])


# ---------------------------------------------------------------- request plumbing

_METHODS: dict[str, tuple[str, Callable[[FakeBotAPI, JSON], Awaitable[Any]]]] = {}


def api(name: str) -> Callable[[Callable[[FakeBotAPI, JSON], Awaitable[Any]]], Any]:
    """Register a Bot API method (names are case-insensitive, as in Telegram)."""

    def register(fn: Callable[[FakeBotAPI, JSON], Awaitable[Any]]) -> Any:
        _METHODS[name.lower()] = (name, fn)
        return fn

    return register


def _decode(key: str, value: str) -> Any:
    if key in RAW_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value  # e.g. chat_id="@channel", a file_id


async def read_params(request: web.Request) -> JSON:
    """Decode query string, urlencoded/multipart form (PTB) or JSON body into one dict."""
    raw: dict[str, Any] = dict(request.query)
    typed: JSON = {}
    if request.can_read_body:
        if request.content_type == "application/json":
            typed = await request.json()
        else:
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    raw[key] = Upload(value.filename, value.content_type, value.file.read())
                else:
                    raw[key] = value
    params = {k: v if isinstance(v, Upload) else _decode(k, v) for k, v in raw.items()} | typed
    for key, value in params.items():
        if isinstance(value, str) and value.startswith("attach://"):
            params[key] = params.get(value.removeprefix("attach://"), value)
    return params


def _error(fault: Fault) -> web.Response:
    return web.json_response(fault.envelope(), status=fault.status or 400)


def _matches(params: Mapping[str, Any], match: Mapping[str, Any]) -> bool:
    """Each value equals the param, or is a predicate the param satisfies."""
    return all(v(params.get(k)) if callable(v) else params.get(k) == v for k, v in match.items())


def _update_type(update: JSON) -> str:
    return next(k for k in update if k != "update_id")


def _allows(allowed: Sequence[str] | None, update: JSON) -> bool:
    kind = _update_type(update)
    return kind not in NOT_BY_DEFAULT if not allowed else kind in allowed


# ---------------------------------------------------------------- the fake


class FakeBotAPI:
    """State, Bot API methods and the test-side API of the fake server."""

    def __init__(self, token: str = DEFAULT_TOKEN, *, username: str = "sme_assistant_bot") -> None:
        self.token = token
        self.bot_user = b.user(int(token.split(":")[0]), "SME Assistant", username=username, is_bot=True)
        self.url = ""  # set by running_fake()
        self.chats: dict[int, JSON] = {}
        self.users: dict[int, JSON] = {}
        self.members: dict[tuple[int, int], str] = {}
        self.blocked_users: set[int] = set()
        self.updates: list[JSON] = []
        self.next_update_id = 1
        self.messages: dict[tuple[int, int], JSON] = {}
        self.deleted: list[tuple[int, int]] = []
        self.topics: dict[tuple[int, int], JSON] = {}
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.callback_queries: dict[str, JSON] = {}
        self.callback_answers: dict[str, JSON] = {}
        self.webhook: JSON = {}
        self.webhook_attempts: Counter[int] = Counter()
        self.webhook_last_error: tuple[int, str] | None = None
        self.delivered: dict[int, JSON] = {}
        self.calls: list[Call] = []
        self.unknown_methods: list[str] = []
        self.fault_log: list[tuple[str, Fault]] = []
        self.limits: RateLimits | None = None
        self.waiting_polls = 0  # getUpdates requests currently long-polling
        self._sent: list[JSON] = []
        self._message_ids: Counter[int] = Counter()
        self._query_ids = itertools.count(1)
        self._allowed: list[str] | None = None
        self._faults: list[_Armed] = []
        self._chaos: tuple[random.Random, float, tuple[Fault, ...]] | None = None
        self._poll_generation = 0
        self._changes = _Changes()
        self._closing = asyncio.Event()

    # -- server ------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 2**20)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        return app

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    async def close(self) -> None:
        """End pending long polls and delays so the server can shut down at once."""
        self._closing.set()
        self._changes.notify()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error(Fault(401, "Unauthorized"))
        arrived, name = time.monotonic(), request.match_info["method"]
        params = await read_params(request)
        try:
            if name.lower() not in _METHODS:
                self.unknown_methods.append(name)
                return _error(Fault(404, "Not Found"))
            return await self._answer(request, name.lower(), params)
        finally:
            self.calls.append(Call(name, params, arrived))
            self._changes.notify()

    async def _answer(self, request: web.Request, key: str, params: JSON) -> web.StreamResponse:
        fault = self._next_fault(key, params)
        if fault is None:
            return await self._run(key, params)
        self.fault_log.append((_METHODS[key][0], fault))
        if fault.delay_s:
            await self._pause(fault.delay_s)
        if fault.status is None and not fault.drop_connection:
            return await self._run(key, params)  # only delayed
        if fault.after_processing:
            await self._run(key, params)
        if fault.drop_connection:
            assert request.transport is not None
            request.transport.close()  # no response at all: the client sees a protocol error
            return web.Response()
        if fault.raw_body is not None:
            return web.Response(status=fault.status or 200, body=fault.raw_body, content_type="text/html")
        return _error(fault)

    async def _run(self, key: str, params: JSON) -> web.Response:
        try:
            self._check_rate(key, params)
            return web.json_response({"ok": True, "result": await _METHODS[key][1](self, params)})
        except ApiError as error:
            return _error(error.fault)

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        found = next((f for f in self.files.values() if f.file_path == request.match_info["path"]), None)
        return web.Response(body=found.data) if found else web.Response(status=404)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    # -- faults and limits -----------------------------------------------------------------

    def inject(
        self, method: str, fault: Fault, times: int = 1, match: Mapping[str, Any] | None = None
    ) -> None:
        """Answer the next ``times`` calls of ``method`` whose params contain ``match`` with ``fault``
        (a value of ``match`` may be a predicate on the param)."""
        self._faults.append(_Armed(method.lower(), fault, times, dict(match or {})))

    def fail_randomly(self, rate: float, seed: int = 0, kinds: Iterable[Fault] | None = None) -> None:
        """Fail a ``rate`` fraction of send/edit/copy calls with faults drawn from ``kinds`` (seeded)."""
        chosen = tuple(kinds) if kinds is not None else (flood(1), server_error(), bad_gateway(), disconnect())
        self._chaos = (random.Random(seed), rate, chosen) if rate > 0 else None

    def enable_rate_limits(self, limits: RateLimits | None = None) -> RateLimits:
        """Emulate flood limits on the send methods (off by default); returns the counters."""
        self.limits = limits or RateLimits()
        return self.limits

    def _next_fault(self, key: str, params: JSON) -> Fault | None:
        for armed in self._faults:
            if armed.method == key and _matches(params, armed.match):
                armed.times -= 1
                if armed.times <= 0:
                    self._faults.remove(armed)
                return armed.fault
        if self._chaos and key in FLAKY_METHODS:
            rng, rate, kinds = self._chaos
            if rng.random() < rate:
                return rng.choice(kinds)
        return None

    def _check_rate(self, key: str, params: JSON) -> None:
        if self.limits and key in SEND_METHODS and "chat_id" in params:
            retry_after = self.limits.check(params["chat_id"])
            if retry_after is not None:
                raise ApiError(flood(retry_after))

    # -- test-side API: state and updates ---------------------------------------------------

    def add_user(self, user: JSON) -> JSON:
        """Register a user and their private chat with the bot."""
        self.users[user["id"]] = user
        self.chats.setdefault(user["id"], b.private_chat(user))
        return user

    def add_chat(self, chat: JSON, members: Mapping[int, str] | None = None) -> JSON:
        """Register a group; the bot is an administrator unless ``members`` says otherwise."""
        self.chats[chat["id"]] = chat
        self.members[(chat["id"], self.bot_user["id"])] = "administrator"
        for user_id, status in (members or {}).items():
            self.members[(chat["id"], user_id)] = status
        return chat

    def add_file(self, data: bytes, kind: str = "documents", file_name: str | None = None,
                 mime_type: str | None = None) -> StoredFile:
        """Store bytes as a Telegram file (downloadable through getFile)."""
        n = len(self.files) + 1
        suffix = {"photos": ".jpg", "voice": ".oga"}.get(kind, "")
        stored = StoredFile(f"FAKE{kind[:3].upper()}{n:06d}", f"AgADf{n:06d}", f"{kind}/file_{n}{suffix}",
                            data, file_name, mime_type)
        self.files[stored.file_id] = stored
        return stored

    def next_message_id(self, chat_id: int) -> int:
        self._message_ids[chat_id] += 1
        return self._message_ids[chat_id]

    def push_update(self, **payload: Any) -> int:
        """Queue an update (``message=…``, ``callback_query=…``, …); returns its ``update_id``."""
        payload = copy.deepcopy(payload)
        kind, body = next(iter(payload.items()))
        if kind in MESSAGE_UPDATES:
            self._register(body["chat"], body.get("from"))
            self.messages[(body["chat"]["id"], body["message_id"])] = copy.deepcopy(body)
        elif kind == "callback_query":
            self.callback_queries[body["id"]] = body
        elif kind in ("my_chat_member", "chat_member"):
            self._register(body["chat"], body.get("from"))
            member = body["new_chat_member"]
            self.members[(body["chat"]["id"], member["user"]["id"])] = member["status"]
            if kind == "my_chat_member" and body["chat"]["type"] == "private":
                (self.blocked_users.add if member["status"] == "kicked" else self.blocked_users.discard)(
                    body["chat"]["id"])
        update_id, self.next_update_id = self.next_update_id, self.next_update_id + 1
        self.updates.append({"update_id": update_id, **payload})
        self._changes.notify()
        return update_id

    def _register(self, chat: JSON, sender: JSON | None) -> None:
        self.chats.setdefault(chat["id"], chat)
        if sender:
            self.users.setdefault(sender["id"], sender)

    def user_text(self, user: JSON, text: str) -> int:
        """The user writes ``text`` to the bot in private."""
        chat = b.private_chat(user)
        return self.push_update(message=b.text_message(chat, user, text, self.next_message_id(chat["id"])))

    def user_command(self, user: JSON, command: str) -> int:
        """The user sends ``command`` (e.g. ``"/start payload"``) in private."""
        chat = b.private_chat(user)
        msg = b.command_message(chat, user, command, self.next_message_id(chat["id"]))
        return self.push_update(message=msg)

    def staff_text(self, group_id: int, user: JSON, text: str, thread_id: int | None = None) -> int:
        """A staff member writes in a registered group, optionally in a forum topic."""
        chat = self.chats[group_id]
        msg = b.text_message(chat, user, text, self.next_message_id(group_id), thread_id=thread_id)
        return self.push_update(message=msg)

    def callback(self, user: JSON, message: JSON, data: str) -> int:
        """The user presses a button with ``data`` under ``message`` (one the bot sent)."""
        query = b.callback_query(str(next(self._query_ids)), user, message, data)
        return self.push_update(callback_query=query)

    def my_chat_member(self, chat: JSON, user: JSON, old: str, new: str) -> int:
        """The bot's status in ``chat`` changed (``"kicked"`` in a private chat = blocked)."""
        return self.push_update(my_chat_member=b.chat_member_updated(chat, user, self.bot_user, old, new))

    # -- test-side API: observation -----------------------------------------------------------

    def sent(self, chat_id: int | None = None, thread_id: int | None = None) -> list[JSON]:
        """Messages the bot sent (text, media, copies, forwards), in order, in their current state."""
        return [m for m in self._sent
                if (chat_id is None or m["chat"]["id"] == chat_id)
                and (thread_id is None or m.get("message_thread_id") == thread_id)]

    async def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Wait until ``predicate()`` is truthy (re-checked on every call and update); return it."""
        try:
            return await self._changes.wait_until(predicate, timeout)
        except TimeoutError:
            recent = [c.method for c in self.calls[-10:]]
            raise TimeoutError(f"condition not met within {timeout}s; last calls: {recent}") from None

    async def wait_for_call(self, method: str, timeout: float = 5.0, **match: Any) -> Call:
        """Wait for a call of ``method`` (any case) whose params contain ``match``; return it."""
        def found() -> Call | None:
            return next((c for c in self.calls if c.method.lower() == method.lower()
                         and _matches(c.params, match)), None)
        return await self.wait_for(found, timeout)

    # -- test-side API: webhook delivery ------------------------------------------------------

    async def deliver_webhook(self, urls: Sequence[str] | None = None) -> int:
        """POST pending updates in order to the webhook; stop at the first failure (kept for a
        retry, attempt counted). Returns how many were accepted.

        With `urls` (several bot processes behind a load balancer), update i goes to
        urls[i % n], failing over to the next URL when a process does not answer."""
        if not self.webhook:
            raise RuntimeError("no webhook is set")
        targets = list(urls or [self.webhook["url"]])
        delivered = 0
        async with aiohttp.ClientSession() as session:
            pending = [u for u in self.updates if _allows(self.webhook.get("allowed_updates"), u)]
            for index, update in enumerate(pending):
                for turn in range(len(targets)):
                    url = targets[(index + turn) % len(targets)]
                    if 200 <= await self._post_update(session, update, url) < 300:
                        break
                else:
                    break
                self.updates.remove(update)
                self.delivered[update["update_id"]] = update
                delivered += 1
        self._changes.notify()
        return delivered

    async def redeliver(self, update_id: int, url: str | None = None) -> int:
        """Send an already delivered update again (Telegram is at-least-once); returns the status."""
        async with aiohttp.ClientSession() as session:
            return await self._post_update(session, self.delivered[update_id], url)

    async def _post_update(self, session: aiohttp.ClientSession, update: JSON,
                           url: str | None = None) -> int:
        headers = {"Content-Type": "application/json"}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
        self.webhook_attempts[update["update_id"]] += 1
        body = json.dumps(update).encode()
        try:
            async with session.post(url or self.webhook["url"], data=body,
                                    headers=headers) as resp:
                status, error = resp.status, f"Wrong response from the webhook: {resp.status} {resp.reason}"
        except aiohttp.ClientError as exc:
            status, error = 0, f"Connection failed: {exc}"
        if not 200 <= status < 300:
            self.webhook_last_error = (int(time.time()), error)
        return status

    # -- shared validation ----------------------------------------------------------------------

    def _chat(self, chat_id: Any) -> JSON:
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            found = next((c for c in self.chats.values() if c.get("username") == chat_id[1:]), None)
        else:
            found = self.chats.get(int(chat_id)) if str(chat_id).lstrip("-").isdigit() else None
        if found is None:
            raise bad_request("chat not found")
        return found

    def _target(self, p: JSON) -> tuple[JSON, int | None]:
        """The chat (and forum topic) a message goes to, checking blocks and threads."""
        chat = self._chat(p.get("chat_id"))
        if chat["type"] == "private" and chat["id"] in self.blocked_users:
            raise ApiError(blocked())
        thread_id = p.get("message_thread_id")
        if thread_id is not None and chat.get("is_forum") and (chat["id"], thread_id) not in self.topics:
            raise bad_request("message thread not found")
        return chat, thread_id

    def _formatted(self, p: JSON, key: str, limit: int, required: bool) -> tuple[str | None, list[JSON]]:
        raw = p.get(key)
        if raw in (None, "") and not required:
            return None, []
        text, entities = parse_formatted(str(raw or ""), p.get("parse_mode"),
                                         p.get("entities" if key == "text" else "caption_entities"))
        if required and not text.strip():
            raise bad_request("message text is empty")
        if len(text) > limit:
            raise bad_request("message is too long" if key == "text" else "message caption is too long")
        return text, entities

    def _markup(self, p: JSON) -> JSON | None:
        """Validate ``reply_markup``; return it when Telegram echoes it (inline keyboards)."""
        markup = p.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard", markup.get("keyboard", []))
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request("can't parse inline keyboard: rows must be arrays of buttons")
        for button in itertools.chain.from_iterable(rows):
            text = button if isinstance(button, str) else button.get("text")
            if not text:
                raise bad_request("text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data") if isinstance(button, dict) else None
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise bad_request("BUTTON_DATA_INVALID")
        return markup if "inline_keyboard" in markup else None

    def _reply_to(self, chat: JSON, p: JSON) -> JSON | None:
        reply = p.get("reply_parameters") or {}
        if "message_id" not in reply:
            return None
        original = self.messages.get((reply.get("chat_id", chat["id"]), reply["message_id"]))
        if original is None and not reply.get("allow_sending_without_reply"):
            raise bad_request("message to be replied not found")
        return original

    def _new_message(self, chat: JSON, thread_id: int | None, p: JSON, **content: Any) -> JSON:
        sender = {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")}
        content = {k: v for k, v in content.items() if v not in (None, [])}
        content.update(reply_to_message=self._reply_to(chat, p), reply_markup=self._markup(p))
        msg = b.message(chat, sender, self.next_message_id(chat["id"]), thread_id=thread_id, **content)
        self.messages[(chat["id"], msg["message_id"])] = msg
        self._sent.append(msg)
        return msg

    def _message(self, p: JSON, chat_key: str, action: str) -> JSON:
        chat = self._chat(p.get(chat_key))
        msg = self.messages.get((chat["id"], p.get("message_id")))
        if msg is None:
            raise bad_request(f"message to {action} not found")
        return msg

    def _edit(self, msg: JSON, changes: JSON) -> JSON:
        if msg["from"]["id"] != self.bot_user["id"]:
            raise bad_request("message can't be edited")
        if all(msg.get(k) == (v or None) for k, v in changes.items()):
            raise ApiError(not_modified())
        for key, value in changes.items():
            if value:
                msg[key] = value
            else:
                msg.pop(key, None)
        msg["edit_date"] = int(time.time())
        return msg

    def _input_file(self, value: Any, kind: str) -> StoredFile:
        if isinstance(value, Upload):
            return self.add_file(value.data, f"{kind}s", value.filename, value.content_type)
        if isinstance(value, str) and value in self.files:
            return self.files[value]
        if value is None:
            raise bad_request(f"there is no {kind} in the request")
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _topic(self, p: JSON) -> tuple[tuple[int, int], JSON]:
        chat = self._chat(p.get("chat_id"))
        if not chat.get("is_forum"):
            raise bad_request("the chat is not a forum")
        key = (chat["id"], p.get("message_thread_id"))
        if key not in self.topics:
            raise bad_request("message thread not found")
        return key, self.topics[key]

    # -- Bot API: bot, updates, webhook -------------------------------------------------------------

    @api("getMe")
    async def _get_me(self, p: JSON) -> JSON:
        return {**self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}

    @api("getUpdates")
    async def _get_updates(self, p: JSON) -> list[JSON]:
        if self.webhook.get("url"):
            raise ApiError(Fault(409, WEBHOOK_CONFLICT))
        offset, limit = int(p.get("offset", 0)), min(max(int(p.get("limit", 100)), 1), 100)
        if "allowed_updates" in p:
            self._allowed = list(p["allowed_updates"])
        if offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        elif offset < 0:
            self.updates = self.updates[offset:]
        self._poll_generation += 1  # an older long poll now ends with 409
        generation = self._poll_generation

        def ready() -> list[JSON] | bool:
            if generation != self._poll_generation:
                raise ApiError(Fault(409, POLL_CONFLICT))
            if self.webhook.get("url"):
                raise ApiError(Fault(409, WEBHOOK_CONFLICT))
            return [u for u in self.updates if _allows(self._allowed, u)][:limit] or self._closing.is_set()

        self.waiting_polls += 1
        self._changes.notify()
        try:
            with contextlib.suppress(TimeoutError):
                await self._changes.wait_until(ready, max(float(p.get("timeout", 0)), 0))
        finally:
            self.waiting_polls -= 1
        batch = ready()
        return batch if isinstance(batch, list) else []

    @api("setWebhook")
    async def _set_webhook(self, p: JSON) -> bool:
        secret = p.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad_request("secret token contains unallowed characters")
        if p.get("drop_pending_updates"):
            self.updates.clear()
        self.webhook = {"url": p["url"], "secret_token": secret, "allowed_updates": p.get("allowed_updates"),
                        "max_connections": p.get("max_connections", 40)} if p.get("url") else {}
        return True

    @api("deleteWebhook")
    async def _delete_webhook(self, p: JSON) -> bool:
        if p.get("drop_pending_updates"):
            self.updates.clear()
        self.webhook = {}
        return True

    @api("getWebhookInfo")
    async def _get_webhook_info(self, p: JSON) -> JSON:
        info: JSON = {"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                      "pending_update_count": len(self.updates)}
        if self.webhook:
            info.update(max_connections=self.webhook["max_connections"])
            if self.webhook["allowed_updates"] is not None:
                info["allowed_updates"] = self.webhook["allowed_updates"]
        if self.webhook_last_error:
            info["last_error_date"], info["last_error_message"] = self.webhook_last_error
        return info

    # -- Bot API: messages ------------------------------------------------------------------------

    @api("sendMessage")
    async def _send_message(self, p: JSON) -> JSON:
        chat, thread_id = self._target(p)
        text, entities = self._formatted(p, "text", 4096, required=True)
        return self._new_message(chat, thread_id, p, text=text, entities=entities)

    async def _send_media(self, p: JSON, kind: str) -> JSON:
        chat, thread_id = self._target(p)
        caption, entities = self._formatted(p, "caption", 1024, required=False)
        file = self._input_file(p.get(kind), kind)
        if kind == "photo":
            media: Any = b.photo_sizes(file.ref())
        else:
            mime_type = file.mime_type or "application/octet-stream"
            media = b.document(file.ref(), file.file_name or "file", mime_type)
        content = {"caption": caption, "caption_entities": entities, kind: media}
        return self._new_message(chat, thread_id, p, **content)

    @api("sendPhoto")
    async def _send_photo(self, p: JSON) -> JSON:
        return await self._send_media(p, "photo")

    @api("sendDocument")
    async def _send_document(self, p: JSON) -> JSON:
        return await self._send_media(p, "document")

    @api("copyMessage")
    async def _copy_message(self, p: JSON) -> JSON:
        source = self._message(p, "from_chat_id", "copy")
        chat, thread_id = self._target(p)
        content = {k: source[k] for k in CONTENT_KEYS if k in source}
        if not content:
            raise bad_request("message can't be copied")
        if "caption" in p:
            caption = self._formatted(p, "caption", 1024, required=False)
            content["caption"], content["caption_entities"] = caption
        return {"message_id": self._new_message(chat, thread_id, p, **content)["message_id"]}

    @api("forwardMessage")
    async def _forward_message(self, p: JSON) -> JSON:
        source = self._message(p, "from_chat_id", "forward")
        chat, thread_id = self._target(p)
        origin = {"type": "user", "sender_user": source["from"], "date": source["date"]}
        content = {k: source[k] for k in CONTENT_KEYS if k in source}
        return self._new_message(chat, thread_id, p, forward_origin=origin, **content)

    @api("editMessageText")
    async def _edit_message_text(self, p: JSON) -> JSON:
        msg = self._message(p, "chat_id", "edit")
        if "text" not in msg:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._formatted(p, "text", 4096, required=True)
        return self._edit(msg, {"text": text, "entities": entities, "reply_markup": self._markup(p)})

    @api("editMessageReplyMarkup")
    async def _edit_message_reply_markup(self, p: JSON) -> JSON:
        msg = self._message(p, "chat_id", "edit")
        return self._edit(msg, {"reply_markup": self._markup(p)})

    @api("deleteMessage")
    async def _delete_message(self, p: JSON) -> bool:
        msg = self._message(p, "chat_id", "delete")
        key = (msg["chat"]["id"], msg["message_id"])
        del self.messages[key]
        self.deleted.append(key)
        return True

    @api("answerCallbackQuery")
    async def _answer_callback_query(self, p: JSON) -> bool:
        query_id = p.get("callback_query_id")
        if query_id not in self.callback_queries:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        if len(p.get("text", "")) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = p
        return True

    @api("sendChatAction")
    async def _send_chat_action(self, p: JSON) -> bool:
        self._target(p)
        if not p.get("action"):
            raise bad_request("action is empty")
        return True

    # -- Bot API: files, commands, chats ------------------------------------------------------------

    @api("getFile")
    async def _get_file(self, p: JSON) -> JSON:
        found = self.files.get(p.get("file_id", ""))
        if found is None:
            raise bad_request("invalid file_id")
        return {**found.ref(), "file_path": found.file_path}

    @api("setMyCommands")
    async def _set_my_commands(self, p: JSON) -> bool:
        commands = p.get("commands") or []
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")) or not (
                    1 <= len(command.get("description", "")) <= 256):
                raise bad_request("BOT_COMMAND_INVALID")
        self.commands[self._commands_key(p)] = commands
        return True

    @api("deleteMyCommands")
    async def _delete_my_commands(self, p: JSON) -> bool:
        self.commands.pop(self._commands_key(p), None)
        return True

    @api("getMyCommands")
    async def _get_my_commands(self, p: JSON) -> list[JSON]:
        return self.commands.get(self._commands_key(p), [])

    @staticmethod
    def _commands_key(p: JSON) -> tuple[str, str]:
        return json.dumps(p.get("scope") or {"type": "default"}, sort_keys=True), p.get("language_code", "")

    @api("getChat")
    async def _get_chat(self, p: JSON) -> JSON:
        gifts = dict.fromkeys(("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription",
                                "gifts_from_channels"), False)
        return {**self._chat(p.get("chat_id")), "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": gifts}

    @api("getChatMember")
    async def _get_chat_member(self, p: JSON) -> JSON:
        chat, user_id = self._chat(p.get("chat_id")), int(p.get("user_id", 0))
        default = "member" if chat["id"] == user_id else "left"
        user = self.bot_user if user_id == self.bot_user["id"] else self.users.get(user_id, b.user(user_id))
        return b.chat_member(user, self.members.get((chat["id"], user_id), default))

    # -- Bot API: forum topics --------------------------------------------------------------------

    @api("createForumTopic")
    async def _create_forum_topic(self, p: JSON) -> JSON:
        chat = self._chat(p.get("chat_id"))
        if not chat.get("is_forum"):
            raise bad_request("the chat is not a forum")
        if not 1 <= len(p.get("name", "")) <= 128:
            raise bad_request("TOPIC_NAME_INVALID")
        thread_id = self.next_message_id(chat["id"])  # a topic's id is its service message's id
        topic = {"message_thread_id": thread_id, "name": p["name"],
                 "icon_color": p.get("icon_color", 7322096)}
        if p.get("icon_custom_emoji_id"):
            topic["icon_custom_emoji_id"] = p["icon_custom_emoji_id"]
        self.topics[(chat["id"], thread_id)] = {**topic, "is_closed": False}
        return topic

    @api("editForumTopic")
    async def _edit_forum_topic(self, p: JSON) -> bool:
        _, topic = self._topic(p)
        changes = {k: p[k] for k in ("name", "icon_custom_emoji_id") if k in p}
        if "name" in changes and not 1 <= len(changes["name"]) <= 128:
            raise bad_request("TOPIC_NAME_INVALID")
        if all(topic.get(k) == v for k, v in changes.items()):
            raise bad_request("TOPIC_NOT_MODIFIED")
        topic.update(changes)
        return True

    async def _set_closed(self, p: JSON, closed: bool) -> bool:
        _, topic = self._topic(p)
        if topic["is_closed"] == closed:
            raise bad_request("TOPIC_NOT_MODIFIED")
        topic["is_closed"] = closed
        return True

    @api("closeForumTopic")
    async def _close_forum_topic(self, p: JSON) -> bool:
        return await self._set_closed(p, True)

    @api("reopenForumTopic")
    async def _reopen_forum_topic(self, p: JSON) -> bool:
        return await self._set_closed(p, False)

    @api("deleteForumTopic")
    async def _delete_forum_topic(self, p: JSON) -> bool:
        (chat_id, thread_id), _ = self._topic(p)
        del self.topics[(chat_id, thread_id)]
        in_topic = [k for k, m in self.messages.items()
                    if k[0] == chat_id and m.get("message_thread_id") == thread_id]
        for key in in_topic:
            del self.messages[key]
        return True


@asynccontextmanager
async def running_fake(fake: FakeBotAPI | None = None, *, strict: bool = True) -> AsyncIterator[FakeBotAPI]:
    """Serve ``fake`` on 127.0.0.1 (ephemeral port) and set ``fake.url``.

    With ``strict``, the test fails at teardown if the bot called a method the fake does not
    know (PTB reports those 404s as ``InvalidToken``, which is easy to miss).
    """
    fake = fake or FakeBotAPI()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    fake.url = str(server.make_url("")).rstrip("/")
    try:
        yield fake
    finally:
        await fake.close()
        await server.close()
    if strict and fake.unknown_methods:
        pytest.fail(f"the bot called Bot API methods the fake does not implement: {fake.unknown_methods}")
