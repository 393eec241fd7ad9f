"""In-process fake of the Telegram Bot API, plugged into PTB as its request backend.

Wiring::

    api = FakeBotApi()
    app = (
        ApplicationBuilder().token("123:abc").request(api)
        .get_updates_request(FakeBotApi()).build()
    )
    async with app:
        await app.process_update(ptb_command_update(app.bot, "/start", user_id=1, chat_id=1))
    assert api.last_text(1) == "Welcome"

`BotApiEmulator` holds the Bot API semantics (message store, edits, commands, callback answers,
faults) and is shared with the HTTP fake in `telegram_server.py`, so both fakes answer alike.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

from testkit import updates
from testkit.updates import BOT_FIRST_NAME, BOT_ID, BOT_USERNAME, JSONDict

MAX_TEXT_LENGTH: Final = 4096  # UTF-16 code units after entity parsing
MAX_CALLBACK_DATA: Final = 64  # bytes
MAX_BUTTONS: Final = 100  # inline keyboard buttons per message
MAX_CAPTION_LENGTH: Final = 1024  # a photo's or document's caption, after entity parsing
TOO_LONG: Final = "Bad Request: message is too long"
MIGRATED: Final = "Bad Request: group chat was upgraded to a supergroup chat"
MARKUP_TOO_LONG: Final = "Bad Request: reply markup is too long"
# Tags Telegram's HTML parse mode accepts; anything else is "Unsupported start tag".
_HTML_TAGS: Final = frozenset({
    "a", "b", "blockquote", "code", "del", "em", "i", "ins", "pre", "s", "span", "strike",
    "strong", "tg-emoji", "tg-spoiler", "u",
})  # fmt: skip
_HTML_TOKEN = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^<>]*>|&(#\d+|#x[0-9a-fA-F]+|\w+);|[<>&]")
_ADOPTED: Final = "adopted"  # version method of a message known only from an edit call
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_HTML_TAG = re.compile(r"<[^>]+>")
NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_DEFAULT_DESCRIPTIONS: Final = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class ApiError(Exception):
    """A Bot API error response; PTB maps the HTTP status to its exception classes."""

    def __init__(
        self,
        status: int,
        description: str,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def payload(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        parameters: JSONDict = {}
        if self.retry_after is not None:
            # PTB raises RetryAfter only when `parameters.retry_after` is present.
            parameters["retry_after"] = self.retry_after
        if self.migrate_to_chat_id is not None:
            # ... and ChatMigrated only when `parameters.migrate_to_chat_id` is.
            parameters["migrate_to_chat_id"] = self.migrate_to_chat_id
        if parameters:
            body["parameters"] = parameters
        return body


@dataclass(frozen=True)
class MessageVersion:
    """One state of a bot message: as sent (first) or after an edit."""

    method: str
    text: str | None
    reply_markup: JSONDict | None
    parse_mode: str | None


@dataclass(frozen=True)
class SentMessage:
    """Snapshot of a message the bot sent, with its whole edit history."""

    chat_id: int
    message_id: int
    versions: tuple[MessageVersion, ...]
    deleted: bool = False

    @property
    def text(self) -> str | None:
        return self.versions[-1].text

    @property
    def reply_markup(self) -> JSONDict | None:
        return self.versions[-1].reply_markup

    @property
    def parse_mode(self) -> str | None:
        return self.versions[-1].parse_mode

    @property
    def edits(self) -> tuple[MessageVersion, ...]:
        return self.versions[1:]


@dataclass
class _StoredMessage:
    chat_id: int
    message_id: int
    date: int
    versions: list[MessageVersion] = field(default_factory=list)
    deleted: bool = False

    def snapshot(self) -> SentMessage:
        return SentMessage(self.chat_id, self.message_id, tuple(self.versions), self.deleted)


def buttons(markup: SentMessage | Mapping[str, Any] | None) -> list[JSONDict]:
    """All inline buttons of a message (or of a reply_markup dict), row by row."""
    if isinstance(markup, SentMessage):
        markup = markup.reply_markup
    if not markup:
        return []
    return [button for row in markup.get("inline_keyboard", []) for button in row]


def find_button(message: SentMessage | Mapping[str, Any] | None, text_substring: str) -> str:
    """The callback_data of the first inline button whose label contains `text_substring`."""
    found = buttons(message)
    for button in found:
        if text_substring in button.get("text", "") and "callback_data" in button:
            return str(button["callback_data"])
    labels = [button.get("text") for button in found]
    raise AssertionError(f"no button containing {text_substring!r}; buttons: {labels}")


def scope_key(scope: Mapping[str, Any] | None) -> str:
    """Readable key for a BotCommandScope: "default", "chat:42", "chat_member:42:7"..."""
    if not scope:
        return "default"
    rest = [str(scope[key]) for key in sorted(scope) if key != "type"]
    return ":".join([str(scope["type"]), *rest])


def _visible_length(text: str, parse_mode: str | None) -> int:
    # Telegram counts the text after entity parsing: tags gone, entities decoded.
    if parse_mode and parse_mode.upper() == "HTML":
        text = html.unescape(_HTML_TAG.sub("", text))
    return updates.utf16_len(text)


def telegram_length(message: SentMessage) -> int:
    """A sent message's length as Telegram counts it (the 4,096 limit applies to this)."""
    return _visible_length(message.text or "", message.parse_mode)


