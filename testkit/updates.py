"""Builders of raw Bot API objects (updates, messages, users, chats) shared by both fakes.

Everything here returns plain JSON-ready dicts shaped exactly like Telegram's, so the same
builders feed `Update.de_json` (in-process tests) and the HTTP fake's getUpdates (e2e tests).
The `ptb_*` wrappers turn them into `telegram.Update` objects bound to a bot.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from typing import Any

from telegram import Bot, Update

JSONDict = dict[str, Any]

BOT_ID = 123  # matches the "123:abc" token the unit tests use
BOT_USERNAME = "test_bot"
BOT_FIRST_NAME = "Test Bot"

# Update ids must grow monotonically (PTB confirms them via `offset`). Incoming user messages
# get ids from a separate high range so they are easy to tell apart from ids the fakes assign
# to messages the bot sends (those start at 1 per chat).
_lock = threading.Lock()
_update_ids: Iterator[int] = itertools.count(1)
_incoming_message_ids: Iterator[int] = itertools.count(100_000)
_callback_ids: Iterator[int] = itertools.count(1)


def next_update_id() -> int:
    with _lock:
        return next(_update_ids)


def _next_incoming_message_id() -> int:
    with _lock:
        return next(_incoming_message_ids)


def next_callback_query_id() -> str:
    with _lock:
        return f"cbq-{next(_callback_ids)}"


def now() -> int:
    """Bot API dates are Unix time in *seconds* (milliseconds break PTB's datetime parsing)."""
    return int(time.time())


def utf16_len(text: str) -> int:
    """Entity offsets and lengths are counted in UTF-16 code units, not code points."""
    return len(text.encode("utf-16-le")) // 2


def bot_user(
    bot_id: int = BOT_ID, username: str = BOT_USERNAME, first_name: str = BOT_FIRST_NAME
) -> JSONDict:
    """The bot as a User; `is_bot` is required by PTB and the username lets `/cmd@bot` match."""
    return {"id": bot_id, "is_bot": True, "first_name": first_name, "username": username}


def user(user_id: int, *, language_code: str = "en") -> JSONDict:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": f"User{user_id}",
        "username": f"user{user_id}",
        "language_code": language_code,
    }


def default_chat_type(chat_id: int) -> str:
    """Telegram chat ids are positive for users and negative for groups and channels."""
    return "private" if chat_id > 0 else "supergroup"


def chat(chat_id: int, chat_type: str = "private") -> JSONDict:
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
    return {"id": chat_id, "type": chat_type, "title": f"Chat {chat_id}"}


def command_entities(text: str) -> list[JSONDict]:
    """The `bot_command` entity Telegram attaches to a leading /command (incl. `@botname`).

    Without it PTB's CommandHandler ignores the message, even if the text starts with '/'.
    """
    if not text.startswith("/"):
        return []
    command = text.split(maxsplit=1)[0] if text.strip() else text
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]


def message(
    *,
    message_id: int,
    chat_id: int,
    chat_type: str = "private",
    text: str | None = None,
    sender: JSONDict | None = None,
    reply_markup: JSONDict | None = None,
    entities: list[JSONDict] | None = None,
    date: int | None = None,
    edit_date: int | None = None,
) -> JSONDict:
    """A Message; `message_id`, `date` (seconds) and `chat` are what PTB requires."""
    raw: JSONDict = {
        "message_id": message_id,
        "date": now() if date is None else date,
        "chat": chat(chat_id, chat_type),
    }
    if sender is not None:
        raw["from"] = sender
    if text:
        raw["text"] = text
    if entities:
        raw["entities"] = entities
    if edit_date is not None:
        raw["edit_date"] = edit_date
    # Message.reply_markup can only be an InlineKeyboardMarkup; Telegram never echoes reply
    # keyboards, and PTB would fail to parse one here.
    if reply_markup is not None and "inline_keyboard" in reply_markup:
        raw["reply_markup"] = reply_markup
    return raw


