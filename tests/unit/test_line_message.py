"""The waiting message of a Confirm press: its text, and edits that follow the line at
most once per LINE_EDIT_SECONDS."""

from __future__ import annotations

import asyncio
import itertools
from typing import cast

import pytest
from telegram import Message

from bot.providers.port import OrderRequest
from bot.services.orders import Place
from bot.services.orders.queue import CreateQueue
from bot.telegram.handlers import submit
from bot.tron_address import address_from_bytes
from tests.support.fake_provider import FakeProvider

REQUEST = OrderRequest(65_000, 900, 70, (address_from_bytes(b"\x61" * 20),), 300)


class FakeMessage:
    def __init__(self, text: str) -> None:
        self.text = text
        self.edits: list[tuple[float, str]] = []

    async def edit_text(self, text: str) -> None:
        self.edits.append((asyncio.get_running_loop().time(), text))


def test_the_text_says_the_place_and_the_wait_rounded_up() -> None:
    assert submit.line_text("en", "TronSave", None) == "Submitting…"
    text = submit.line_text("en", "TronSave", Place(3, 3.2))
    assert "number 3 in line" in text
    assert "about 4 s" in text
    assert "about 1 s" in submit.line_text("en", "TronSave", Place(2, 0.0))
    assert "第 3 位" in submit.line_text("zh", "TronSave", Place(3, 3.2))


async def test_edits_follow_the_line_at_most_once_per_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(submit, "LINE_EDIT_SECONDS", 0.1)
    queue = CreateQueue()
    fake = FakeProvider(submit_pace=1.0)
    ahead = [queue.join(fake, REQUEST) for _ in range(6)]
    mine = queue.join(fake, REQUEST)
    loop = asyncio.get_running_loop()
    sent_at = loop.time()

    def text(place: Place | None) -> str:
        return "go" if place is None else f"#{place.position}"

    message = FakeMessage(text(mine.place()))
    following = asyncio.ensure_future(submit.follow_line(cast(Message, message), mine, text))
    for ticket in ahead:  # the line moves every 20 ms: faster than the edits may
        await queue.wait_turn(ticket)
        await asyncio.sleep(0.02)
        queue.done(ticket)
    await queue.wait_turn(mine)
    await asyncio.wait_for(following, 2)
    times = [sent_at] + [at for at, _ in message.edits]
    assert all(b - a >= 0.1 - 0.005 for a, b in itertools.pairwise(times))
    texts = [t for _, t in message.edits]
    assert texts[-1] == "go"
    assert len(texts) < len(ahead)  # moves in between are shown together
    places = [int(t[1:]) for t in texts[:-1]]
    assert places == sorted(places, reverse=True)
