"""Spend limits through Telegram: a refused Confirm says which limit, what is left today
and when it resets, in the user's language, and nothing reaches the provider."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from bot.sandbox.tronsave import TronSaveSimulator
from bot.tron_address import address_from_bytes
from tests.integration.harness import TS_KEY, Bot, make_settings, running_bot
from tests.support.fake_bot_api import buttons
from tests.support.simulators import sim_orders

A1 = address_from_bytes(b"\x55" * 20)


@pytest.fixture
def sim() -> Iterator[TronSaveSimulator]:
    simulator = TronSaveSimulator(api_key=TS_KEY, rate_interval=0.0, unit_price=60)
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
async def bot(tmp_path: Path, sim: TronSaveSimulator) -> AsyncIterator[Bot]:
    settings = make_settings(
        tmp_path,
        tronsave_api_key=TS_KEY,
        tronsave_base_url=sim.base_url,
        max_order_trx=Decimal("4"),
        daily_spend_limit_trx=Decimal("10"),
    )
    async with running_bot(settings) as running:
        yield running


async def confirm(bot: Bot, command: str, lang: str) -> str:
    await bot.command(command, lang=lang)
    summary = bot.last()
    data = next(b["callback_data"] for b in buttons(summary) if b["text"].startswith("✅"))
    await bot.press_data(data, summary, lang=lang)
    return bot.last().text or ""


async def test_per_order_limit_refuses_in_english_without_a_provider_call(
    bot: Bot, sim: TronSaveSimulator
) -> None:
    # 65,000 x 70 SUN = 4.55 TRX at most, above the 4 TRX per-order limit.
    text = await confirm(bot, f"/new 65000 1h 70 {A1}", "en")
    assert "up to 4.55 TRX, above the per-order limit of 4 TRX" in text
    assert "Left today: 10 TRX of 10 TRX." in text
    assert "resets at" in text
    assert "00:00 UTC" in text
    assert sim_orders(sim) == []
    assert await bot.rt.repo.get_submission(1) is None


async def test_daily_limit_refuses_in_chinese_without_a_provider_call(
    bot: Bot, sim: TronSaveSimulator
) -> None:
    # 40,000 x 70 SUN = 2.8 TRX each: three fit in 10 TRX, the fourth does not.
    for _ in range(3):
        assert "已向 TronSave 提交" in await confirm(bot, f"/new 40000 1h 70 {A1}", "zh")
    text = await confirm(bot, f"/new 40000 1h 70 {A1}", "zh")
    assert "每日限额 10 TRX 只剩 1.6 TRX" in text
    assert "未向服务商发送任何请求" in text
    assert "00:00 重置" in text
    assert len(sim_orders(sim)) == 3
