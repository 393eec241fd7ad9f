"""The Telegram fakes enforce Telegram's limits and reproduce its faults, as PTB sees them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, TimedOut
from telegram.request import HTTPXRequest

from tests.support.fake_bot_api import FakeBotApi
from tests.support.telegram_server import FakeTelegramServer

TOKEN = "123:abc"
CHAT = 7


@pytest.fixture
async def api_bot() -> AsyncIterator[tuple[FakeBotApi, Bot]]:
    api = FakeBotApi()
    bot = Bot(TOKEN, request=api)
    async with bot:
        yield api, bot


async def test_text_over_4096_is_refused_with_telegrams_words(
    api_bot: tuple[FakeBotApi, Bot],
) -> None:
    api, bot = api_bot
    await bot.send_message(CHAT, "<b>" + "x" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    await bot.send_message(CHAT, "&amp;" * 4096, parse_mode=ParseMode.HTML)  # counted as "&"
    await bot.send_message(CHAT, "😀" * 2048)  # 2 UTF-16 units each
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(CHAT, "😀" * 2048 + "x")
    assert api.calls_of("sendMessage")[-1]["text"].endswith("x")


async def test_bad_html_and_too_many_buttons_are_refused(api_bot: tuple[FakeBotApi, Bot]) -> None:
    _, bot = api_bot
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(CHAT, "<b>open", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(CHAT, "<blink>x</blink>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(CHAT, "a < b", parse_mode=ParseMode.HTML)
    rows = [[InlineKeyboardButton(str(i), callback_data=str(i))] for i in range(101)]
    with pytest.raises(BadRequest, match="Reply markup is too long"):
        await bot.send_message(CHAT, "x", reply_markup=InlineKeyboardMarkup(rows))
    await bot.send_message(CHAT, "x", reply_markup=InlineKeyboardMarkup(rows[:100]))


async def test_a_migrated_group_answers_with_its_new_id(api_bot: tuple[FakeBotApi, Bot]) -> None:
    api, bot = api_bot
    api.migrate_chat(-5, -1005)
    with pytest.raises(ChatMigrated) as raised:
        await bot.send_message(-5, "hello")
    assert raised.value.new_chat_id == -1005
    await bot.send_message(-1005, "hello")
    assert [m.text for m in api.messages(-1005)] == ["hello"]


async def test_timeouts_with_and_without_delivery(api_bot: tuple[FakeBotApi, Bot]) -> None:
    api, bot = api_bot
    api.time_out_next("sendMessage", delivered=True)
    api.time_out_next("sendMessage", delivered=False)
    with pytest.raises(TimedOut):
        await bot.send_message(CHAT, "shown")
    with pytest.raises(TimedOut):
        await bot.send_message(CHAT, "lost")
    assert [m.text for m in api.messages(CHAT)] == ["shown"]


async def test_fail_after_lets_calls_through_first(api_bot: tuple[FakeBotApi, Bot]) -> None:
    api, bot = api_bot
    api.fail_next("sendMessage", 400, "Bad Request: chat not found", after=2)
    await bot.send_message(CHAT, "1")
    await bot.send_message(CHAT, "2")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(CHAT, "3")


async def test_the_http_fake_migrates_chats_too() -> None:
    with FakeTelegramServer(TOKEN) as server:
        server.migrate_chat(-5, -1005)
        bot = Bot(TOKEN, base_url=server.base_url)
        async with bot:
            with pytest.raises(ChatMigrated) as raised:
                await bot.send_message(-5, "hello")
            assert raised.value.new_chat_id == -1005
            with pytest.raises(BadRequest, match="Message is too long"):
                await bot.send_message(-1005, "x" * 4097)


async def test_the_http_fake_can_answer_too_late() -> None:
    with FakeTelegramServer(TOKEN) as server:
        bot = Bot(TOKEN, base_url=server.base_url, request=HTTPXRequest(read_timeout=0.3))
        async with bot:
            server.time_out_next("sendMessage", delivered=True, delay=1.0)
            with pytest.raises(TimedOut):
                await bot.send_message(CHAT, "shown late")
            assert [m.text for m in server.messages(CHAT)] == ["shown late"]
