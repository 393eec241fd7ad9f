"""`PerChatUpdateProcessor`: one chat's updates one by one, different chats side by side.

PTB's `ConversationHandler` assumes it sees a conversation's updates one at a time: with
plain `concurrent_updates(True)` a user's second message can be handled while the first
is still running, before the conversation has moved to its next state, and land in the
wrong step (or in no step). Processing everything one by one would instead let one
user's slow provider call stall every other user.

So updates are serialised per chat, in arrival order, and different chats run in
parallel, at most `max_concurrent_updates` at a time. Callback queries are serialised
with the messages of their chat: the wizard takes both typed answers and button presses
in one conversation, and a press racing a typed answer would race its state too; the
price is that a press waits for the chat's update before it, which is that same user's.
Updates with no chat (none of the kinds the bot subscribes to) are keyed by their user;
anything else runs unserialised, within the bound.

Memory is bounded: a chat's lock exists only while one of its updates waits or runs
(`KeyedLocks`), and PTB's own semaphore (`max_pending`) caps the updates admitted at
once, waiting or running.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.bounded import KeyedLocks

DEFAULT_CONCURRENCY = 32
DEFAULT_MAX_PENDING = 4096


def serial_key(update: object) -> tuple[str, int] | None:
    """What an update is serialised on: its chat, else its user, else nothing."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return ("chat", update.effective_chat.id)
    if update.effective_user is not None:
        return ("user", update.effective_user.id)
    return None


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Same chat: one by one in arrival order. Different chats: in parallel, bounded.

    PTB acquires its semaphore (sized `max_pending`) before `do_process_update`, so a
    slot there is held while an update waits for its chat too; the running bound is a
    second semaphore taken only once the chat's turn has come, so a chat with a queue
    of waiting updates never occupies the slots other chats need.
    """

    def __init__(
        self,
        max_concurrent_updates: int = DEFAULT_CONCURRENCY,
        *,
        max_pending: int = DEFAULT_MAX_PENDING,
    ) -> None:
        if max_concurrent_updates < 1 or max_pending < max_concurrent_updates:
            raise ValueError("need 1 <= max_concurrent_updates <= max_pending")
        super().__init__(max_pending)
        self.running_limit = max_concurrent_updates
        self._running = asyncio.Semaphore(max_concurrent_updates)
        self._chats: KeyedLocks[tuple[str, int]] = KeyedLocks()

    @property
    def active_chats(self) -> int:
        """Chats with an update waiting or running (the size of the per-chat state)."""
        return len(self._chats)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = serial_key(update)
        if key is None:
            async with self._running:
                await coroutine
            return
        async with self._chats[key], self._running:
            await coroutine

    async def initialize(self) -> None:
        """Nothing to set up: the locks are made on demand."""

    async def shutdown(self) -> None:
        """Nothing to free: PTB awaits the updates in flight before shutting down."""
