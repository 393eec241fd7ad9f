"""Retention: what the database keeps, and for how long.

Kept forever: open orders, submissions still being sent or reconciled, pushes not sent
yet. Kept for OUTBOX_RETENTION_DAYS: sent (or parked) pushes, and the wizard state of a
chat that blocked the bot. Kept for ORDER_RETENTION_DAYS after closing: closed orders
and their submissions. Never stored: anything for a user who only said hello (a
language row exists only while a language is chosen).

Deletes run in batches, each its own short transaction, so handlers and the poller get
the database between them; a run does at most `max_batches` per kind and the next run
carries on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.storage.repository import Repository

DAY = 86_400.0


@dataclass(frozen=True)
class Retention:
    outbox_seconds: float
    order_seconds: float
    batch: int = 500
    max_batches: int = 20


@dataclass
class PruneReport:
    outbox: int = 0
    orders: int = 0  # orders and submissions
    users: int = 0
    chats: int = 0
    left_chats: list[int] = field(default_factory=list)  # whose PTB state was dropped

    @property
    def total(self) -> int:
        return self.outbox + self.orders + self.users + self.chats + len(self.left_chats)


async def _in_batches(step: Callable[[], Awaitable[int]], retention: Retention) -> int:
    total = 0
    for _ in range(retention.max_batches):
        deleted = await step()
        total += deleted
        if deleted < retention.batch:
            break
        await asyncio.sleep(0)  # let others use the database between batches
    return total


async def prune(repo: Repository, retention: Retention, now: float) -> PruneReport:
    outbox_before = now - retention.outbox_seconds
    orders_before = now - retention.order_seconds
    batch = retention.batch
    report = PruneReport()
    report.outbox = await _in_batches(
        lambda: repo.prune_outbox(before=outbox_before, batch=batch), retention
    )
    report.orders = await _in_batches(
        lambda: repo.prune_closed_orders(before=orders_before, batch=batch), retention
    )
    report.users = await _in_batches(lambda: repo.prune_users_without_lang(batch=batch), retention)
    report.left_chats = await repo.chats_left_before(outbox_before, limit=batch)
    for chat_id in report.left_chats:
        await repo.drop_ptb_state_of_chat(chat_id)
    report.chats = await _in_batches(
        lambda: repo.prune_left_chats(before=outbox_before, batch=batch), retention
    )
    return report
