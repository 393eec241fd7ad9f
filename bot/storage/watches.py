"""Watched addresses (/watch): one row per chat, user and address, with the alert state
last told and the auto-rent plan and ledger as JSON (their shape belongs to the service).

Every change that causes a push is written together with it (one transaction), so an
alert is neither lost nor repeated by a crash; a change to a row deleted meanwhile (an
/unwatch during a check) writes nothing and queues nothing.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import aiosqlite

from bot.domain import OPEN_STATES, SubmissionState
from bot.storage.base import Params, Store
from bot.storage.outbox import insert_notification
from bot.storage.rows import NewNotification

_OPEN_ORDER_STATES = tuple(sorted(s.value for s in OPEN_STATES))
_IN_FLIGHT = (SubmissionState.SENDING.value, SubmissionState.UNCERTAIN.value)


@dataclass(frozen=True)
class WatchedAddress:
    id: int
    chat_id: int
    user_id: int
    address: str
    threshold: int
    lang: str | None
    alert_state: str
    plan: str | None  # JSON; None: auto-rent off
    ledger: str | None  # JSON; None: nothing spent yet
    created_at: float
    # The user has an order for this address still open, or a submission naming it whose
    # outcome is not known yet (sending, being reconciled, or unresolved while a rental
    # it may have made could still run): auto-rent must not order again.
    open_order: bool = False


_COLUMNS = (
    "w.id, w.chat_id, w.user_id, w.address, w.threshold, w.lang, w.alert_state, w.plan,"
    " w.ledger, w.created_at"
)
_OPEN = (
    "(EXISTS (SELECT 1 FROM orders o JOIN submissions s ON s.id = o.submission_id"
    " WHERE o.receiver = w.address AND s.user_id = w.user_id AND o.state IN ({open}))"
    " OR EXISTS (SELECT 1 FROM submissions s, json_each(s.receivers) r"
    " WHERE s.user_id = w.user_id AND r.value = w.address AND (s.state IN (?, ?)"
    " OR (s.state = ? AND s.created_at + s.deadline_sec + s.duration_sec > ?)))) AS open_order"
)


def _row(row: sqlite3.Row) -> WatchedAddress:
    keys = row.keys()
    return WatchedAddress(
        id=int(row["id"]),
        chat_id=int(row["chat_id"]),
        user_id=int(row["user_id"]),
        address=str(row["address"]),
        threshold=int(row["threshold"]),
        lang=None if row["lang"] is None else str(row["lang"]),
        alert_state=str(row["alert_state"]),
        plan=None if row["plan"] is None else str(row["plan"]),
        ledger=None if row["ledger"] is None else str(row["ledger"]),
        created_at=float(row["created_at"]),
        open_order=bool(row["open_order"]) if "open_order" in keys else False,
    )


class WatchStore(Store):
    async def add_watch(
        self,
        *,
        chat_id: int,
        user_id: int,
        address: str,
        threshold: int,
        lang: str | None,
        max_per_user: int,
        now: float,
    ) -> tuple[WatchedAddress | None, bool]:
        """Watch `address` (or change the threshold of the same chat's watch of it, which
        starts its alerts afresh). Returns (row, created); (None, False) when the user
        already watches `max_per_user` addresses and this is a new one."""
        async with self._tx() as db:
            existing = await _one(
                db,
                f"SELECT {_COLUMNS} FROM watched_addresses w"
                " WHERE chat_id = ? AND user_id = ? AND address = ?",
                (chat_id, user_id, address),
            )
            if existing is not None:
                await db.execute(
                    "UPDATE watched_addresses SET threshold = ?, alert_state = 'unknown'"
                    " WHERE id = ?",
                    (threshold, existing.id),
                )
                return await _one(
                    db, f"SELECT {_COLUMNS} FROM watched_addresses w WHERE id = ?", (existing.id,)
                ), False
            async with db.execute(
                "SELECT COUNT(*) FROM watched_addresses WHERE user_id = ?", (user_id,)
            ) as cur:
                count = await cur.fetchone()
            if count is not None and int(count[0]) >= max_per_user:
                return None, False
            async with db.execute(
                "INSERT INTO watched_addresses (chat_id, user_id, address, threshold, lang,"
                " created_at) VALUES (?,?,?,?,?,?)",
                (chat_id, user_id, address, threshold, lang, now),
            ) as cur:
                new_id = cur.lastrowid
            return await _one(
                db, f"SELECT {_COLUMNS} FROM watched_addresses w WHERE id = ?", (new_id,)
            ), True

    async def remove_watch(self, watch_id: int) -> bool:
        async with (
            self._tx() as db,
            db.execute("DELETE FROM watched_addresses WHERE id = ?", (watch_id,)) as cur,
        ):
            return cur.rowcount > 0

    async def watch_by_id(self, watch_id: int) -> WatchedAddress | None:
        row = await self._fetchone(
            f"SELECT {_COLUMNS} FROM watched_addresses w WHERE id = ?", (watch_id,)
        )
        return _row(row) if row else None

    async def watches_of(self, chat_id: int, user_id: int) -> list[WatchedAddress]:
        rows = await self._fetchall(
            f"SELECT {_COLUMNS} FROM watched_addresses w WHERE chat_id = ? AND user_id = ?"
            " ORDER BY id",
            (chat_id, user_id),
        )
        return [_row(r) for r in rows]

    async def all_watches(self, now: float) -> list[WatchedAddress]:
        """Every watch, with whether its user has an order for the address still open."""
        open_sql = _OPEN.format(open=",".join("?" * len(_OPEN_ORDER_STATES)))
        rows = await self._fetchall(
            f"SELECT {_COLUMNS}, {open_sql} FROM watched_addresses w ORDER BY w.id",
            (*_OPEN_ORDER_STATES, *_IN_FLIGHT, SubmissionState.UNRESOLVED.value, now),
        )
        return [_row(r) for r in rows]

    async def set_watch_plan(
        self,
        watch_id: int,
        plan: str | None,
        ledger: str | None,
        note: NewNotification | None = None,
        *,
        now: float = 0.0,
    ) -> bool:
        """Turn auto-rent on (`plan`) or off (None); False if the watch is gone."""
        return await self._update(watch_id, {"plan": plan, "ledger": ledger}, note, now=now)

    async def set_watch_alert_state(
        self, watch_id: int, state: str, note: NewNotification | None, *, now: float
    ) -> bool:
        return await self._update(watch_id, {"alert_state": state}, note, now=now)

    async def set_watch_ledger(
        self, watch_id: int, ledger: str, note: NewNotification | None, *, now: float
    ) -> bool:
        return await self._update(watch_id, {"ledger": ledger}, note, now=now)

    async def _update(
        self,
        watch_id: int,
        values: dict[str, str | None],
        note: NewNotification | None,
        *,
        now: float = 0.0,
    ) -> bool:
        sets = ", ".join(f"{column} = ?" for column in values)  # names from the code
        async with self._tx() as db:
            async with db.execute(
                f"UPDATE watched_addresses SET {sets} WHERE id = ?", (*values.values(), watch_id)
            ) as cur:
                if cur.rowcount == 0:
                    return False
            if note is not None:
                await insert_notification(db, note, now)
            return True


async def _one(db: aiosqlite.Connection, sql: str, params: Params) -> WatchedAddress | None:
    async with db.execute(sql, params) as cur:
        row = await cur.fetchone()
    return _row(row) if row is not None else None
