"""Tracking health of orders (the `order_watch` table) and the one-off notices about it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Literal

from bot.domain import ProviderName
from bot.storage import rows
from bot.storage.base import Store, marks
from bot.storage.orders import OPEN_STATE_VALUES
from bot.storage.outbox import insert_notification
from bot.storage.rows import NewNotification, Order, Watch

OrderNotices = Callable[[list[Order]], list[NewNotification]]
_ReportColumn = Literal["unreadable_reported_at", "key_missing_reported_at"]


class TrackingStore(Store):
    async def watches(self, order_ids: Sequence[int]) -> dict[int, Watch]:
        """Tracking health of the given orders; orders never unreadable are absent."""
        found = await self._fetch_in_chunks(
            "SELECT order_id, failures, last_error, next_poll_at,"
            " unreadable_reported_at IS NOT NULL AS unreadable_reported FROM order_watch"
            " WHERE order_id IN ({marks})",
            order_ids,
        )
        return {int(r["order_id"]): rows.watch(r) for r in found}

    async def record_unreadable(
        self, order_id: int, *, error: str, next_poll_at: float | None
    ) -> int:
        """Count one more consecutive unreadable answer; returns the count."""
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO order_watch (order_id, failures, last_error, next_poll_at)"
                " VALUES (?, 1, ?, ?) ON CONFLICT (order_id) DO UPDATE SET"
                " failures = failures + 1, last_error = excluded.last_error,"
                " next_poll_at = excluded.next_poll_at",
                (order_id, error[:200], next_poll_at),
            )
            async with db.execute(
                "SELECT failures FROM order_watch WHERE order_id = ?", (order_id,)
            ) as cur:
                row = await cur.fetchone()
        return int(row["failures"]) if row else 0

    async def readable_again(self, order_ids: Sequence[int]) -> None:
        """A readable answer ends the streak (a past report stays recorded: it is sent
        once per order)."""
        if not order_ids:
            return
        async with self._tx() as db:
            await db.execute(
                "UPDATE order_watch SET failures = 0, last_error = NULL, next_poll_at = NULL"
                f" WHERE failures > 0 AND order_id IN ({marks(len(order_ids))})",
                list(order_ids),
            )

    async def report_unreadable(
        self, orders: Sequence[Order], *, now: float, notifications: OrderNotices
    ) -> list[Order]:
        """Mark orders reported as unreadable and queue their notices, once per order."""
        return await self._report_once("unreadable_reported_at", orders, now, notifications)

    async def report_key_missing(
        self, orders: Sequence[Order], *, now: float, notifications: OrderNotices
    ) -> list[Order]:
        """Mark orders reported as placed with a key no longer configured, once per order
        (until `key_back` clears it)."""
        return await self._report_once("key_missing_reported_at", orders, now, notifications)

    async def _report_once(
        self,
        column: _ReportColumn,
        orders: Sequence[Order],
        now: float,
        notifications: OrderNotices,
    ) -> list[Order]:
        if column not in ("unreadable_reported_at", "key_missing_reported_at"):
            raise ValueError(f"not a report column: {column}")
        fresh: list[Order] = []
        async with self._tx() as db:
            for order in orders:
                await db.execute(
                    "INSERT OR IGNORE INTO order_watch (order_id) VALUES (?)", (order.id,)
                )
                cur = await db.execute(
                    f"UPDATE order_watch SET {column} = ? WHERE order_id = ? AND {column} IS NULL",
                    (now, order.id),
                )
                if cur.rowcount == 1:
                    fresh.append(order)
            if fresh:
                for note in notifications(fresh):
                    await insert_notification(db, note, now)
        return fresh

    async def open_orders_of_other_keys(
        self, configured: Iterable[tuple[ProviderName, str]]
    ) -> list[Order]:
        """Open orders whose (provider, key_id) is not configured and not yet reported."""
        # Filtered here, not after reading: every cycle asks, and nearly all open orders
        # belong to a configured key.
        keys = sorted(set(configured))
        others = "".join(" AND NOT (o.provider = ? AND o.key_id = ?)" for _ in keys)
        found = await self._fetchall(
            f"SELECT {rows.columns(Order, 'o.')} FROM orders o"
            " LEFT JOIN order_watch w ON w.order_id = o.id"
            f" WHERE o.state IN ({marks(len(OPEN_STATE_VALUES))})"
            f" AND w.key_missing_reported_at IS NULL{others} ORDER BY o.id",
            [*OPEN_STATE_VALUES, *(v for provider, key in keys for v in (provider.value, key))],
        )
        return [rows.order(r) for r in found]

    async def key_back(self, provider: ProviderName, key_id: str) -> None:
        """The key is configured again: a later removal is reported afresh."""
        async with self._tx() as db:
            await db.execute(
                "UPDATE order_watch SET key_missing_reported_at = NULL"
                " WHERE key_missing_reported_at IS NOT NULL AND order_id IN"
                " (SELECT id FROM orders WHERE provider = ? AND key_id = ?)",
                (provider.value, key_id),
            )
