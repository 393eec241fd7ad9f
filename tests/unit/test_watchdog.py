"""The watchdog notices a rejected token: PTB's polling task ending on it, or getMe
in webhook mode."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from telegram.error import InvalidToken, NetworkError

from bot.telegram.watchdog import POLLING_TASK, PollingWatch, WebhookWatch


async def _polling(release: asyncio.Event, error: Exception) -> None:
    await release.wait()
    raise error


@pytest.mark.parametrize(
    ("error", "expected"), [(InvalidToken("Unauthorized"), True), (NetworkError("x"), False)]
)
async def test_only_a_polling_task_failed_on_the_token_counts(
    error: Exception, expected: bool
) -> None:
    watch = PollingWatch()
    assert not watch.failed_on_token()  # nothing to watch yet
    release = asyncio.Event()
    task = asyncio.create_task(_polling(release, error), name=POLLING_TASK)
    await asyncio.sleep(0)
    assert not watch.failed_on_token()  # found, still polling
    release.set()
    with pytest.raises(type(error)):
        await task
    # Finished tasks are no longer in asyncio.all_tasks(): the watch kept hold of it.
    assert watch.failed_on_token() is expected


async def test_a_task_with_another_name_is_ignored() -> None:
    watch = PollingWatch()
    task = asyncio.create_task(_polling(asyncio.Event(), InvalidToken("x")), name="other")
    await asyncio.sleep(0)
    assert not watch.failed_on_token()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


class _Bot:
    def __init__(self, error: Exception | None) -> None:
        self.error = error
        self.calls = 0

    async def get_me(self) -> object:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return object()


@pytest.mark.parametrize(
    ("error", "expected"),
    [(InvalidToken("Unauthorized"), True), (NetworkError("x"), False), (None, False)],
)
async def test_webhook_mode_asks_getme_and_only_a_rejected_token_counts(
    error: Exception | None, expected: bool
) -> None:
    bot = _Bot(error)
    watch = WebhookWatch(interval=3600)
    assert await watch.failed_on_token(cast(Any, bot)) is expected
    assert await watch.failed_on_token(cast(Any, bot)) is False  # not asked again so soon
    assert bot.calls == 1
