"""Shared by the after-match flows: settings that read the TRON node simulator linked to
the TronSave one (a match delegates energy on the node), an order placed and matched, and
one after-match cycle."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings
from bot.sandbox.tron_node import TronNodeSimulator
from bot.sandbox.tronsave import TronSaveSimulator
from tests.integration.harness import TS_KEY, Bot, make_settings
from tests.support.fake_bot_api import SentMessage


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


async def after_match(bot: Bot) -> None:
    """One after-match cycle (what its job runs), then the pushes it queued."""
    assert bot.rt.after_match is not None
    await bot.rt.after_match.run_cycle()
    await bot.settle()
