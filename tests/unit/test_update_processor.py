"""`PerChatUpdateProcessor`: one chat in order, chats in parallel, bounded."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from typing import Any

import pytest
from telegram import Update
from telegram.ext import SimpleUpdateProcessor

from bot.telegram.update_processor import PerChatUpdateProcessor, serial_key
from tests.support.updates import callback_update, text_update


def _text(chat: int, user: int | None = None) -> Update:
    update = Update.de_json(text_update("hi", user_id=user or chat, chat_id=chat), None)
    assert update is not None
    return update


def _press(chat: int) -> Update:
    raw = callback_update("w:new", user_id=chat, chat_id=chat, message_id=1)
    update = Update.de_json(raw, None)
    assert update is not None
    return update


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []
        self.running = 0
        self.peak = 0

    async def work(self, n: int, delay: float = 0.0, gate: asyncio.Event | None = None) -> None:
        self.running += 1
        self.peak = max(self.peak, self.running)
        self.events.append(("start", n))
        if gate is not None:
            await gate.wait()
        await asyncio.sleep(delay)
        self.events.append(("end", n))
        self.running -= 1


async def _feed(
    processor: PerChatUpdateProcessor | SimpleUpdateProcessor,
    jobs: Sequence[tuple[object, Coroutine[Any, Any, None]]],
) -> list[asyncio.Task[None]]:
    """Start each update as PTB does: one task per update, created in arrival order."""
    tasks = [asyncio.create_task(processor.process_update(update, coro)) for update, coro in jobs]
    await asyncio.sleep(0)
    return tasks


def test_serial_key_is_the_chat_then_the_user() -> None:
    assert serial_key(_text(5, user=9)) == ("chat", 5)
    assert serial_key(_press(6)) == ("chat", 6)
    assert serial_key(object()) is None


async def test_one_chats_updates_run_one_by_one_in_arrival_order() -> None:
    processor = PerChatUpdateProcessor(8)
    rec = Recorder()
    # The first is the slowest: without serialisation the later ones would finish first.
    jobs = [(_text(1), rec.work(n, delay=0.01 * (4 - n))) for n in range(4)]
    jobs.insert(2, (_press(1), rec.work(99)))
    async with processor:
        await asyncio.gather(*await _feed(processor, jobs))
    assert rec.events == [
        ("start", 0), ("end", 0), ("start", 1), ("end", 1), ("start", 99), ("end", 99),
        ("start", 2), ("end", 2), ("start", 3), ("end", 3),
    ]  # fmt: skip
    assert rec.peak == 1
    assert processor.active_chats == 0


async def test_plain_concurrency_would_interleave_one_chat() -> None:
    # What the bot used before (`concurrent_updates(True)`): the same jobs overlap.
    rec = Recorder()
    jobs = [(_text(1), rec.work(n, delay=0.01 * (4 - n))) for n in range(4)]
    await asyncio.gather(*await _feed(SimpleUpdateProcessor(8), jobs))
    assert rec.peak > 1


async def test_different_chats_run_in_parallel() -> None:
    processor = PerChatUpdateProcessor(8)
    a_started, b_started = asyncio.Event(), asyncio.Event()

    async def a() -> None:
        a_started.set()
        await b_started.wait()

    async def b() -> None:
        b_started.set()
        await a_started.wait()

    tasks = await _feed(processor, [(_text(1), a()), (_text(2), b())])
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=2)  # serial would deadlock


async def test_a_chat_with_a_queue_does_not_take_the_slots_of_others() -> None:
    processor = PerChatUpdateProcessor(2)
    rec = Recorder()
    gate = asyncio.Event()
    # Chat 1 sends five updates; the first hangs until the gate opens.
    busy = [(_text(1), rec.work(n, gate=gate if n == 0 else None)) for n in range(5)]
    tasks = await _feed(processor, busy)
    other = await _feed(processor, [(_text(2), rec.work(100))])
    await asyncio.wait_for(asyncio.gather(*other), timeout=2)
    assert ("end", 100) in rec.events
    assert ("end", 0) not in rec.events
    gate.set()
    await asyncio.gather(*tasks)


async def test_running_updates_are_bounded_and_state_is_freed() -> None:
    processor = PerChatUpdateProcessor(3, max_pending=100)
    rec = Recorder()
    jobs = [(_text(chat), rec.work(chat, delay=0.005)) for chat in range(1, 31)]
    tasks = await _feed(processor, jobs)
    assert processor.active_chats <= 30
    await asyncio.gather(*tasks)
    assert rec.peak == 3
    assert processor.active_chats == 0  # no per-chat state kept for idle chats


async def test_updates_without_a_chat_run_within_the_bound() -> None:
    processor = PerChatUpdateProcessor(1)
    rec = Recorder()
    tasks = await _feed(processor, [(object(), rec.work(n, delay=0.001)) for n in range(3)])
    await asyncio.gather(*tasks)
    assert rec.peak == 1


def test_bad_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="max_concurrent_updates"):
        PerChatUpdateProcessor(0)
    with pytest.raises(ValueError, match="max_concurrent_updates"):
        PerChatUpdateProcessor(10, max_pending=5)
