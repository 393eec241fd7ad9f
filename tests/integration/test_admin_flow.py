"""Admins in chat: /allow takes effect at once, /deny, /limit, /users, /audit, and a
non-admin is refused with nothing changed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.sandbox.tronsave import TronSaveSimulator
from bot.tron_address import address_from_bytes
from tests.integration.harness import ALICE, BOB, MALLORY, TS_KEY, Bot, make_settings, running_bot
from tests.support.fake_bot_api import buttons
from tests.support.simulators import sim_orders

A1 = address_from_bytes(b"\x66" * 20)


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
        admin_user_ids=frozenset({ALICE}),
    )
    async with running_bot(settings) as running:
        yield running


async def test_allow_takes_effect_at_once_and_is_audited(bot: Bot, sim: TronSaveSimulator) -> None:
    await bot.command(f"/new 65000 1h 70 {A1}", user=MALLORY)
    assert "not allowed" in (bot.last(MALLORY).text or "")
    await bot.command(f"/allow {MALLORY}")
    assert f"<code>{MALLORY}</code> may order now" in (bot.last().text or "")
    await bot.command(f"/new 65000 1h 70 {A1}", user=MALLORY)
    summary = bot.last(MALLORY)
    data = next(b["callback_data"] for b in buttons(summary) if b["text"].startswith("✅"))
    await bot.press_data(data, summary, user=MALLORY)
    assert "Submitted to TronSave" in (bot.last(MALLORY).text or "")
    assert len(sim_orders(sim)) == 1
    await bot.command(f"/limit {MALLORY} 12.5")
    assert "12.5 TRX" in (bot.last().text or "")
    await bot.command("/users")
    listing = bot.last().text or ""
    assert f"<code>{MALLORY}</code> · 4.55 TRX / 12.5" in listing
    assert f"<code>{BOB}</code> · 0 TRX / no limit" in listing
    await bot.command(f"/deny {BOB}", lang="zh")
    assert not bot.rt.may_spend(BOB)
    await bot.command("/audit")
    audit = bot.last().text or ""
    lines = audit.splitlines()[1:]
    assert f"/deny {BOB}" in lines[1]  # newest first, after /audit itself
    assert f"/limit {MALLORY} 12.5 TRX" in audit
    assert f"/allow {MALLORY}" in lines[-1]


async def test_non_admin_is_refused_and_nothing_changes(bot: Bot) -> None:
    await bot.command(f"/deny {ALICE}", user=BOB)
    assert "Only the bot's admins" in (bot.last(BOB).text or "")
    await bot.command(f"/allow {MALLORY}", user=BOB, lang="zh")
    assert "只有机器人管理员" in (bot.last(BOB).text or "")
    assert bot.rt.may_spend(ALICE)
    assert not bot.rt.may_spend(MALLORY)
    assert await bot.rt.repo.audit_entries(10) == []


async def test_bad_arguments_get_usage_and_change_nothing(bot: Bot) -> None:
    for command in ("/allow", "/allow abc", "/limit 5", "/limit 5 -1", "/limit 5 1.0000001"):
        await bot.command(command)
        assert "Usage:" in (bot.last().text or ""), command
    assert await bot.rt.repo.audit_entries(10) == []
    assert await bot.rt.repo.daily_override(5) is None
