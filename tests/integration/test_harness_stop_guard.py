"""The harness's bounded stop: a stop that hangs fails with the waiting tasks named."""

from __future__ import annotations

import asyncio

import pytest

from tests.integration import harness


async def test_a_hanging_stop_fails_naming_the_tasks_still_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(harness, "STOP_TIMEOUT", 0.05)
    never: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    stuck = asyncio.create_task(asyncio.wait_for(never, timeout=None), name="stuck-stop")
    with pytest.raises(AssertionError, match="post_shutdown did not finish") as raised:
        await harness._bounded("post_shutdown", asyncio.shield(stuck))
    assert "stuck-stop" in str(raised.value)
    stuck.cancel()


async def test_a_stop_that_finishes_passes() -> None:
    await harness._bounded("post_shutdown", asyncio.sleep(0))
