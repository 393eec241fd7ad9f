"""A real HTTP fake of the Telegram Bot API, for a bot running in another process.

Wiring::

    with FakeTelegramServer(TOKEN) as tg:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": tg.base_url}
        proc = subprocess.Popen([sys.executable, "-m", "bot"], env=env)
        tg.wait_for_call("getUpdates")                   # the bot is polling
        after = tg.send_command("/start", user_id=7, chat_id=7)
        reply = tg.wait_for_message(7, lambda m: "Welcome" in (m.text or ""), after=after)
        query = tg.press_button(user_id=7, chat_id=7, message_id=reply.message_id,
                                data=find_button(reply, "Buy"))
        tg.wait_for_callback_answer(query)

PTB posts to `<base_url><token>/<method>`; `base_url` ends in "/bot". Semantics (messages,
edits, commands, faults) come from `BotApiEmulator`, shared with the in-process fake; this module
adds the HTTP layer, the update queue with real long polling, and thread-safe waiting helpers.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final, TypeVar
from urllib.parse import parse_qsl, urlsplit

from testkit import updates
from testkit.fake_bot_api import (
    ApiError,
    BotApiEmulator,
    SentMessage,
    find_button,
)
from testkit.telegram_limits import LIMITED_METHODS, SendLimiter, TelegramLimits
from testkit.updates import BOT_FIRST_NAME, BOT_ID, BOT_USERNAME, JSONDict

__all__ = ["FakeTelegramServer", "SentMessage", "find_button"]

_T = TypeVar("_T")
_PATH: Final = re.compile(r"/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)/?")
_NOT_FOUND: Final = {"ok": False, "error_code": 404, "description": "Not Found"}
_UNAUTHORIZED: Final = {"ok": False, "error_code": 401, "description": "Unauthorized"}
# Telegram answers 401 to a well-formed but wrong token and 404 to anything else.
_TOKEN_SHAPE: Final = re.compile(r"[0-9]+:[A-Za-z0-9_-]+")
_CONFLICT: Final = ApiError(
    409,
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running",
)
# PTB form-encodes strings as-is and everything else as JSON, so a text like "42" or "true"
# must not be JSON-decoded. Every other field is decoded when it parses as JSON.
_STRING_FIELDS: Final = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "language_code",
        "action",
        "business_connection_id",
        "message_effect_id",
        "description",
        "short_description",
        "name",
    }
)
_DEFAULT_LIMIT: Final = 100
_WEBHOOK_ACTIVE: Final = ApiError(
    409,
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first",
)
_UNSET: Final = object()


def _decode_form(pairs: list[tuple[str, str]]) -> JSONDict:
    params: JSONDict = {}
    for key, value in pairs:
        if key in _STRING_FIELDS:
            params[key] = value
            continue
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value  # e.g. chat_id="@channel"
    return params


def parse_params(content_type: str, body: bytes, query: str) -> JSONDict:
    """Bot API parameters from a query string plus a form-urlencoded or JSON body."""
    params = _decode_form(parse_qsl(query, keep_blank_values=True))
    media_type = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return params
    if media_type == "application/json":
        decoded = json.loads(body)
        if not isinstance(decoded, dict):
            raise ValueError("JSON body must be an object")
        params.update(decoded)
    elif media_type in ("application/x-www-form-urlencoded", ""):
        params.update(_decode_form(parse_qsl(body.decode(), keep_blank_values=True)))
    elif media_type == "multipart/form-data":
        params.update(_decode_multipart(content_type, body))
    else:
        raise ValueError(f"unsupported content type {media_type!r}")
    return params


def _decode_multipart(content_type: str, body: bytes) -> JSONDict:
    """A file upload (sendPhoto, sendDocument): fields decoded like a form, each file
    part given as `upload:<file name>` (what the emulator expects of an upload)."""
    message = email.message_from_bytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body, policy=email.policy.HTTP
    )
    if not message.is_multipart():
        raise ValueError("malformed multipart body")
    pairs: list[tuple[str, str]] = []
    files: JSONDict = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise ValueError("multipart part without a name")
        filename = part.get_filename()
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        if filename is not None:
            files[name] = f"upload:{filename}"
        else:
            pairs.append((name, content.decode()))
    return {**_decode_form(pairs), **files}


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, owner: FakeTelegramServer, host: str) -> None:
        self.owner = owner
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__((host, 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    # Keep-alive like api.telegram.org; httpx reuses connections between calls.
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm plus delayed
        # ACKs add ~40 ms to every keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, payload = self.server.owner.dispatch(
            split.path, self.headers.get("Content-Type", ""), body, split.query
        )
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            # The client gave up (PTB cancels its long poll on shutdown); nothing to answer.
            self.close_connection = True


class FakeTelegramServer:
    """Emulates the Bot API over HTTP on 127.0.0.1. All public methods are thread-safe."""

    def __init__(
        self,
        token: str,
        *,
        bot_id: int | None = None,
        username: str = BOT_USERNAME,
        first_name: str = BOT_FIRST_NAME,
        host: str = "127.0.0.1",
        limits: TelegramLimits | None = None,
    ) -> None:
        """With `limits`, sends beyond Telegram's rate limits are answered 429 (see
        `testkit.telegram_limits`); without, every send goes through."""
        if bot_id is None:
            # A token starts with the bot's id, as on Telegram.
            prefix = token.split(":", 1)[0]
            bot_id = int(prefix) if prefix.isdigit() else BOT_ID
        self.token = token
        self._host = host
        self._cond = threading.Condition()
        self._emulator = BotApiEmulator(
            bot=updates.bot_user(bot_id, username, first_name), strict=True
        )
        self._updates: list[JSONDict] = []
        self._last_update_id = 0
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self._method_counts: Counter[str] = Counter()
        self.timeout_delay = 6.0  # seconds a timed-out call waits before its late answer
        self._limiter = SendLimiter(limits) if limits is not None else None
        self._stopping = False
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> str:
        """Start serving on a free port; returns the base URL for TELEGRAM_BASE_URL."""
        if self._httpd is not None:
            return self.base_url
        self._httpd = _HTTPServer(self, self._host)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="FakeTelegramServer",
            daemon=True,
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        with self._cond:
            self._stopping = True  # waiting long polls return [] now
            self._cond.notify_all()
        httpd.shutdown()
        httpd.server_close()
        # Idle keep-alive connections would pin their handler threads; wake them with EOF.
        with httpd.connections_lock:
            for conn in list(httpd.connections):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeTelegramServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """E.g. "http://127.0.0.1:43210/bot"; PTB appends "<token>/<method>"."""
        if self._httpd is None:
            raise RuntimeError("FakeTelegramServer is not started")
        return f"http://{self._host}:{self._httpd.server_address[1]}/bot"

    # -- HTTP side -----------------------------------------------------------------------------

    def dispatch(
        self, path: str, content_type: str, body: bytes, query: str = ""
    ) -> tuple[int, JSONDict]:
        """Answer one Bot API request; returns (HTTP status, JSON body)."""
        match = _PATH.fullmatch(path)
        if match is None:
            return 404, dict(_NOT_FOUND)
        if match["token"] != self.token:
            if not _TOKEN_SHAPE.fullmatch(match["token"]):
                return 404, dict(_NOT_FOUND)
            return 401, dict(_UNAUTHORIZED)
        try:
            params = parse_params(content_type, body, query)
        except ValueError as exc:
            return 400, ApiError(400, f"Bad Request: {exc}").payload()
        with self._cond:
            timeout = self._emulator.take_timeout(match["method"])
        if timeout is not None:
            return self._time_out(match["method"], params, delivered=timeout)
        with self._cond:
            method = self._emulator.canonical(match["method"]) or match["method"]
            self._method_counts[method] += 1
            self._cond.notify_all()
            if method == "getUpdates":
                try:
                    return self._get_updates(params)
                except (TypeError, ValueError) as exc:
                    return 400, ApiError(400, f"Bad Request: {exc}").payload()
            refusal = self._rate_limit(method, params)
            if refusal is not None:
                return refusal.status, refusal.payload()
            try:
                result = self._emulator.handle(method, params)
            except ApiError as error:
                return error.status, error.payload()
            finally:
                self._cond.notify_all()  # wake wait_for_* helpers
            if method == "deleteWebhook" and params.get("drop_pending_updates"):
                self._updates.clear()
            elif method == "getWebhookInfo":
                result["pending_update_count"] = len(self._updates)
            return 200, {"ok": True, "result": result}

    def _rate_limit(self, method: str, params: JSONDict) -> ApiError | None:
        """Telegram's 429 for a send over its limits; called with the lock held."""
        if self._limiter is None or method not in LIMITED_METHODS:
            return None
        try:
            chat_id = int(params.get("chat_id", 0))
        except (TypeError, ValueError):
            return None  # "@channel" and the like: the emulator answers
        retry = self._limiter.admit(chat_id, self._emulator.chat_type(chat_id))
        if retry is None:
            return None
        return ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)

    def too_many_requests(self) -> dict[str, int]:
        """429s sent for Telegram's rate limits, by rule (overall, private, group)."""
        with self._cond:
            return dict(self._limiter.refused) if self._limiter is not None else {}

    def _time_out(self, method: str, params: JSONDict, *, delivered: bool) -> tuple[int, JSONDict]:
        """Answer only after the client gave up (its read timeout); with `delivered` the
        call takes effect first, as when Telegram acted but the answer was lost."""
        with self._cond:
            self._method_counts[self._emulator.canonical(method) or method] += 1
            if delivered:
                with contextlib.suppress(ApiError):
                    self._emulator.handle(method, params)
            self._cond.notify_all()
        time.sleep(self.timeout_delay)
        return 504, ApiError(504, "Gateway Timeout").payload()

    def _get_updates(self, params: JSONDict) -> tuple[int, JSONDict]:
        """Long polling, called with the lock held; `wait` releases it while blocking."""
        fault = self._emulator.take_fault("getUpdates")
        if fault is not None:
            return fault.status, fault.payload()
        if self._emulator.webhook:
            return _WEBHOOK_ACTIVE.status, _WEBHOOK_ACTIVE.payload()
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or _DEFAULT_LIMIT), 1), _DEFAULT_LIMIT)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        if params.get("allowed_updates") is not None:
            self._allowed_updates = list(params["allowed_updates"])
        # Like Telegram, a newer getUpdates terminates one still waiting (409 Conflict).
        self._poll_generation += 1
        generation = self._poll_generation
        self._cond.notify_all()
        if offset > 0:  # confirms every update below `offset`
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:  # keeps only the last -offset updates
            self._updates = self._updates[offset:]
        if self._allowed_updates:
            allowed = set(self._allowed_updates)
            self._updates = [u for u in self._updates if updates.update_type(u) in allowed]
        while True:
            if generation != self._poll_generation:
                return _CONFLICT.status, _CONFLICT.payload()
            remaining = deadline - time.monotonic()
            if self._updates or self._stopping or remaining <= 0:
                return 200, {"ok": True, "result": self._updates[:limit]}
            self._cond.wait(remaining)

    # -- sending updates -----------------------------------------------------------------------

    def send_update(self, raw: JSONDict) -> int:
        """Queue a raw update for getUpdates; its update_id is reassigned to stay monotonic."""
        with self._cond:
            self._last_update_id += 1
            raw = {**raw, "update_id": self._last_update_id}
            self._updates.append(raw)
            self._cond.notify_all()
            return self._last_update_id

    def _user_message(
        self,
        text: str,
        *,
        command: bool,
        user_id: int,
        chat_id: int,
        language_code: str,
        chat_type: str,
    ) -> int:
        with self._cond:
            self._emulator.chat_types[chat_id] = chat_type
            message_id = self._emulator.allocate_message_id(chat_id)
            build = updates.command_update if command else updates.text_update
            self.send_update(
                build(
                    text,
                    user_id=user_id,
                    chat_id=chat_id,
                    language_code=language_code,
                    chat_type=chat_type,
                    update_id=0,
                    message_id=message_id,
                )
            )
            return message_id

    def send_command(
        self,
        text: str,
        *,
        user_id: int,
        chat_id: int,
        language_code: str = "en",
        chat_type: str = "private",
    ) -> int:
        """The user sends "/cmd args" (with its bot_command entity). Returns the message id,
        usable as `wait_for_message(..., after=...)` since ids are shared per chat."""
        return self._user_message(
            text,
            command=True,
            user_id=user_id,
            chat_id=chat_id,
            language_code=language_code,
            chat_type=chat_type,
        )

    def send_text(
        self,
        text: str,
        *,
        user_id: int,
        chat_id: int,
        language_code: str = "en",
        chat_type: str = "private",
    ) -> int:
        """The user sends plain text. Returns the message id (see `send_command`)."""
        return self._user_message(
            text,
            command=False,
            user_id=user_id,
            chat_id=chat_id,
            language_code=language_code,
            chat_type=chat_type,
        )

    def press_button(
        self,
        *,
        user_id: int,
        chat_id: int,
        message_id: int,
        data: str,
        language_code: str = "en",
    ) -> str:
        """The user presses a button of a live bot message. Returns the callback query id."""
        with self._cond:
            current = self._emulator.message_dict(chat_id, message_id)
            if current is None:
                raise AssertionError(f"no live bot message {message_id} in chat {chat_id}")
            query_id = updates.next_callback_query_id()
            self._emulator.known_queries.add(query_id)
            self.send_update(
                {
                    "update_id": 0,
                    "callback_query": {
                        "id": query_id,
                        "from": updates.user(user_id, language_code=language_code),
                        "chat_instance": f"ci-{chat_id}",
                        "data": data,
                        "message": current,
                    },
                }
            )
            return query_id

    # -- webhook delivery ----------------------------------------------------------------------

    def webhook(self) -> JSONDict:
        """The webhook the bot set (url, secret_token, allowed_updates, ...); {} if none."""
        with self._cond:
            return dict(self._emulator.webhook)

    def post_to_webhook(
        self, raw: JSONDict, *, secret_token: object = _UNSET, timeout: float = 10.0
    ) -> int:
        """POST one update to the bot's webhook as Telegram does, with the secret token
        the bot set (or `secret_token`: None sends no header); returns the HTTP status."""
        hook = self.webhook()
        if not hook:
            raise AssertionError("the bot has set no webhook")
        token = hook.get("secret_token") if secret_token is _UNSET else secret_token
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = str(token)
        with self._cond:
            self._last_update_id += 1
            raw = {**raw, "update_id": self._last_update_id}
        request = urllib.request.Request(
            str(hook["url"]), data=json.dumps(raw).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    def webhook_command(
        self, text: str, *, user_id: int, chat_id: int, secret_token: object = _UNSET
    ) -> tuple[int, int]:
        """The user sends "/cmd", delivered by webhook; returns (HTTP status, message id)."""
        with self._cond:
            self._emulator.chat_types[chat_id] = "private"
            message_id = self._emulator.allocate_message_id(chat_id)
        raw = updates.command_update(
            text, user_id=user_id, chat_id=chat_id, update_id=0, message_id=message_id
        )
        return self.post_to_webhook(raw, secret_token=secret_token), message_id

    # -- observing the bot ---------------------------------------------------------------------

    def messages(self, chat_id: int) -> list[SentMessage]:
        """Every message the bot sent to `chat_id`, in order, with edit history."""
        with self._cond:
            return self._emulator.messages(chat_id)

    def callback_answers(self, query_id: str) -> list[JSONDict]:
        """answerCallbackQuery params (text, show_alert, ...) for `query_id`, in order."""
        with self._cond:
            return [dict(a) for a in self._emulator.callback_answers.get(query_id, [])]

    def method_counts(self) -> dict[str, int]:
        with self._cond:
            return dict(self._method_counts)

    def commands(self) -> dict[tuple[str, str], list[JSONDict]]:
        """setMyCommands state keyed by (scope_key, language_code), e.g. ("default", "en")."""
        with self._cond:
            return {key: list(value) for key, value in self._emulator.commands.items()}

    def pending_updates(self) -> list[JSONDict]:
        """Updates not yet confirmed by a getUpdates offset."""
        with self._cond:
            return list(self._updates)

    def _wait(
        self, probe: Callable[[], _T | None], timeout: float, failure: Callable[[], str]
    ) -> _T:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = probe()
                if found is not None:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(failure())
                self._cond.wait(remaining)

    def wait_for_message(
        self,
        chat_id: int,
        predicate: Callable[[SentMessage], bool] | None = None,
        timeout: float = 10.0,
        after: int | None = None,
    ) -> SentMessage:
        """First bot message in `chat_id` (current state, so edits count) matching `predicate`,
        only among messages with message_id > `after` if given."""

        def probe() -> SentMessage | None:
            for sent in self._emulator.messages(chat_id):
                if after is not None and sent.message_id <= after:
                    continue
                if predicate is None or predicate(sent):
                    return sent
            return None

        return self._wait(
            probe,
            timeout,
            lambda: (
                f"no matching message in chat {chat_id} within {timeout}s (after={after}); "
                f"seen: {self._emulator.messages(chat_id)}"
            ),
        )

    def wait_for_callback_answer(self, query_id: str, timeout: float = 10.0) -> JSONDict:
        def probe() -> JSONDict | None:
            answers = self._emulator.callback_answers.get(query_id)
            return dict(answers[-1]) if answers else None

        return self._wait(
            probe, timeout, lambda: f"callback query {query_id} not answered within {timeout}s"
        )

    def wait_for_call(self, method: str, *, count: int = 1, timeout: float = 10.0) -> None:
        """Block until the bot called `method` at least `count` times (e.g. "getUpdates")."""

        def probe() -> bool | None:
            return True if self._method_counts[method] >= count else None

        self._wait(
            probe,
            timeout,
            lambda: (
                f"{method} called {self._method_counts[method]}/{count} times within "
                f"{timeout}s; calls: {dict(self._method_counts)}"
            ),
        )

    # -- fault switches ------------------------------------------------------------------------

    def block_chat(self, chat_id: int) -> None:
        """sendMessage/sendChatAction to `chat_id` answer 403 "bot was blocked by the user"."""
        with self._cond:
            self._emulator.blocked.add(chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        with self._cond:
            self._emulator.blocked.discard(chat_id)

    def revoke_token(self) -> None:
        """From now on the bot's token is refused with 401, as after a revoke in
        @BotFather; a long poll waiting now is ended (409) so the next call sees it."""
        with self._cond:
            self.token = f"{self.token}-revoked"
            self._poll_generation += 1
            self._cond.notify_all()

    def fail_next(
        self,
        method: str,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """The next call of `method` (getUpdates included) fails with `status`."""
        with self._cond:
            self._emulator.fail_next(method, status, description, retry_after)

    def migrate_chat(self, chat_id: int, new_chat_id: int) -> None:
        """The group `chat_id` became the supergroup `new_chat_id`: sends to the old id
        answer 400 with `parameters.migrate_to_chat_id`, as Telegram does."""
        with self._cond:
            self._emulator.migrate_chat(chat_id, new_chat_id)

    def time_out_next(self, method: str, *, delivered: bool, delay: float = 6.0) -> None:
        """The next call of `method` is answered only after `delay` seconds (beyond the
        bot's read timeout, so it raises TimedOut); with `delivered` it takes effect."""
        with self._cond:
            self.timeout_delay = delay
            self._emulator.time_out_next(method, delivered=delivered)
