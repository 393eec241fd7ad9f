"""Both Telegram fakes drive a real PTB Application: in-process (FakeBotApi) and over HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import AsyncIterator
from typing import Any, TypeAlias

import httpx
import pytest
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from tests.support import updates
from tests.support.fake_bot_api import FakeBotApi, find_button
from tests.support.telegram_server import FakeTelegramServer
from tests.support.updates import ptb_callback_update, ptb_command_update

# Application is generic over bot, context and data types; the tests do not care.
AnyApp: TypeAlias = Application[Any, Any, Any, Any, Any, Any]
TOKEN = "123:abc"
USER = CHAT = 7


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    keyboard = [[InlineKeyboardButton("Buy energy", callback_data="buy:65000")]]
    await update.effective_message.reply_text(
        "Pick one", reply_markup=InlineKeyboardMarkup(keyboard)
    )


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Got it")
    await query.edit_message_text(f"Chosen {query.data}")


def add_handlers(app: AnyApp) -> AnyApp:
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(CallbackQueryHandler(on_button))
    return app


# -- FakeBotApi (in-process) -----------------------------------------------------------------


@pytest.fixture
async def api_app() -> AsyncIterator[tuple[FakeBotApi, AnyApp]]:
    api = FakeBotApi()
    app = ApplicationBuilder().token(TOKEN).request(api).get_updates_request(FakeBotApi()).build()
    async with add_handlers(app):
        yield api, app


async def test_fake_api_start_button_and_edit(
    api_app: tuple[FakeBotApi, AnyApp],
) -> None:
    api, app = api_app
    assert [method for method, _ in api.calls] == ["getMe"]
    assert app.bot.username == "test_bot"
    api.reset()

    await app.process_update(ptb_command_update(app.bot, "/start", user_id=USER, chat_id=CHAT))
    [sent] = api.sent_messages(CHAT)
    assert sent["text"] == "Pick one"
    assert sent["chat_id"] == CHAT
    data = find_button(sent["reply_markup"], "Buy")
    [message] = api.messages(CHAT)
    assert message.message_id == 1

    await app.process_update(
        ptb_callback_update(
            app.bot,
            data,
            user_id=USER,
            chat_id=CHAT,
            message_id=message.message_id,
            message_text="Pick one",
        )
    )
    assert [method for method, _ in api.calls] == [
        "sendMessage",
        "answerCallbackQuery",
        "editMessageText",
    ]
    assert api.calls_of("answerCallbackQuery")[0]["text"] == "Got it"
    assert api.last_text(CHAT) == "Chosen buy:65000"
    [edit] = api.edits(CHAT)
    assert edit["message_id"] == 1
    # Editing the text without reply_markup drops the keyboard, as on Telegram.
    assert api.messages(CHAT)[0].reply_markup is None
    assert [v.text for v in api.messages(CHAT)[0].versions] == ["Pick one", "Chosen buy:65000"]


@pytest.mark.parametrize(
    ("text", "handled"),
    [("/start", True), ("/start@test_bot arg", True), ("/start@other_bot", False)],
)
async def test_fake_api_command_addressing(
    api_app: tuple[FakeBotApi, AnyApp],
    text: str,
    handled: bool,
) -> None:
    api, app = api_app
    await app.process_update(ptb_command_update(app.bot, text, user_id=USER, chat_id=CHAT))
    assert bool(api.sent_messages(CHAT)) is handled


async def test_fake_api_blocked_chat_raises_forbidden(
    api_app: tuple[FakeBotApi, AnyApp],
) -> None:
    api, app = api_app
    api.block_chat(CHAT)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await app.bot.send_message(CHAT, "hi")
    assert len(api.calls_of("sendMessage")) == 1  # attempted ...
    assert api.sent_messages(CHAT) == []  # ... but not delivered
    await app.bot.send_message(CHAT + 1, "others still work")


async def test_fake_api_fail_next(
    api_app: tuple[FakeBotApi, AnyApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    # RetryAfter.__init__ reads its own int-valued `retry_after`, which emits a
    # PTBDeprecationWarning (an error under filterwarnings) unless PTB_TIMEDELTA opts in.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    api, app = api_app
    api.fail_next("sendMessage", 429, retry_after=3)
    api.fail_next("sendMessage", 400, "Bad Request: can't parse entities")
    api.fail_next("sendMessage", 500, "Internal Server Error")
    with pytest.raises(RetryAfter) as retry:
        await app.bot.send_message(CHAT, "1")
    assert retry.value.retry_after == dt.timedelta(seconds=3)
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await app.bot.send_message(CHAT, "2")
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await app.bot.send_message(CHAT, "3")
    sent = await app.bot.send_message(CHAT, "4")
    assert (sent.message_id, sent.text) == (1, "4")


async def test_fake_api_telegram_rules(
    api_app: tuple[FakeBotApi, AnyApp],
) -> None:
    api, app = api_app
    sent = await app.bot.send_message(CHAT, "same")
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await app.bot.edit_message_text("same", chat_id=CHAT, message_id=sent.message_id)
    assert await app.bot.edit_message_text("x", inline_message_id="inline-1") is True
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await app.bot.send_message(CHAT, "too long data", reply_markup=markup)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await app.bot.send_message(CHAT, "x" * 4097)

    commands = [BotCommand("start", "Start"), BotCommand("buy", "Rent energy")]
    assert await app.bot.set_my_commands(commands, language_code="en")
    assert await app.bot.get_my_commands(language_code="en") == tuple(commands)
    assert await app.bot.get_my_commands() == ()
    assert api.commands()[("default", "en")][1] == {"command": "buy", "description": "Rent energy"}
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await app.bot.set_my_commands([BotCommand("Buy-Now", "bad")])


def test_update_builders() -> None:
    first = updates.command_update(
        "/start@test_bot now", user_id=1, chat_id=-100, chat_type="group"
    )
    second = updates.text_update("hello", user_id=1, chat_id=1)
    assert second["update_id"] > first["update_id"]
    assert first["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 15}]
    assert first["message"]["chat"]["type"] == "group"
    assert "entities" not in second["message"]
    press = updates.callback_update("buy", user_id=1, chat_id=1, message_id=5)["callback_query"]
    assert {"id", "from", "chat_instance", "data", "message"} <= press.keys()
    assert press["message"]["from"]["is_bot"] is True


# -- FakeTelegramServer (HTTP) -----------------------------------------------------------------


async def test_server_drives_real_polling_app() -> None:
    with FakeTelegramServer(TOKEN) as tg:
        app = add_handlers(ApplicationBuilder().token(TOKEN).base_url(tg.base_url).build())
        async with app:
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=1)
            await app.start()
            try:
                after = tg.send_command("/start", user_id=USER, chat_id=CHAT)
                # The wait helpers block a thread; the bot shares this event loop.
                reply = await asyncio.to_thread(
                    tg.wait_for_message, CHAT, lambda m: m.text == "Pick one", after=after
                )
                query_id = tg.press_button(
                    user_id=USER,
                    chat_id=CHAT,
                    message_id=reply.message_id,
                    data=find_button(reply, "Buy energy"),
                )
                edited = await asyncio.to_thread(
                    tg.wait_for_message, CHAT, lambda m: bool(m.edits), timeout=5
                )
                answer = await asyncio.to_thread(tg.wait_for_callback_answer, query_id)
            finally:
                await app.updater.stop()
                await app.stop()
        assert (reply.message_id, after) == (2, 1)  # ids are shared per chat with the user
        assert reply.reply_markup is not None
        assert edited.message_id == reply.message_id
        assert edited.text == "Chosen buy:65000"
        assert answer["text"] == "Got it"
        assert tg.callback_answers(query_id) == [answer]
        assert tg.pending_updates() == []  # PTB confirmed both updates on shutdown
        counts = tg.method_counts()
        assert counts["getMe"] == counts["deleteWebhook"] == 1
        assert counts["sendMessage"] == counts["editMessageText"] == 1


async def test_server_forbidden_wire_format_and_commands() -> None:
    with FakeTelegramServer(TOKEN) as tg:
        async with Bot(TOKEN, base_url=tg.base_url) as bot:
            tg.block_chat(CHAT)
            with pytest.raises(Forbidden, match="bot was blocked by the user"):
                await bot.send_message(CHAT, "hi")
            # Strings are form-encoded raw, everything else as JSON: "42" must stay a string.
            markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="1")]])
            sent = await bot.send_message(CHAT + 1, "42", reply_markup=markup)
            assert sent.text == "42"
            assert sent.reply_markup == markup
            [stored] = tg.messages(CHAT + 1)
            assert stored.text == "42"
            assert find_button(stored, "Yes") == "1"
            await bot.set_my_commands([BotCommand("start", "Start")], language_code="ru")
            assert tg.commands() == {
                ("default", "ru"): [{"command": "start", "description": "Start"}]
            }
            with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
                await bot.edit_message_text("x", chat_id=CHAT + 1, message_id=99)
            with pytest.raises(BadRequest, match=r"(?i)query id is invalid"):
                await bot.answer_callback_query("unknown")


async def test_server_wrong_token_and_unknown_method() -> None:
    with FakeTelegramServer(TOKEN) as tg:
        with pytest.raises(InvalidToken, match="was rejected") as rejected:
            async with Bot("999:wrong", base_url=tg.base_url):
                pass
        assert str(rejected.value.__cause__) == "Unauthorized"
        async with httpx.AsyncClient() as client:
            wrong = await client.post(f"{tg.base_url}999:wrong/getMe")
            unknown = await client.post(f"{tg.base_url}{TOKEN}/sendDice", json={"chat_id": 1})
            me = await client.get(f"{tg.base_url}{TOKEN}/getme")  # names are case-insensitive
        assert (wrong.status_code, wrong.json()["description"]) == (401, "Unauthorized")
        assert unknown.status_code == 404
        assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        assert me.json()["result"]["is_bot"] is True


def test_server_long_polling() -> None:
    with FakeTelegramServer(TOKEN) as tg, httpx.Client(base_url=f"{tg.base_url}{TOKEN}/") as http:
        started = time.monotonic()
        assert http.post("getUpdates", data={"timeout": "0.3"}).json()["result"] == []
        assert time.monotonic() - started >= 0.3  # blocked for the whole timeout

        # An update arriving mid-poll ends the wait at once.
        threading.Timer(0.1, tg.send_text, ["hi"], {"user_id": USER, "chat_id": CHAT}).start()
        started = time.monotonic()
        [update] = http.post("getUpdates", json={"timeout": 5}).json()["result"]
        assert time.monotonic() - started < 2
        assert update["message"]["text"] == "hi"

        # Unconfirmed updates are delivered again; `offset` confirms; `limit` caps the batch.
        for text in ("a", "b"):
            tg.send_text(text, user_id=USER, chat_id=CHAT)
        batch = http.post("getUpdates", data={"limit": "2"}).json()["result"]
        assert [u["update_id"] for u in batch] == [update["update_id"], update["update_id"] + 1]
        http.post("getUpdates", data={"offset": str(batch[-1]["update_id"] + 1)})
        assert [u["message"]["text"] for u in tg.pending_updates()] == ["b"]

        # A negative offset keeps only the last -offset updates.
        tg.send_text("c", user_id=USER, chat_id=CHAT)
        [last] = http.post("getUpdates", data={"offset": "-1"}).json()["result"]
        assert last["message"]["text"] == "c"
        http.post("getUpdates", data={"offset": str(last["update_id"] + 1)})
        assert tg.pending_updates() == []

        # A newer getUpdates terminates one still waiting, like Telegram (409 Conflict).
        result: list[httpx.Response] = []
        waiter = threading.Thread(
            target=lambda: result.append(http.post("getUpdates", data={"timeout": "5"}))
        )
        polls = tg.method_counts()["getUpdates"]
        with httpx.Client(base_url=f"{tg.base_url}{TOKEN}/") as other:
            waiter.start()
            tg.wait_for_call("getUpdates", count=polls + 1)
            assert other.post("getUpdates").json()["result"] == []
        waiter.join(timeout=2)
        assert result[0].status_code == 409

        with pytest.raises(AssertionError, match=r"no matching message in chat 7 .* seen: \[\]"):
            tg.wait_for_message(CHAT, timeout=0.05)
