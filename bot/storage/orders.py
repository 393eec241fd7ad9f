"""Orders: reading them, and changing them only by compare-and-set transitions."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import aiosqlite

from bot.domain import OPEN_STATES, ProviderName
from bot.storage import rows
from bot.storage.base import CHUNK, Param, Store, marks
from bot.storage.outbox import insert_notification
from bot.storage.rows import NewNotification, Order, OrderChanges, Transition

OPEN_STATE_VALUES = tuple(sorted(s.value for s in OPEN_STATES))


def _set_list(changes: OrderChanges) -> tuple[list[str], list[Param]]:
    """`column = ?` terms and their values; the names come from OrderChanges' fields."""
    values = changes.columns()
    return [f"{name} = ?" for name in values], list(values.values())


class OrderStore(Store):
    async def orders_by_ids(self, order_ids: Sequence[int]) -> list[Order]:
        if not order_ids:
            return []
        found = await self._fetchall(
            f"SELECT {rows.ORDER_COLUMNS} FROM orders"
            f" WHERE id IN ({marks(len(order_ids))}) ORDER BY id",
            list(order_ids),
        )
        return [rows.order(r) for r in found]

    async def open_orders(self, provider: ProviderName, key_id: str | None = None) -> list[Order]:
        """Open orders of `provider`; with `key_id`, only those placed with that API key
        (an order is only ever tracked with the key it was created with)."""
        by_key = "" if key_id is None else " AND key_id = ?"
        keys: list[Param] = [provider.value] if key_id is None else [provider.value, key_id]
        found = await self._fetchall(
            f"SELECT {rows.ORDER_COLUMNS} FROM orders WHERE provider = ?{by_key}"
            f" AND state IN ({marks(len(OPEN_STATE_VALUES))}) ORDER BY id",
            [*keys, *OPEN_STATE_VALUES],
        )
        return [rows.order(r) for r in found]

    async def known_provider_ids(self, provider: ProviderName, ids: Sequence[str]) -> set[str]:
        found = await self._fetch_in_chunks(
            "SELECT provider_order_id FROM orders WHERE provider = ?"
            " AND provider_order_id IN ({marks})",
            ids,
            (provider.value,),
        )
        return {str(r["provider_order_id"]) for r in found}

    async def chat_orders(
        self, chat_id: int, *, offset: int, limit: int
    ) -> tuple[list[Order], int]:
        found = await self._fetchall(
            f"SELECT {rows.ORDER_COLUMNS} FROM orders WHERE chat_id = ?"
            " ORDER BY id DESC LIMIT ? OFFSET ?",
            (chat_id, limit, offset),
        )
        total = await self._fetchone(
            "SELECT COUNT(*) AS total FROM orders WHERE chat_id = ?", (chat_id,)
        )
        return [rows.order(r) for r in found], int(total["total"]) if total else 0

    async def chat_order_count(self, chat_id: int) -> int:
        found = await self._fetchone(
            "SELECT COUNT(*) AS total FROM orders WHERE chat_id = ?", (chat_id,)
        )
        return int(found["total"]) if found else 0

    async def chat_orders_after(self, chat_id: int, after_id: int, limit: int) -> list[Order]:
        """The chat's next `limit` orders with an id above `after_id`, oldest first: a
        keyset page, so streaming every order of a chat holds at most `limit` rows."""
        found = await self._fetchall(
            f"SELECT {rows.ORDER_COLUMNS} FROM orders WHERE chat_id = ? AND id > ?"
            " ORDER BY id LIMIT ?",
            (chat_id, after_id, limit),
        )
        return [rows.order(r) for r in found]

    async def apply(
        self,
        transitions: Sequence[Transition],
        *,
        now: float,
        notifications: Callable[[list[Transition]], list[NewNotification]] | None = None,
    ) -> list[Transition]:
        """Apply transitions with compare-and-set; returns those that won.

        A transition wins only if the order still has the state and raw status it was
        read with, so an overlapping poll or a restart cannot apply (and announce) the
        same change twice. Notifications for the winners are queued in the same
        transaction: a change is never stored without its message, nor the reverse.
        """
        won: list[Transition] = []
        async with self._tx() as db:
            # Compared and set inside one write transaction: nothing can change the rows
            # between the read and the writes. One read and a few statements for the whole
            # batch: a poll cycle may apply thousands of transitions.
            stored = await _stored_states(db, [tr.order.id for tr in transitions])
            for tr in transitions:
                if stored.get(tr.order.id) == (tr.order.state.value, tr.order.raw_status):
                    won.append(tr)
                    # A later transition of the same order compares with this one's result.
                    stored[tr.order.id] = (tr.state.value, tr.raw_status)
            for sql, params in _update_runs(won):
                await db.executemany(sql, params)
            if notifications is not None and won:
                for note in notifications(won):
                    await insert_notification(db, note, now)
        return won

    async def update_order_details(self, order_id: int, changes: OrderChanges) -> None:
        """Record facts learnt later (refund, charge) without touching the state."""
        sets, values = _set_list(changes)
        if not sets:
            return
        async with self._tx() as db:
            await db.execute(
                f"UPDATE orders SET {', '.join(sets)} WHERE id = ?", (*values, order_id)
            )


async def _stored_states(
    db: aiosqlite.Connection, order_ids: Sequence[int]
) -> dict[int, tuple[str, str | None]]:
    """Each order's stored (state, raw status)."""
    stored: dict[int, tuple[str, str | None]] = {}
    for start in range(0, len(order_ids), CHUNK):
        chunk = list(order_ids[start : start + CHUNK])
        async with db.execute(
            f"SELECT id, state, raw_status FROM orders WHERE id IN ({marks(len(chunk))})", chunk
        ) as cur:
            for row in await cur.fetchall():
                stored[int(row["id"])] = (str(row["state"]), row["raw_status"])
    return stored


def _update_runs(won: Sequence[Transition]) -> list[tuple[str, list[list[Param]]]]:
    """The winners' UPDATEs, consecutive ones of the same columns as one statement (in
    order, so two transitions of one order are written as they were compared)."""
    runs: list[tuple[str, list[list[Param]]]] = []
    for tr in won:
        sets, values = _set_list(tr.changes)
        sql = (
            f"UPDATE orders SET {', '.join(['state = ?', 'raw_status = ?', *sets])}"
            " WHERE id = ? AND state = ? AND raw_status IS ?"
        )
        params: list[Param] = [
            tr.state.value,
            tr.raw_status,
            *values,
            tr.order.id,
            tr.order.state.value,
            tr.order.raw_status,
        ]
        if runs and runs[-1][0] == sql:
            runs[-1][1].append(params)
        else:
            runs.append((sql, [params]))
    return runs
