"""Shared by the after-match flows: settings that read the TRON node simulator linked to
the TronSave one (a match delegates energy on the node), an order placed and matched, a
summary completed in place, and one after-match cycle."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.config import Settings
from bot.sandbox.tron_node import TronNodeSimulator
from bot.sandbox.tronsave import TronSaveSimulator
from tests.integration.harness import TS_KEY, Bot, make_settings
from tests.support.fake_bot_api import SentMessage, buttons


def linked_settings(
    tmp_path: Path, sim: TronSaveSimulator, node: TronNodeSimulator, **more: object
) -> Settings:
    return make_settings(
        tmp_path,
        tronsave_api_key=TS_KEY,
        tronsave_base_url=sim.base_url,
        tron_chain_reads=True,
        tron_node_url=node.base_url,
        tron_requests_per_second=1000,
        **more,
    )


async def order_and_match(bot: Bot, sim: TronSaveSimulator, command: str) -> SentMessage:
    """`command` (a /new) confirmed, matched and pushed; returns the push."""
    await bot.command(command)
    await bot.press(bot.last(), "Confirm with")
    assert "Submitted to TronSave" in (bot.last().text or "")
    sim.match()
    await bot.poll()
    push = bot.last()
    assert "Energy delivered" in (push.text or "")
    return push


async def completed_summary(bot: Bot) -> SentMessage:
    """The summary just sent saying its prices are on the way, once it is edited in place
    into one with its Confirm (the application must be started: a task of its own does
    it)."""
    pending = bot.last()
    for _ in range(200):
        if any("Confirm with" in str(b.get("text")) for b in buttons(bot.last())):
            break
        await asyncio.sleep(0.05)
    done = bot.last()
    assert done.message_id == pending.message_id  # edited in place
    return done


async def after_match(bot: Bot) -> None:
    """One after-match cycle (what its job runs), then the pushes it queued."""
    assert bot.rt.after_match is not None
    await bot.rt.after_match.run_cycle()
    await bot.settle()