def _check_html(text: str) -> None:
    """Refuse what Telegram's HTML parser refuses: unknown or unbalanced tags, bare < & >."""
    stack: list[str] = []
    for match in _HTML_TOKEN.finditer(text):
        where = f"at byte offset {len(text[: match.start()].encode())}"
        if match[2] is None and match[3] is None:
            raise ApiError(
                400, f"Bad Request: can't parse entities: Unexpected {match[0]!r} {where}"
            )
        if match[2] is None:
            continue
        name = match[2].lower()
        if name not in _HTML_TAGS:
            kind = "end" if match[1] else "start"
            raise ApiError(
                400, f'Bad Request: can\'t parse entities: Unsupported {kind} tag "{name}" {where}'
            )
        if not match[1]:
            stack.append(name)
        elif not stack or stack.pop() != name:
            raise ApiError(
                400, f'Bad Request: can\'t parse entities: Unmatched end tag "{name}" {where}'
            )
    if stack:
        raise ApiError(
            400,
            "Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
            f'"{stack[-1]}"',
        )


def _inline(markup: Any) -> JSONDict | None:
    return markup if isinstance(markup, dict) and "inline_keyboard" in markup else None


class BotApiEmulator:
    """Bot API semantics without transport. Not thread-safe: the HTTP fake wraps it in a lock.

    `strict=True` (HTTP fake) rejects edits/deletes of unknown messages and answers to unknown
    callback queries like Telegram does; `strict=False` (in-process fake) accepts them, because
    unit tests build callback updates for messages the fake never sent.
    """

    def __init__(self, *, bot: JSONDict, strict: bool) -> None:
        self.bot = bot
        self.strict = strict
        self.chat_types: dict[int, str] = {}
        self.blocked: set[int] = set()
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.callback_answers: dict[str, list[JSONDict]] = {}
        self.known_queries: set[str] = set()
        self._messages: dict[int, dict[int, _StoredMessage]] = {}
        self._last_message_id: dict[int, int] = {}
        self._faults: dict[str, deque[ApiError | None]] = {}  # None: this call succeeds
        # Group chats upgraded to supergroups: old id -> new id (sends answer 400).
        self.migrated: dict[int, int] = {}
        # The webhook set by setWebhook (url, secret_token, ...); empty = long polling.
        self.webhook: JSONDict = {}
        # Per method, queued timeouts; True = Telegram did the call but the answer was lost.
        self._timeouts: dict[str, deque[bool]] = {}
        self._handlers: dict[str, Callable[[JSONDict], Any]] = {
            "getMe": lambda _: dict(self.bot),
            "getUpdates": lambda _: [],
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": lambda _: {
                "url": self.webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": 0,
            },
            "setWebhook": self._set_webhook,
            "sendMessage": self._send_message,
            "sendPhoto": lambda params: self._send_file(params, "photo"),
            "sendDocument": lambda params: self._send_file(params, "document"),
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": lambda _: True,
        }
        # Telegram treats method names case-insensitively.
        self._canonical = {name.lower(): name for name in self._handlers}

    def _set_webhook(self, params: JSONDict) -> bool:
        url = str(params.get("url") or "")
        if not url:  # an empty url removes the webhook, as on Telegram
            self.webhook = {}
            return True
        token = params.get("secret_token")
        if token is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(token)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = {key: value for key, value in params.items() if value is not None}
        return True

    def _delete_webhook(self, _params: JSONDict) -> bool:
        self.webhook = {}
        return True

    # -- test-side controls ------------------------------------------------------------------

    def canonical(self, method: str) -> str | None:
        return self._canonical.get(method.lower())

    def fail_next(
        self,
        method: str,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        *,
        after: int = 0,
    ) -> None:
        if status == 429 and retry_after is None:
            retry_after = 1  # without it PTB raises a plain NetworkError, not RetryAfter
        if description is None:
            description = _DEFAULT_DESCRIPTIONS.get(status, f"Error {status}")
            if retry_after is not None:
                description += f": retry after {retry_after}"
        error = ApiError(status, description, retry_after)
        queue = self._faults.setdefault(method.lower(), deque())
        queue.extend([None] * after)  # that many calls succeed first
        queue.append(error)

    def take_fault(self, method: str) -> ApiError | None:
        queue = self._faults.get(method.lower())
        return queue.popleft() if queue else None

    def time_out_next(self, method: str, *, delivered: bool) -> None:
        self._timeouts.setdefault(method.lower(), deque()).append(delivered)

    def take_timeout(self, method: str) -> bool | None:
        """None: answer normally; else the call times out (after running it if True)."""
        queue = self._timeouts.get(method.lower())
        return queue.popleft() if queue else None

    def migrate_chat(self, chat_id: int, new_chat_id: int) -> None:
        """`chat_id` became the supergroup `new_chat_id`: sends to it answer 400 with
        `parameters.migrate_to_chat_id`, as Telegram does."""
        self.migrated[chat_id] = new_chat_id
        self.chat_types[new_chat_id] = "supergroup"

    def allocate_message_id(self, chat_id: int) -> int:
        """Per-chat, shared by user and bot messages, as in private chats on Telegram."""
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def chat_type(self, chat_id: int) -> str:
        return self.chat_types.get(chat_id, updates.default_chat_type(chat_id))

    def messages(self, chat_id: int) -> list[SentMessage]:
        return [stored.snapshot() for stored in self._messages.get(chat_id, {}).values()]

    def message_dict(self, chat_id: int, message_id: int) -> JSONDict | None:
        """The current state of a live bot message as a Bot API Message (for callbacks)."""
        stored = self._messages.get(chat_id, {}).get(message_id)
        if stored is None or stored.deleted:
            return None
        return self._message_json(stored)

    # -- dispatch ------------------------------------------------------------------------------

    def handle(self, method: str, params: JSONDict) -> Any:
        """Run one Bot API method; returns its `result` or raises ApiError."""
        fault = self.take_fault(method)
        if fault is not None:
            raise fault
        name = self.canonical(method)
        if name is None:
            raise ApiError(404, "Not Found")
        try:
            return self._handlers[name](params)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            # Malformed parameters: Telegram answers 400 rather than dropping the connection.
            raise ApiError(400, f"Bad Request: invalid parameters ({exc!r})") from exc

    # -- helpers -------------------------------------------------------------------------------

    @staticmethod
    def _require(params: JSONDict, name: str) -> Any:
        value = params.get(name)
        if value is None or value == "":
            raise ApiError(400, f"Bad Request: parameter {name!r} is required")
        return value

    def _chat_id(self, params: JSONDict) -> int:
        value = self._require(params, "chat_id")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat not found") from None

    def _check_not_blocked(self, chat_id: int) -> None:
        if chat_id in self.migrated:
            raise ApiError(400, MIGRATED, migrate_to_chat_id=self.migrated[chat_id])
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    @staticmethod
    def _check_text(params: JSONDict) -> str:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        parse_mode = params.get("parse_mode")
        if parse_mode and str(parse_mode).upper() == "HTML":
            _check_html(text)
        if _visible_length(text, parse_mode) > MAX_TEXT_LENGTH:
            raise ApiError(400, TOO_LONG)
        return text

    @staticmethod
    def _check_markup(markup: Any) -> None:
        if len(buttons(_inline(markup))) > MAX_BUTTONS:
            raise ApiError(400, MARKUP_TOO_LONG)
        for button in buttons(_inline(markup)):
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")

    def _message_json(self, stored: _StoredMessage, *, edited: bool = False) -> JSONDict:
        current = stored.versions[-1]
        return updates.message(
            message_id=stored.message_id,
            chat_id=stored.chat_id,
            chat_type=self.chat_type(stored.chat_id),
            text=current.text,
            sender=self.bot,
            reply_markup=current.reply_markup,
            date=stored.date,
            edit_date=updates.now() if edited else None,
        )

    def _find(self, params: JSONDict, action: str) -> _StoredMessage:
        chat_id = self._chat_id(params)
        message_id = int(self._require(params, "message_id"))
        stored = self._messages.get(chat_id, {}).get(message_id)
        if stored is not None and not stored.deleted:
            return stored
        if self.strict or stored is not None:
            raise ApiError(400, f"Bad Request: message to {action} not found")
        # Lenient mode: a message from a hand-built update; adopt it so later edits compare.
        stored = _StoredMessage(chat_id, message_id, updates.now())
        stored.versions.append(MessageVersion(_ADOPTED, None, None, None))
        self._messages.setdefault(chat_id, {})[message_id] = stored
        return stored

    def _edit(self, stored: _StoredMessage, version: MessageVersion) -> JSONDict:
        current = stored.versions[-1]
        same_markup = _inline(current.reply_markup) == _inline(version.reply_markup)
        # An adopted message's real content is unknown, so its first edit always counts.
        if current.method != _ADOPTED and current.text == version.text and same_markup:
            raise ApiError(400, NOT_MODIFIED)
        stored.versions.append(version)
        return self._message_json(stored, edited=True)

    # -- methods -------------------------------------------------------------------------------

    def _send_message(self, params: JSONDict) -> JSONDict:
        chat_id = self._chat_id(params)
        text = self._check_text(params)
        self._check_markup(params.get("reply_markup"))
        self._check_not_blocked(chat_id)
        stored = _StoredMessage(chat_id, self.allocate_message_id(chat_id), updates.now())
        stored.versions.append(
            MessageVersion(
                "sendMessage", text, params.get("reply_markup"), params.get("parse_mode")
            )
        )
        self._messages.setdefault(chat_id, {})[stored.message_id] = stored
        return self._message_json(stored)

    def _send_file(self, params: JSONDict, field: str) -> JSONDict:
        """sendPhoto / sendDocument: the file is uploaded (FakeBotApi records its bytes
        and marks the field `upload:<name>`), an id or a URL; the caption is checked
        like a text, against the caption limit."""
        chat_id = self._chat_id(params)
        source = str(self._require(params, field))
        caption = params.get("caption")
        parse_mode = params.get("parse_mode")
        if caption is not None:
            if parse_mode and str(parse_mode).upper() == "HTML":
                _check_html(str(caption))
            if _visible_length(str(caption), parse_mode) > MAX_CAPTION_LENGTH:
                raise ApiError(400, "Bad Request: message caption is too long")
        self._check_markup(params.get("reply_markup"))
        self._check_not_blocked(chat_id)
        stored = _StoredMessage(chat_id, self.allocate_message_id(chat_id), updates.now())
        method = "sendPhoto" if field == "photo" else "sendDocument"
        stored.versions.append(
            MessageVersion(method, caption, params.get("reply_markup"), parse_mode)
        )
        self._messages.setdefault(chat_id, {})[stored.message_id] = stored
        raw = self._message_json(stored)
        raw.pop("text", None)
        if caption is not None:
            raw["caption"] = caption
        file_id = f"file-{chat_id}-{stored.message_id}"
        if field == "photo":
            raw["photo"] = [
                {"file_id": file_id, "file_unique_id": file_id, "width": 320, "height": 320}
            ]
        else:
            name = source.removeprefix("upload:")
            raw["document"] = {"file_id": file_id, "file_unique_id": file_id, "file_name": name}
        return raw

    def _edit_message_text(self, params: JSONDict) -> JSONDict | bool:
        text = self._check_text(params)
        self._check_markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True  # inline messages are not stored; Telegram answers True
        stored = self._find(params, "edit")
        # Omitting reply_markup removes the inline keyboard, exactly as on Telegram.
        version = MessageVersion(
            "editMessageText", text, params.get("reply_markup"), params.get("parse_mode")
        )
        return self._edit(stored, version)

    def _edit_message_reply_markup(self, params: JSONDict) -> JSONDict | bool:
        self._check_markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True
        stored = self._find(params, "edit")
        current = stored.versions[-1]
        version = MessageVersion(
            "editMessageReplyMarkup", current.text, params.get("reply_markup"), current.parse_mode
        )
        return self._edit(stored, version)

    def _delete_message(self, params: JSONDict) -> bool:
        self._find(params, "delete").deleted = True
        return True

    def _answer_callback_query(self, params: JSONDict) -> bool:
        query_id = str(self._require(params, "callback_query_id"))
        if self.strict and query_id not in self.known_queries:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is "
                "invalid",
            )
        answer = {key: value for key, value in params.items() if key != "callback_query_id"}
        self.callback_answers.setdefault(query_id, []).append(answer)
        return True

    def _send_chat_action(self, params: JSONDict) -> bool:
        chat_id = self._chat_id(params)
        self._require(params, "action")
        self._check_not_blocked(chat_id)
        return True

    def _set_my_commands(self, params: JSONDict) -> bool:
        commands = self._require(params, "commands")
        for command in commands:
            if not _COMMAND_NAME.fullmatch(str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: command description is invalid")
        key = (scope_key(params.get("scope")), str(params.get("language_code") or ""))
        self.commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        key = (scope_key(params.get("scope")), str(params.get("language_code") or ""))
        return list(self.commands.get(key, []))

    def _delete_my_commands(self, params: JSONDict) -> bool:
        key = (scope_key(params.get("scope")), str(params.get("language_code") or ""))
        self.commands.pop(key, None)
        return True


@dataclass(frozen=True)
class Upload:
    """A file the bot uploaded: the call's method and parameters, and the file itself."""

    method: str
    params: JSONDict
    field: str
    filename: str
    content: bytes
    mimetype: str


def _encode(body: JSONDict) -> bytes:
    return json.dumps(body).encode()


class FakeBotApi(BaseRequest):
    """A `BaseRequest` that records every Bot API call and answers like Telegram.

    Use one instance for `.request(...)` (the calls you assert on) and a second one for
    `.get_updates_request(...)`; getUpdates answers `[]` at once (updates are fed with
    `app.process_update`, not polled), so a getUpdates fault must be set on that instance.
    """

    def __init__(
        self,
        *,
        bot_id: int = BOT_ID,
        username: str = BOT_USERNAME,
        first_name: str = BOT_FIRST_NAME,
    ) -> None:
        self.emulator = BotApiEmulator(
            bot=updates.bot_user(bot_id, username, first_name), strict=False
        )
        self.calls: list[tuple[str, JSONDict]] = []
        self._succeeded: list[bool] = []
        self.uploads: list[Upload] = []  # files sent by upload (sendPhoto, sendDocument)

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    @staticmethod
    def _uploads(request_data: RequestData | None) -> dict[str, tuple[str, bytes, str]]:
        """The request's uploaded files: part name -> (file name, bytes, MIME type)."""
        files: dict[str, tuple[str, bytes, str]] = {}
        for name, part in (request_data.multipart_data if request_data else {}).items():
            filename, content, mimetype = part
            data = content if isinstance(content, bytes) else content.read()
            files[name] = (str(filename), bytes(data), str(mimetype))
        return files

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        # A JSON round trip leaves exactly what Telegram would receive (tuples become lists).
        params: JSONDict = json.loads(json.dumps(request_data.parameters if request_data else {}))
        for name, (filename, content, mimetype) in self._uploads(request_data).items():
            params[name] = f"upload:{filename}"
            self.uploads.append(Upload(endpoint, params, name, filename, content, mimetype))
        self.calls.append((endpoint, params))
        timeout = self.emulator.take_timeout(endpoint)
        if timeout is not None:
            self._succeeded.append(False)
            if timeout:
                with contextlib.suppress(ApiError):
                    self.emulator.handle(endpoint, params)
            raise TimedOut(f"FakeBotApi: {endpoint} timed out")
        try:
            result = self.emulator.handle(endpoint, params)
        except ApiError as error:
            self._succeeded.append(False)
            if error.status == 404 and error.description == "Not Found":
                error.description = f"Not Found: FakeBotApi does not implement {endpoint!r}"
            return error.status, _encode(error.payload())
        self._succeeded.append(True)
        return 200, _encode({"ok": True, "result": result})

    # -- assertions helpers --------------------------------------------------------------------

    def calls_of(self, method: str) -> list[JSONDict]:
        """Params of every call to `method` (successful or not), in order."""
        return [params for name, params in self.calls if name == method]

    def _successful(self, methods: tuple[str, ...], chat_id: int | None) -> list[JSONDict]:
        return [
            params
            for (name, params), ok in zip(self.calls, self._succeeded, strict=True)
            if ok
            and name in methods
            and (chat_id is None or str(params.get("chat_id")) == str(chat_id))
        ]

    def sent_messages(self, chat_id: int | None = None) -> list[JSONDict]:
        """Params of successful sendMessage calls (to `chat_id` if given)."""
        return self._successful(("sendMessage",), chat_id)

    def edits(self, chat_id: int | None = None) -> list[JSONDict]:
        """Params of successful editMessageText/editMessageReplyMarkup calls."""
        return self._successful(("editMessageText", "editMessageReplyMarkup"), chat_id)

    def last_text(self, chat_id: int) -> str:
        """Text of the latest successful sendMessage/editMessageText to `chat_id`."""
        texts = self._successful(("sendMessage", "editMessageText"), chat_id)
        if not texts:
            raise AssertionError(f"bot sent no text to chat {chat_id}; calls: {self.calls}")
        return str(texts[-1]["text"])

    def messages(self, chat_id: int) -> list[SentMessage]:
        """Messages the bot sent to `chat_id`, each with its edit history."""
        return self.emulator.messages(chat_id)

    def callback_answers(self, query_id: str) -> list[JSONDict]:
        return list(self.emulator.callback_answers.get(query_id, []))

    def commands(self) -> dict[tuple[str, str], list[JSONDict]]:
        """setMyCommands state keyed by (scope_key, language_code), e.g. ("default", "en")."""
        return {key: list(value) for key, value in self.emulator.commands.items()}

    def reset(self) -> None:
        """Forget recorded calls (e.g. after startup); the message store and switches stay."""
        self.calls.clear()
        self._succeeded.clear()

    # -- fault switches ------------------------------------------------------------------------

    def block_chat(self, chat_id: int) -> None:
        """sendMessage/sendChatAction to `chat_id` now answer 403 (PTB raises Forbidden)."""
        self.emulator.blocked.add(chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        self.emulator.blocked.discard(chat_id)

    def fail_next(
        self,
        method: str,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        *,
        after: int = 0,
    ) -> None:
        """The next call of `method` (or the one after `after` successful calls) fails:
        429 → RetryAfter, 400 → BadRequest, 5xx → NetworkError. Faults queue up; for 429
        `retry_after` defaults to 1."""
        self.emulator.fail_next(method, status, description, retry_after, after=after)

    def migrate_chat(self, chat_id: int, new_chat_id: int) -> None:
        """The group `chat_id` was upgraded to the supergroup `new_chat_id`: sends to the
        old id answer 400 with `migrate_to_chat_id` (PTB raises ChatMigrated)."""
        self.emulator.migrate_chat(chat_id, new_chat_id)

    def time_out_next(self, method: str, *, delivered: bool) -> None:
        """The next call of `method` raises TimedOut; with `delivered` Telegram did act on
        it (the message exists) and only the answer was lost."""
        self.emulator.time_out_next(method, delivered=delivered)
