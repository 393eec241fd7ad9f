"""The Bot API stand-in enforces Telegram's send limits when asked to: 30 sends in any
rolling second overall, 1 per second per private chat after a short burst, 20 per minute
per group; each refusal is a 429 with retry_after, counted by rule."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import RetryAfter
from telegram.request import HTTPXRequest

from testkit.telegram_limits import SendLimiter, TelegramLimits
from testkit.telegram_server import FakeTelegramServer

TOKEN = "123:abc"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_no_rolling_second_holds_more_than_30_sends() -> None:
    clock = Clock()
    limiter = SendLimiter(clock=clock)
    # A burst of 30 to 30 chats passes; the 31st in the same second is refused.
    assert all(limiter.admit(chat) is None for chat in range(1, 31))
    assert limiter.admit(31) == 1
    # Half a second later the window still holds the 30: a leaky bucket refilling at
    # 30/s would let 15 more through here, Telegram's rolling second does not.
    clock.now += 0.5
    assert limiter.admit(32) == 1
    clock.now += 0.51
    assert limiter.admit(33) is None
    assert limiter.refused == {"overall": 2}


def test_a_private_chat_gets_a_short_burst_then_one_per_second() -> None:
    clock = Clock()
    limiter = SendLimiter(TelegramLimits(private_burst=3), clock=clock)
    assert [limiter.admit(7) for _ in range(4)] == [None, None, None, 1]
    clock.now += 1.0
    assert limiter.admit(7) is None
    assert limiter.admit(7) == 1
    assert limiter.admit(8) is None  # another chat is not held up
    assert limiter.refused == {"private": 2}


def test_a_group_gets_20_per_minute() -> None:
    clock = Clock()
    limiter = SendLimiter(clock=clock)
    for _ in range(20):
        assert limiter.admit(-100, "supergroup") is None
        clock.now += 0.1
    retry = limiter.admit(-100, "supergroup")
    assert retry is not None
    assert 55 <= retry <= 60
    clock.now += 58.0
    assert limiter.admit(-100, "supergroup") is None
    assert limiter.refused == {"group": 1}


async def test_the_http_stand_in_answers_429_that_ptb_reads_as_retry_after() -> None:
    with FakeTelegramServer(TOKEN, limits=TelegramLimits(private_burst=2)) as tg:
        bot = Bot(TOKEN, base_url=tg.base_url, request=HTTPXRequest())
        async with bot:
            await bot.send_message(5, "one")
            await bot.send_message(5, "two")
            with pytest.raises(RetryAfter) as raised:
                await bot.send_message(5, "three")
        retry = raised.value.retry_after  # seconds, or a timedelta with PTB_TIMEDELTA
        assert (retry if isinstance(retry, int | float) else retry.total_seconds()) == 1
        assert [m.text for m in tg.messages(5)] == ["one", "two"]
        assert tg.too_many_requests() == {"private": 1}


async def test_without_limits_nothing_is_refused() -> None:
    with FakeTelegramServer(TOKEN) as tg:
        bot = Bot(TOKEN, base_url=tg.base_url, request=HTTPXRequest())
        async with bot:
            for i in range(40):
                await bot.send_message(5, str(i))
        assert len(tg.messages(5)) == 40
        assert tg.too_many_requests() == {}
