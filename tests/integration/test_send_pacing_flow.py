"""The bot as `build_application` wires it, sending through HTTP to the Bot API stand-in
with Telegram's limits on: 60 chats pushed at once meet no 429."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import build_application
from bot.domain import NoticeKind, ProviderName
from bot.sandbox.tronsave import TronSaveSimulator
from bot.storage.repository import NewNotification, NewOrder, NoticePayload, Repository
from bot.telegram.context import SERVICES_KEY
from bot.tron_address import address_from_bytes
from testkit.telegram_limits import TelegramLimits
from tests.integration.harness import TOKEN, TS_KEY, make_settings
from tests.support.storage import queue_notice
from tests.support.telegram_server import FakeTelegramServer

CHATS = [3_000_001 + i for i in range(60)]


@pytest.fixture
def tg() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer(TOKEN, limits=TelegramLimits()) as server:
        yield server


@pytest.fixture
def sim() -> Iterator[TronSaveSimulator]:
    with TronSaveSimulator(api_key=TS_KEY, rate_interval=0.0) as simulator:
        yield simulator


async def matched_notices(repo: Repository) -> None:
    for i, chat in enumerate(CHATS):
        receiver = address_from_bytes(bytes([i + 1]) * 20)
        sub = await repo.create_submission(
            chat_id=chat,
            user_id=chat,
            provider=ProviderName.TRONSAVE,
            key_id="k",
            amount=65_000,
            duration_sec=900,
            max_price=70,
            deadline_sec=300,
            receivers=[receiver],
            now=1.0,
        )
        (order,) = await repo.record_orders(
            sub, [NewOrder(f"order-{i}", receiver, 65_000, 900)], now=1.0
        )
        note = NewNotification(chat, NoticeKind.MATCHED, NoticePayload(sub.id, (order.id,)))
        await queue_notice(repo, note, now=1.0)


async def test_60_chats_pushed_at_once_meet_no_429(
    tmp_path: Path, tg: FakeTelegramServer, sim: TronSaveSimulator
) -> None:
    settings = make_settings(
        tmp_path,
        telegram_base_url=tg.base_url,
        tronsave_api_key=TS_KEY,
        tronsave_base_url=sim.base_url,
    )
    app = build_application(settings)
    async with app:
        assert app.post_init is not None
        assert app.post_shutdown is not None
        await app.post_init(app)
        try:
            rt = app.bot_data[SERVICES_KEY]
            await matched_notices(rt.repo)
            rt.outbox_ready.set()
            for _ in range(1500):
                if not await rt.repo.unsent_notifications():
                    break
                await asyncio.sleep(0.01)
        finally:
            await app.post_shutdown(app)
    assert tg.too_many_requests() == {}
    assert all(len(tg.messages(chat)) == 1 for chat in CHATS)
