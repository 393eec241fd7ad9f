"""A real PTB Application wired by `build_application`, an in-process fake Bot API and
the provider simulators on 127.0.0.1. Tests talk to it as a Telegram user would."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.app import LIFECYCLE_KEY, BotApp, build_application
from bot.config import Settings
from bot.services.runtime import Runtime
from bot.telegram.context import SERVICES_KEY
from bot.telegram.lifecycle import BotServices
from bot.telegram.send_pacing import SendLimits, Window
from tests.support.fake_bot_api import FakeBotApi, SentMessage, find_button
from tests.support.updates import ptb_callback_update, ptb_command_update, ptb_text_update

TOKEN = "123:integration-token-abcdef"
# The in-process fake Bot API enforces no send limits: pacing for Telegram's would only
# slow the tests down (test_send_pacing_flow runs the real limits over HTTP).
UNLIMITED = SendLimits(Window(1_000_000, 1.0), Window(1_000_000, 1.0), Window(1_000_000, 1.0))
TS_KEY = "ts-integration-key"
FEEE_KEY = "feee-integration-key"
ALICE = 1001  # allowed
BOB = 1002  # allowed
MALLORY = 6666  # not allowed


@dataclass
class Bot:
    app: BotApp
    api: FakeBotApi

    @property
    def rt(self) -> Runtime:
        rt = self.app.bot_data[SERVICES_KEY]
        assert isinstance(rt, Runtime)
        return rt

    @property
    def services(self) -> BotServices:
        services = self.app.bot_data[LIFECYCLE_KEY]
        assert isinstance(services, BotServices)
        return services

    async def say(
        self,
        text: str,
        *,
        user: int = ALICE,
        chat: int | None = None,
        lang: str = "en",
        chat_type: str = "private",
    ) -> None:
        """Send a message as a user; text starting with "/" is sent as a command."""
        build = ptb_command_update if text.startswith("/") else ptb_text_update
        await self.app.process_update(
            build(
                self.app.bot,
                text,
                user_id=user,
                chat_id=chat or user,
                language_code=lang,
                chat_type=chat_type,
            )
        )

    command = say

    async def press(
        self,
        message: SentMessage,
        label: str,
        *,
        user: int = ALICE,
        chat: int | None = None,
        lang: str = "en",
    ) -> None:
        await self.press_data(
            find_button(message, label), message, user=user, chat=chat, lang=lang
        )

    async def press_data(
        self,
        data: str,
        message: SentMessage,
        *,
        user: int = ALICE,
        chat: int | None = None,
        lang: str = "en",
    ) -> None:
        await self.app.process_update(
            ptb_callback_update(
                self.app.bot,
                data,
                user_id=user,
                chat_id=chat or message.chat_id,
                message_id=message.message_id,
                message_text=message.text or "",
                language_code=lang,
            )
        )

    def messages(self, chat: int = ALICE) -> list[SentMessage]:
        return self.api.messages(chat)

    def last(self, chat: int = ALICE) -> SentMessage:
        return self.messages(chat)[-1]

    def texts(self, chat: int = ALICE) -> list[str]:
        return [m.text or "" for m in self.messages(chat)]

    async def poll(self) -> None:
        """One poll cycle, then wait until the outbox dispatcher has sent everything."""
        await self.rt.poller.run_cycle()
        await self.settle()

    async def settle(self) -> None:
        self.rt.outbox_ready.set()
        for _ in range(500):
            if not await self.rt.repo.unsent_notifications():
                await asyncio.sleep(0)
                return
            await asyncio.sleep(0.01)
        raise AssertionError("outbox did not drain")


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": TOKEN,
        "database_path": tmp_path / "bot.sqlite3",
        "allowed_user_ids": frozenset({ALICE, BOB}),
        "tronsave_min_interval_seconds": 0.0,
        "poll_interval_seconds": 3600,
        "http_timeout_seconds": 5,
        "heartbeat_path": tmp_path / "heartbeat",
        "feee_requests_per_second": 1000,
        # Tests that read the chain pass tron_node_url (a TronNodeSimulator) and turn it on.
        "tron_chain_reads": False,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@asynccontextmanager
async def running_bot(
    settings: Settings, *, clock: Callable[[], float] | None = None
) -> AsyncIterator[Bot]:
    api = FakeBotApi()
    extra: dict[str, Any] = {} if clock is None else {"clock": clock}
    app = build_application(
        settings,
        request=api,
        get_updates_request=FakeBotApi(),
        send_limits=UNLIMITED,
        **extra,
    )
    async with app:
        assert app.post_init is not None
        assert app.post_shutdown is not None
        await app.post_init(app)
        try:
            yield Bot(app, api)
        finally:
            await _bounded("update_persistence", app.update_persistence())
            await _bounded("post_shutdown", app.post_shutdown(app))


# A stop that hangs fails its test, naming every task still waiting and where, instead of
# holding the whole run (a hang seen rarely in full runs; see _bounded's message).
STOP_TIMEOUT = 30.0


async def _bounded(what: str, step: Awaitable[None]) -> None:
    try:
        async with asyncio.timeout(STOP_TIMEOUT):
            await step
    except TimeoutError as exc:
        stacks = []
        for task in asyncio.all_tasks():
            frames = task.get_stack(limit=8)
            where = " <- ".join(f"{f.f_code.co_filename}:{f.f_lineno}" for f in frames)
            stacks.append(f"{task.get_name()}: {where}")
        message = f"{what} did not finish in {STOP_TIMEOUT} s:\n" + "\n".join(stacks)
        raise AssertionError(message) from exc
