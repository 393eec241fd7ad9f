"""Bounds a flood cannot break: users who may not spend get few answers, and nothing
is kept for users and chats that only said hello."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.sandbox.tronsave import TronSaveSimulator
from bot.services.runtime import STRANGER_UPDATES_OVERALL, STRANGER_UPDATES_PER_USER
from bot.telegram.housekeeping_job import HOUSEKEEPING_JOB
from tests.integration.harness import ALICE, MALLORY, TS_KEY, Bot, make_settings, running_bot


@pytest.fixture
def sim() -> Iterator[TronSaveSimulator]:
    simulator = TronSaveSimulator(api_key=TS_KEY, rate_interval=0.0, unit_price=60)
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
async def bot(tmp_path: Path, sim: TronSaveSimulator) -> AsyncIterator[Bot]:
    settings = make_settings(tmp_path, tronsave_api_key=TS_KEY, tronsave_base_url=sim.base_url)
    async with running_bot(settings) as running:
        yield running


async def test_a_stranger_flooding_the_bot_gets_a_few_answers_then_silence(bot: Bot) -> None:
    for _ in range(20):
        await bot.command("/start", user=MALLORY)
        await bot.command("/new", user=MALLORY)
    replies = bot.messages(MALLORY)
    assert len(replies) == STRANGER_UPDATES_PER_USER
    assert str(MALLORY) in (replies[0].text or "")  # they were told their id
    # An allowed user is never limited.
    for _ in range(20):
        await bot.command("/help")
    assert len(bot.messages(ALICE)) == 20


async def test_many_strangers_together_get_a_bounded_number_of_answers(bot: Bot) -> None:
    strangers = range(70_000, 70_050)
    for user in strangers:
        await bot.command("/start", user=user)
    answered = sum(1 for user in strangers if bot.messages(user))
    assert answered == STRANGER_UPDATES_OVERALL


async def test_a_stranger_pressing_buttons_is_limited_too(bot: Bot) -> None:
    await bot.command("/help")
    message = bot.last()
    for _ in range(12):
        await bot.press_data("w:new", message, user=MALLORY, chat=ALICE)
    answered = {a["callback_query_id"] for a in bot.api.calls_of("answerCallbackQuery")}
    assert len(answered) == STRANGER_UPDATES_PER_USER


def _rows(path: Path, table: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        return list(db.execute(f"SELECT * FROM {table}"))


async def test_users_who_only_say_hello_leave_no_rows(bot: Bot, tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    await bot.command("/start", user=MALLORY)
    await bot.command("/start")
    await bot.command("/help")
    await bot.app.update_persistence()
    for table in ("users", "chats", "ptb_data", "ptb_conversations"):
        assert _rows(database, table) == [], table
    # Choosing a language stores it; going back to "auto" leaves nothing behind.
    await bot.command("/language")
    await bot.press_data("lang:zh", bot.last())
    assert _rows(database, "users") == [(ALICE, "zh")]
    await bot.press_data("lang:auto", bot.last())
    assert _rows(database, "users") == []


async def test_housekeeping_forgets_idle_strangers_in_memory(bot: Bot) -> None:
    for user in range(80_000, 80_005):
        await bot.command("/start", user=user)
    await bot.command("/new")  # Alice is mid-wizard: her draft must stay
    await bot.app.update_persistence()
    assert set(range(80_000, 80_005)) <= set(bot.app.user_data)
    [job] = bot.app.job_queue.get_jobs_by_name(HOUSEKEEPING_JOB)  # type: ignore[union-attr]
    await job.run(bot.app)
    assert set(bot.app.user_data) == {ALICE}
    assert bot.app.user_data[ALICE]
    assert dict(bot.app.chat_data) == {}
    await bot.say("65000")
    assert "For how long" in (bot.last().text or "")


async def test_no_per_chat_memory_for_chats_that_only_wrote(bot: Bot) -> None:
    for chat in range(-100_200, -100_150):  # fifty groups
        await bot.command("/help", user=ALICE, chat=chat, chat_type="group")
    await bot.app.update_persistence()
    assert dict(bot.app.chat_data) == {}


async def test_a_stranger_pressing_new_order_gets_one_answer_the_refusal(bot: Bot) -> None:
    await bot.command("/start")
    await bot.press_data("w:new", bot.last(), user=MALLORY, chat=ALICE)
    [answer] = bot.api.calls_of("answerCallbackQuery")  # Telegram refuses a second one
    assert answer.get("show_alert") is True
    assert str(MALLORY) in str(answer.get("text"))
