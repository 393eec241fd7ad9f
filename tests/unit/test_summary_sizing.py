"""The summary's use of the chain checks: waited for within their budget, or taken as
they are (still running) by a summary sent before its quote."""

from __future__ import annotations

import asyncio

from bot.chain.models import TRANSFER_ENERGY_TO_HOLDER, AccountResources
from bot.sandbox.base import derive_address
from bot.services.energy_need import NeedBasis, NeedReport, TransferNeed, size_receiver
from bot.services.sizing import Sizing
from bot.telegram.handlers.summary_sizing import sizing_if_ready, sizing_result, sizing_section

RECV = derive_address("summary-sizing:receiver")


def sized(amount: int = 65_000, available: int = 0) -> Sizing:
    transfer = TransferNeed(TRANSFER_ENERGY_TO_HOLDER * 2, NeedBasis.SIMULATED)
    resources = AccountResources(RECV, True, available)
    need = size_receiver(RECV, resources, transfer, amount=amount, minimum=0)
    return Sizing(True, NeedReport(amount, None, transfer, (need,), frozenset()), 100)


async def test_a_running_check_is_shown_as_running_and_then_its_result() -> None:
    gate = asyncio.Event()

    async def slow() -> Sizing:
        await gate.wait()
        return sized()

    task = asyncio.create_task(slow())
    assert sizing_if_ready(task) is None
    assert "Still checking the chain" in sizing_section("en", None, None, None).text
    gate.set()
    result = await sizing_result(task)
    assert result.report is not None
    assert sizing_if_ready(task) is result


async def test_a_failing_check_reads_as_not_reached() -> None:
    async def broken() -> Sizing:
        raise RuntimeError("a bug")

    task = asyncio.create_task(broken())
    result = await sizing_result(task)
    assert result.enabled
    assert result.report is None
    assert sizing_if_ready(task) == Sizing(True)
    assert (await sizing_result(None)) == Sizing(enabled=False)
    assert sizing_if_ready(None) == Sizing(enabled=False)


def test_the_suggestion_becomes_a_button_only_when_it_changes_the_amount() -> None:
    section = sizing_section("en", sized(available=1_000), None, "tronsave")
    assert [b.text for row in section.rows for b in row] == ["🎯 Use 127,570 energy"]
    assert section.rows[0][0].callback_data == "w:size:127570"
    same = sizing_section("en", sized(amount=128_570), None, "tronsave")
    assert same.rows == []