def text_update(
    text: str,
    *,
    user_id: int,
    chat_id: int,
    language_code: str = "en",
    chat_type: str = "private",
    update_id: int | None = None,
    message_id: int | None = None,
    entities: list[JSONDict] | None = None,
) -> JSONDict:
    """An update carrying a user's text message (no entities unless given)."""
    return {
        "update_id": next_update_id() if update_id is None else update_id,
        "message": message(
            message_id=_next_incoming_message_id() if message_id is None else message_id,
            chat_id=chat_id,
            chat_type=chat_type,
            text=text,
            sender=user(user_id, language_code=language_code),
            entities=entities,
        ),
    }


def command_update(
    text: str,
    *,
    user_id: int,
    chat_id: int,
    language_code: str = "en",
    chat_type: str = "private",
    update_id: int | None = None,
    message_id: int | None = None,
) -> JSONDict:
    """Like `text_update`, plus the `bot_command` entity for the leading /command."""
    return text_update(
        text,
        user_id=user_id,
        chat_id=chat_id,
        language_code=language_code,
        chat_type=chat_type,
        update_id=update_id,
        message_id=message_id,
        entities=command_entities(text),
    )


def callback_update(
    data: str,
    *,
    user_id: int,
    chat_id: int,
    message_id: int,
    message_text: str = "",
    reply_markup: JSONDict | None = None,
    language_code: str = "en",
    chat_type: str = "private",
    update_id: int | None = None,
    query_id: str | None = None,
    bot: JSONDict | None = None,
) -> JSONDict:
    """A button press on a message the bot sent.

    `chat_instance` is required by PTB: without it the whole getUpdates batch fails to parse.
    """
    return {
        "update_id": next_update_id() if update_id is None else update_id,
        "callback_query": {
            "id": next_callback_query_id() if query_id is None else query_id,
            "from": user(user_id, language_code=language_code),
            "chat_instance": f"ci-{chat_id}",
            "data": data,
            "message": message(
                message_id=message_id,
                chat_id=chat_id,
                chat_type=chat_type,
                text=message_text,
                sender=bot_user() if bot is None else bot,
                reply_markup=reply_markup,
            ),
        },
    }


def _bot_as_user(bot: Bot) -> JSONDict:
    """The bot's own User once `initialize()` ran getMe; the default test bot before that."""
    try:
        me = bot.bot
    except RuntimeError:
        return bot_user()
    return bot_user(me.id, me.username or BOT_USERNAME, me.first_name)


def update_type(raw: JSONDict) -> str:
    """The update's kind ("message", "callback_query", ...), as used by `allowed_updates`."""
    return next(key for key in raw if key != "update_id")


def as_update(raw: JSONDict, bot: Bot) -> Update:
    """Parse a raw update and bind it to `bot`, so shortcuts like `reply_text` work."""
    return Update.de_json(raw, bot)


def ptb_command_update(
    bot: Bot,
    text: str,
    *,
    user_id: int,
    chat_id: int,
    language_code: str = "en",
    chat_type: str = "private",
    update_id: int | None = None,
) -> Update:
    return as_update(
        command_update(
            text,
            user_id=user_id,
            chat_id=chat_id,
            language_code=language_code,
            chat_type=chat_type,
            update_id=update_id,
        ),
        bot,
    )


def ptb_text_update(
    bot: Bot,
    text: str,
    *,
    user_id: int,
    chat_id: int,
    language_code: str = "en",
    chat_type: str = "private",
    update_id: int | None = None,
) -> Update:
    return as_update(
        text_update(
            text,
            user_id=user_id,
            chat_id=chat_id,
            language_code=language_code,
            chat_type=chat_type,
            update_id=update_id,
        ),
        bot,
    )


def ptb_callback_update(
    bot: Bot,
    data: str,
    *,
    user_id: int,
    chat_id: int,
    message_id: int,
    message_text: str = "",
    reply_markup: JSONDict | None = None,
    language_code: str = "en",
    chat_type: str = "private",
    update_id: int | None = None,
) -> Update:
    return as_update(
        callback_update(
            data,
            user_id=user_id,
            chat_id=chat_id,
            message_id=message_id,
            message_text=message_text,
            reply_markup=reply_markup,
            language_code=language_code,
            chat_type=chat_type,
            update_id=update_id,
            bot=_bot_as_user(bot),
        ),
        bot,
    )
