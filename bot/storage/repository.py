"""The repository: every read and write of submissions, orders, the outbox, chats,
users and PTB state, as one object over one SQLite connection.

Each concern is a store in its own module; `Repository` is all of them together, so
callers keep one object. They share one aiosqlite connection and one asyncio lock per
process (see base.py), which keeps each transaction whole.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Self

import aiosqlite

from bot.storage.access import AccessStore
from bot.storage.after_match import AfterMatchStore
from bot.storage.chats import ChatStore
from bot.storage.limits import LimitStore
from bot.storage.migrations import migrate
from bot.storage.operator_alerts import OperatorAlertStore
from bot.storage.orders import OrderStore
from bot.storage.outbox import OutboxStore
from bot.storage.pruning import PruningStore
from bot.storage.ptb import PtbStore
from bot.storage.reports import ReportStore
from bot.storage.rows import (
    RECEIVER_SENDING,
    NewNotification,
    NewOrder,
    NoticePayload,
    Notification,
    Order,
    OrderChanges,
    ReceiverRecord,
    ReceiverUpdate,
    Submission,
    Transition,
    Watch,
)
from bot.storage.submissions import SubmissionStore
from bot.storage.tracking import TrackingStore
from bot.storage.watches import WatchedAddress, WatchStore

__all__ = [
    "RECEIVER_SENDING",
    "NewNotification",
    "NewOrder",
    "NoticePayload",
    "Notification",
    "Order",
    "OrderChanges",
    "ReceiverRecord",
    "ReceiverUpdate",
    "Repository",
    "Submission",
    "Transition",
    "Watch",
    "WatchedAddress",
]


class Repository(
    SubmissionStore,
    OrderStore,
    TrackingStore,
    OutboxStore,
    ChatStore,
    PtbStore,
    PruningStore,
    OperatorAlertStore,
    LimitStore,
    AccessStore,
    AfterMatchStore,
    ReportStore,
    WatchStore,
):
    _path = ":memory:"

    @classmethod
    async def open(cls, path: Path | str) -> Self:
        repo = cls.at(path)
        await repo.start()
        return repo

    @classmethod
    def at(cls, path: Path | str) -> Self:
        """The repository of the database at `path`, not open yet: `start()` opens it
        (so it can be built before there is an event loop to open it in)."""
        repo = cls(aiosqlite.connect(str(path), isolation_level=None))
        repo._path = str(path)
        return repo

    async def start(self) -> None:
        if self._path != ":memory:":
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        db = await self._db  # starts aiosqlite's worker thread and connects
        db.row_factory = sqlite3.Row  # rows are read by column name
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA synchronous=NORMAL")
            await db.execute("PRAGMA foreign_keys=ON")
            await db.execute("PRAGMA busy_timeout=5000")
            await migrate(db)
        except BaseException:
            # aiosqlite's worker thread is not a daemon: a leaked connection keeps the
            # process from exiting after the error.
            await db.close()
            raise

    async def close(self) -> None:
        async with self._lock:
            await self._db.close()
