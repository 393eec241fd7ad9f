"""The outbox: push messages queued with the change they announce, and their delivery."""

from __future__ import annotations

import json
from collections.abc import Sequence

import aiosqlite

from bot.storage import rows
from bot.storage.base import Store
from bot.storage.rows import NewNotification, Notification


async def insert_notification(db: aiosqlite.Connection, note: NewNotification, now: float) -> None:
    """Queue a push inside the caller's transaction: a change is never stored without
    its message, nor the reverse."""
    await db.execute(
        "INSERT INTO outbox (chat_id, kind, payload, created_at) VALUES (?,?,?,?)",
        (note.chat_id, note.kind.value, note.payload.to_json(), now),
    )


_UNSENT = "sent_at IS NULL AND dropped IS NULL"


class OutboxStore(Store):
    async def unsent_notifications(
        self, limit: int = 500, *, after_id: int = 0
    ) -> list[Notification]:
        """Every notice still to send, due or deferred, in queue order."""
        return await self._queued(limit, after_id, due_by=None)

    async def due_notifications(
        self, limit: int, *, after_id: int, now: float
    ) -> list[Notification]:
        """Unsent notices whose next try is due, in queue order."""
        return await self._queued(limit, after_id, due_by=now)

    async def _queued(self, limit: int, after_id: int, due_by: float | None) -> list[Notification]:
        found = await self._fetchall(
            f"SELECT {rows.NOTIFICATION_COLUMNS} FROM outbox WHERE {_UNSENT} AND id > ?"
            " AND (? IS NULL OR next_try_at IS NULL OR next_try_at <= ?) ORDER BY id LIMIT ?",
            (after_id, due_by, due_by, limit),
        )
        return [rows.notification(r) for r in found]

    async def next_notification_try(self) -> float | None:
        """When the earliest deferred notice is due (None: nothing deferred)."""
        row = await self._fetchone(f"SELECT MIN(next_try_at) AS due FROM outbox WHERE {_UNSENT}")
        return float(row["due"]) if row and row["due"] is not None else None

    async def defer_notification(
        self, notification_id: int, *, next_try_at: float, attempts: int
    ) -> None:
        async with self._tx() as db:
            await db.execute(
                "UPDATE outbox SET next_try_at = ?, attempts = ? WHERE id = ?",
                (next_try_at, attempts, notification_id),
            )

    async def set_notification_progress(
        self, notification_id: int, *, parts_sent: int, render_level: int, parts: Sequence[str]
    ) -> None:
        """After each part of a long push: a retry resumes with the same texts."""
        async with self._tx() as db:
            await db.execute(
                "UPDATE outbox SET parts_sent = ?, render_level = ?, parts = ? WHERE id = ?",
                (parts_sent, render_level, json.dumps(list(parts)), notification_id),
            )

    async def park_notification(self, notification_id: int, reason: str, *, now: float) -> None:
        """Give up on a notice: kept (not deleted) and counted as failed."""
        async with self._tx() as db:
            await db.execute(
                "UPDATE outbox SET dropped = ?, failed_at = ? WHERE id = ?",
                (f"failed: {reason}"[:300], now, notification_id),
            )

    async def count_failed_notifications(self) -> int:
        row = await self._fetchone(
            "SELECT COUNT(*) AS failed FROM outbox WHERE failed_at IS NOT NULL"
        )
        return int(row["failed"]) if row else 0

    async def mark_sent(self, notification_id: int, *, now: float) -> None:
        async with self._tx() as db:
            await db.execute("UPDATE outbox SET sent_at = ? WHERE id = ?", (now, notification_id))

    async def mark_dropped(self, notification_id: int, reason: str) -> None:
        async with self._tx() as db:
            await db.execute(
                "UPDATE outbox SET dropped = ? WHERE id = ?", (reason, notification_id)
            )
