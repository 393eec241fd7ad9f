"""The order repository: every read and write of submissions, orders and the outbox.

One aiosqlite connection serves the process; an asyncio lock keeps each transaction
whole, since statements of two coroutines would otherwise interleave on it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Self

import aiosqlite

from bot.domain import OPEN_STATES, OrderState, SubmissionState
from bot.storage.migrations import migrate


@dataclass(frozen=True)
class Submission:
    id: int
    chat_id: int
    user_id: int
    provider: str
    key_id: str
    amount: int
    duration_sec: int
    max_price: int
    deadline_sec: int
    receivers: tuple[str, ...]
    state: SubmissionState
    error_code: str | None
    created_at: float
    updated_at: float
    # Our clock: the create request's send time and the latest moment it could have acted;
    # the provider's clock offset bounds measured then. None until a lost answer records them.
    sent_at: float | None = None
    answer_by: float | None = None
    offset_low: float | None = None
    offset_high: float | None = None


@dataclass(frozen=True)
class Order:
    id: int
    submission_id: int
    provider: str
    key_id: str
    provider_order_id: str
    chat_id: int
    receiver: str | None
    amount: int
    duration_sec: int
    state: OrderState
    raw_status: str | None
    created_at: float
    deadline_at: float | None
    matched_at: float | None
    ends_at: float | None
    closed_at: float | None
    charge_sun: int | None
    refund_sun: int | None
    delivered_amount: int | None
    delegate_txid: str | None
    fail_reason: str | None
    provider_created_at: float | None  # the provider's clock, where it differs from ours


@dataclass(frozen=True)
class NewOrder:
    provider_order_id: str
    receiver: str | None
    amount: int
    duration_sec: int
    state: OrderState = OrderState.PENDING
    raw_status: str | None = None
    deadline_at: float | None = None
    charge_sun: int | None = None
    provider_created_at: float | None = None
    # Not stored: orders one create request made share it (TronSave history `request_id`),
    # which tells a recovered submission's later finds from another request's.
    request_id: str | None = None


@dataclass(frozen=True)
class ReceiverRecord:
    """One receiver's stored progress (`outcome` is a ReceiverStatus value, or "sending")."""

    position: int
    receiver: str
    outcome: str
    provider_order_id: str | None
    error_code: str | None
    error_detail: str | None


@dataclass(frozen=True)
class ReceiverUpdate:
    """A receiver's new outcome, with the order it produced (if any) to store with it."""

    position: int | None
    receiver: str | None
    outcome: str
    order: NewOrder | None = None
    error_code: str | None = None
    error_detail: str | None = None


RECEIVER_SENDING = "sending"


@dataclass(frozen=True)
class Transition:
    """Move one order from the state it was read in to a new one (compare-and-set)."""

    order: Order
    state: OrderState
    raw_status: str | None
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Notification:
    id: int
    chat_id: int
    kind: str
    payload: dict[str, Any]
    created_at: float
    attempts: int = 0
    parts_sent: int = 0  # messages of a long push already accepted by Telegram
    render_level: int = 0  # how far the push had to be simplified to be accepted
    parts: tuple[str, ...] = ()  # a long push's texts as first sent, for resuming it


@dataclass(frozen=True)
class NewNotification:
    chat_id: int
    kind: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Watch:
    """Tracking health of one order (the `order_watch` row)."""

    order_id: int
    failures: int  # consecutive unreadable answers
    last_error: str | None
    next_poll_at: float | None  # not asked again before this (slower pace once reported)
    unreadable_reported: bool


_ORDER_COLUMNS = ", ".join(f.name for f in fields(Order))
_SUBMISSION_COLUMNS = ", ".join(f.name for f in fields(Submission))
# Columns a transition may change besides state/raw_status; anything else is a bug.
_MUTABLE_ORDER_COLUMNS = frozenset(
    {
        "matched_at",
        "ends_at",
        "closed_at",
        "charge_sun",
        "refund_sun",
        "delivered_amount",
        "delegate_txid",
        "fail_reason",
        "provider_created_at",
    }
)


def _order(row: Sequence[Any]) -> Order:
    values = list(row)
    values[9] = OrderState(values[9])
    return Order(*values)


def _notification(row: Sequence[Any]) -> Notification:
    parts = tuple(json.loads(row[8])) if row[8] else ()
    return Notification(
        id=row[0],
        chat_id=row[1],
        kind=row[2],
        payload=json.loads(row[3]),
        created_at=row[4],
        attempts=row[5],
        parts_sent=row[6],
        render_level=row[7],
        parts=parts,
    )


def _submission(row: Sequence[Any]) -> Submission:
    values = list(row)
    values[9] = tuple(json.loads(values[9]))
    values[10] = SubmissionState(values[10])
    return Submission(*values)


class Repository:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._lock = asyncio.Lock()
        self._path = ":memory:"

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
        db = await self._db
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

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        async with self._lock, self._db.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def _fetchone(self, sql: str, params: Sequence[Any] = ()) -> Any:
        async with self._lock, self._db.execute(sql, params) as cur:
            return await cur.fetchone()

    # -- submissions -------------------------------------------------------------------

    async def create_submission(
        self,
        *,
        chat_id: int,
        user_id: int,
        provider: str,
        key_id: str,
        amount: int,
        duration_sec: int,
        max_price: int,
        deadline_sec: int,
        receivers: Sequence[str],
        now: float,
    ) -> Submission:
        async with self._tx() as db:
            cur = await db.execute(
                "INSERT INTO submissions (chat_id, user_id, provider, key_id, amount,"
                " duration_sec, max_price, deadline_sec, receivers, state, created_at,"
                " updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    chat_id,
                    user_id,
                    provider,
                    key_id,
                    amount,
                    duration_sec,
                    max_price,
                    deadline_sec,
                    json.dumps(list(receivers)),
                    SubmissionState.SENDING.value,
                    now,
                    now,
                ),
            )
            sub_id = cur.lastrowid
        sub = await self.get_submission(int(sub_id or 0))
        assert sub is not None
        return sub

    async def get_submission(self, submission_id: int) -> Submission | None:
        row = await self._fetchone(
            f"SELECT {_SUBMISSION_COLUMNS} FROM submissions WHERE id = ?", (submission_id,)
        )
        return _submission(row) if row else None

    async def submissions_in(self, states: Iterable[SubmissionState]) -> list[Submission]:
        wanted = [s.value for s in states]
        marks = ",".join("?" * len(wanted))
        rows = await self._fetchall(
            f"SELECT {_SUBMISSION_COLUMNS} FROM submissions WHERE state IN ({marks}) ORDER BY id",
            wanted,
        )
        return [_submission(r) for r in rows]

    async def set_submission_state(
        self,
        submission_id: int,
        state: SubmissionState,
        *,
        now: float,
        expected: Iterable[SubmissionState],
        error_code: str | None = None,
        notify: NewNotification | None = None,
    ) -> bool:
        """Compare-and-set; the notification is queued only if this call won."""
        allowed = [s.value for s in expected]
        marks = ",".join("?" * len(allowed))
        async with self._tx() as db:
            cur = await db.execute(
                f"UPDATE submissions SET state = ?, error_code = ?, updated_at = ?"
                f" WHERE id = ? AND state IN ({marks})",
                (state.value, error_code, now, submission_id, *allowed),
            )
            won = cur.rowcount == 1
            if won and notify is not None:
                await self._enqueue(db, notify, now)
        return won

    async def record_orders(
        self,
        submission: Submission,
        orders: Sequence[NewOrder],
        *,
        now: float,
        notify: NewNotification | None = None,
    ) -> list[Order]:
        """Store the provider's order ids and mark the submission submitted, atomically.

        Ids already stored (a second adoption of the same orders) are skipped.
        """
        async with self._tx() as db:
            for new in orders:
                await db.execute(
                    "INSERT OR IGNORE INTO orders (submission_id, provider, key_id,"
                    " provider_order_id, chat_id, receiver, amount, duration_sec, state,"
                    " raw_status, created_at, deadline_at, charge_sun, provider_created_at)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        submission.id,
                        submission.provider,
                        submission.key_id,
                        new.provider_order_id,
                        submission.chat_id,
                        new.receiver,
                        new.amount,
                        new.duration_sec,
                        new.state.value,
                        new.raw_status,
                        now,
                        new.deadline_at,
                        new.charge_sun,
                        new.provider_created_at,
                    ),
                )
            await db.execute(
                "UPDATE submissions SET state = ?, error_code = NULL, updated_at = ? WHERE id = ?",
                (SubmissionState.SUBMITTED.value, now, submission.id),
            )
            if notify is not None:
                await self._enqueue(db, notify, now)
        return await self.orders_of_submission(submission.id)

    # -- per-receiver progress ---------------------------------------------------------

    async def mark_receivers_sending(
        self, submission: Submission, positions: Sequence[int], *, now: float
    ) -> None:
        """Record, before the request goes out, that these receivers are being sent."""
        async with self._tx() as db:
            for position in positions:
                await db.execute(
                    "INSERT INTO submission_receivers (submission_id, position, receiver,"
                    " outcome, updated_at) VALUES (?,?,?,?,?) ON CONFLICT"
                    " (submission_id, position) DO UPDATE SET outcome = excluded.outcome,"
                    " updated_at = excluded.updated_at",
                    (
                        submission.id,
                        position,
                        submission.receivers[position],
                        RECEIVER_SENDING,
                        now,
                    ),
                )
            await self._touch(db, submission.id, now)

    async def record_receivers(
        self, submission: Submission, updates: Sequence[ReceiverUpdate], *, now: float
    ) -> None:
        """Store receivers' outcomes and their orders in one transaction; the submission
        keeps its state (the caller settles it when the whole request is done)."""
        async with self._tx() as db:
            for up in updates:
                if up.order is not None:
                    await self._insert_order(db, submission, up.order, now)
                if up.position is None or up.receiver is None:
                    continue
                await db.execute(
                    "INSERT INTO submission_receivers (submission_id, position, receiver,"
                    " outcome, provider_order_id, error_code, error_detail, updated_at)"
                    " VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (submission_id, position) DO"
                    " UPDATE SET outcome = excluded.outcome, provider_order_id ="
                    " excluded.provider_order_id, error_code = excluded.error_code,"
                    " error_detail = excluded.error_detail, updated_at = excluded.updated_at",
                    (
                        submission.id,
                        up.position,
                        up.receiver,
                        up.outcome,
                        up.order.provider_order_id if up.order is not None else None,
                        up.error_code,
                        up.error_detail,
                        now,
                    ),
                )
            await self._touch(db, submission.id, now)

    async def receiver_records(self, submission_id: int) -> list[ReceiverRecord]:
        rows = await self._fetchall(
            "SELECT position, receiver, outcome, provider_order_id, error_code, error_detail"
            " FROM submission_receivers WHERE submission_id = ? ORDER BY position",
            (submission_id,),
        )
        return [ReceiverRecord(*r) for r in rows]

    @staticmethod
    async def _touch(db: aiosqlite.Connection, submission_id: int, now: float) -> None:
        await db.execute(
            "UPDATE submissions SET updated_at = ? WHERE id = ?", (now, submission_id)
        )

    @staticmethod
    async def _insert_order(
        db: aiosqlite.Connection, submission: Submission, new: NewOrder, now: float
    ) -> None:
        await db.execute(
            "INSERT OR IGNORE INTO orders (submission_id, provider, key_id,"
            " provider_order_id, chat_id, receiver, amount, duration_sec, state,"
            " raw_status, created_at, deadline_at, charge_sun, provider_created_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                submission.id,
                submission.provider,
                submission.key_id,
                new.provider_order_id,
                submission.chat_id,
                new.receiver,
                new.amount,
                new.duration_sec,
                new.state.value,
                new.raw_status,
                now,
                new.deadline_at,
                new.charge_sun,
                new.provider_created_at,
            ),
        )

    async def set_submission_timing(
        self,
        submission_id: int,
        *,
        sent_at: float,
        answer_by: float,
        offset_low: float | None,
        offset_high: float | None,
    ) -> Submission | None:
        async with self._tx() as db:
            await db.execute(
                "UPDATE submissions SET sent_at = ?, answer_by = ?, offset_low = ?,"
                " offset_high = ? WHERE id = ?",
                (sent_at, answer_by, offset_low, offset_high, submission_id),
            )
        return await self.get_submission(submission_id)

    async def adopt_orders(
        self,
        submission: Submission,
        orders: Sequence[NewOrder],
        *,
        now: float,
        complete: bool,
        notify: Callable[[list[Order]], NewNotification | None] | None = None,
    ) -> list[Order]:
        """Store orders found for a submission whose answer was lost; returns those new.

        Ids already stored are skipped, so an overlapping search adds (and announces)
        nothing twice. The submission becomes submitted only when `complete`; otherwise
        it stays where it is and is searched again. `notify` builds the push for the
        orders actually added, in the same transaction.
        """
        added: list[int] = []
        async with self._tx() as db:
            for new in orders:
                cur = await db.execute(
                    "INSERT OR IGNORE INTO orders (submission_id, provider, key_id,"
                    " provider_order_id, chat_id, receiver, amount, duration_sec, state,"
                    " raw_status, created_at, deadline_at, charge_sun, provider_created_at)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        submission.id,
                        submission.provider,
                        submission.key_id,
                        new.provider_order_id,
                        submission.chat_id,
                        new.receiver,
                        new.amount,
                        new.duration_sec,
                        new.state.value,
                        new.raw_status,
                        now,
                        new.deadline_at,
                        new.charge_sun,
                        new.provider_created_at,
                    ),
                )
                if cur.rowcount == 1 and cur.lastrowid is not None:
                    added.append(int(cur.lastrowid))
            if complete:
                await db.execute(
                    "UPDATE submissions SET state = ?, error_code = NULL, updated_at = ?"
                    " WHERE id = ?",
                    (SubmissionState.SUBMITTED.value, now, submission.id),
                )
            new_orders: list[Order] = []
            if added:
                marks = ",".join("?" * len(added))
                async with db.execute(
                    f"SELECT {_ORDER_COLUMNS} FROM orders WHERE id IN ({marks}) ORDER BY id",
                    added,
                ) as cur:
                    new_orders = [_order(r) for r in await cur.fetchall()]
            note = notify(new_orders) if notify is not None else None
            if note is not None:
                await self._enqueue(db, note, now)
        return new_orders

    # -- orders ------------------------------------------------------------------------

    async def get_order(self, order_id: int) -> Order | None:
        row = await self._fetchone(
            f"SELECT {_ORDER_COLUMNS} FROM orders WHERE id = ?", (order_id,)
        )
        return _order(row) if row else None

    async def orders_by_ids(self, order_ids: Sequence[int]) -> list[Order]:
        if not order_ids:
            return []
        marks = ",".join("?" * len(order_ids))
        rows = await self._fetchall(
            f"SELECT {_ORDER_COLUMNS} FROM orders WHERE id IN ({marks}) ORDER BY id",
            list(order_ids),
        )
        return [_order(r) for r in rows]

    async def orders_of_submission(self, submission_id: int) -> list[Order]:
        rows = await self._fetchall(
            f"SELECT {_ORDER_COLUMNS} FROM orders WHERE submission_id = ? ORDER BY id",
            (submission_id,),
        )
        return [_order(r) for r in rows]

    async def open_orders(self, provider: str, key_id: str | None = None) -> list[Order]:
        """Open orders of `provider`; with `key_id`, only those placed with that API key
        (an order is only ever tracked with the key it was created with)."""
        marks = ",".join("?" * len(OPEN_STATES))
        states = sorted(s.value for s in OPEN_STATES)
        if key_id is None:
            sql = f"SELECT {_ORDER_COLUMNS} FROM orders WHERE provider = ? AND state IN ({marks})"
            params: tuple[Any, ...] = (provider, *states)
        else:
            sql = (
                f"SELECT {_ORDER_COLUMNS} FROM orders WHERE provider = ? AND key_id = ?"
                f" AND state IN ({marks})"
            )
            params = (provider, key_id, *states)
        rows = await self._fetchall(sql + " ORDER BY id", params)
        return [_order(r) for r in rows]

    async def known_provider_ids(self, provider: str, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = await self._fetchall(
                f"SELECT provider_order_id FROM orders WHERE provider = ?"
                f" AND provider_order_id IN ({marks})",
                (provider, *chunk),
            )
            found.update(str(r[0]) for r in rows)
        return found

    async def chat_orders(
        self, chat_id: int, *, offset: int, limit: int
    ) -> tuple[list[Order], int]:
        rows = await self._fetchall(
            f"SELECT {_ORDER_COLUMNS} FROM orders WHERE chat_id = ?"
            " ORDER BY id DESC LIMIT ? OFFSET ?",
            (chat_id, limit, offset),
        )
        total_row = await self._fetchone(
            "SELECT COUNT(*) FROM orders WHERE chat_id = ?", (chat_id,)
        )
        return [_order(r) for r in rows], int(total_row[0])

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
            for tr in transitions:
                bad = set(tr.changes) - _MUTABLE_ORDER_COLUMNS
                if bad:
                    raise ValueError(f"not a mutable order column: {sorted(bad)}")
                sets = ["state = ?", "raw_status = ?"] + [f"{c} = ?" for c in tr.changes]
                cur = await db.execute(
                    f"UPDATE orders SET {', '.join(sets)} WHERE id = ? AND state = ?"
                    " AND raw_status IS ?",
                    (
                        tr.state.value,
                        tr.raw_status,
                        *tr.changes.values(),
                        tr.order.id,
                        tr.order.state.value,
                        tr.order.raw_status,
                    ),
                )
                if cur.rowcount == 1:
                    won.append(tr)
            if notifications is not None and won:
                for note in notifications(won):
                    await self._enqueue(db, note, now)
        return won

    async def update_order_details(self, order_id: int, **changes: Any) -> None:
        """Record facts learnt later (refund, charge) without touching the state."""
        bad = set(changes) - _MUTABLE_ORDER_COLUMNS
        if bad:
            raise ValueError(f"not a mutable order column: {sorted(bad)}")
        if not changes:
            return
        sets = ", ".join(f"{c} = ?" for c in changes)
        async with self._tx() as db:
            await db.execute(
                f"UPDATE orders SET {sets} WHERE id = ?", (*changes.values(), order_id)
            )

    # -- tracking health (order_watch) -------------------------------------------------

    async def watches(self, order_ids: Sequence[int]) -> dict[int, Watch]:
        """Tracking health of the given orders; orders never unreadable are absent."""
        found: dict[int, Watch] = {}
        for start in range(0, len(order_ids), 500):
            chunk = list(order_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = await self._fetchall(
                "SELECT order_id, failures, last_error, next_poll_at,"
                " unreadable_reported_at IS NOT NULL FROM order_watch"
                f" WHERE order_id IN ({marks})",
                chunk,
            )
            for r in rows:
                found[int(r[0])] = Watch(int(r[0]), int(r[1]), r[2], r[3], bool(r[4]))
        return found

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
        return int(row[0]) if row else 0

    async def readable_again(self, order_ids: Sequence[int]) -> None:
        """A readable answer ends the streak (a past report stays recorded: it is sent
        once per order)."""
        if not order_ids:
            return
        marks = ",".join("?" * len(order_ids))
        async with self._tx() as db:
            await db.execute(
                "UPDATE order_watch SET failures = 0, last_error = NULL, next_poll_at = NULL"
                f" WHERE failures > 0 AND order_id IN ({marks})",
                list(order_ids),
            )

    async def report_unreadable(
        self,
        orders: Sequence[Order],
        *,
        now: float,
        notifications: Callable[[list[Order]], list[NewNotification]],
    ) -> list[Order]:
        """Mark orders reported as unreadable and queue their notices, once per order."""
        return await self._report_once("unreadable_reported_at", orders, now, notifications)

    async def report_key_missing(
        self,
        orders: Sequence[Order],
        *,
        now: float,
        notifications: Callable[[list[Order]], list[NewNotification]],
    ) -> list[Order]:
        """Mark orders reported as placed with a key no longer configured, once per order
        (until `key_back` clears it)."""
        return await self._report_once("key_missing_reported_at", orders, now, notifications)

    async def _report_once(
        self,
        column: str,
        orders: Sequence[Order],
        now: float,
        notifications: Callable[[list[Order]], list[NewNotification]],
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
                    await self._enqueue(db, note, now)
        return fresh

    async def open_orders_of_other_keys(
        self, configured: Iterable[tuple[str, str]]
    ) -> list[Order]:
        """Open orders whose (provider, key_id) is not configured and not yet reported."""
        keys = set(configured)
        marks = ",".join("?" * len(OPEN_STATES))
        rows = await self._fetchall(
            f"SELECT {', '.join('o.' + c for c in _ORDER_COLUMNS.split(', '))} FROM orders o"
            " LEFT JOIN order_watch w ON w.order_id = o.id"
            f" WHERE o.state IN ({marks}) AND w.key_missing_reported_at IS NULL ORDER BY o.id",
            sorted(s.value for s in OPEN_STATES),
        )
        orders = [_order(r) for r in rows]
        return [o for o in orders if (o.provider, o.key_id) not in keys]

    async def key_back(self, provider: str, key_id: str) -> None:
        """The key is configured again: a later removal is reported afresh."""
        async with self._tx() as db:
            await db.execute(
                "UPDATE order_watch SET key_missing_reported_at = NULL"
                " WHERE key_missing_reported_at IS NOT NULL AND order_id IN"
                " (SELECT id FROM orders WHERE provider = ? AND key_id = ?)",
                (provider, key_id),
            )

    # -- outbox ------------------------------------------------------------------------

    @staticmethod
    async def _enqueue(db: aiosqlite.Connection, note: NewNotification, now: float) -> None:
        await db.execute(
            "INSERT INTO outbox (chat_id, kind, payload, created_at) VALUES (?,?,?,?)",
            (note.chat_id, note.kind, json.dumps(note.payload, sort_keys=True), now),
        )

    async def enqueue(self, note: NewNotification, *, now: float) -> None:
        async with self._tx() as db:
            await self._enqueue(db, note, now)

    async def unsent_notifications(
        self, limit: int = 500, *, after_id: int = 0
    ) -> list[Notification]:
        rows = await self._fetchall(
            "SELECT id, chat_id, kind, payload, created_at, attempts, parts_sent, render_level,"
            " parts"
            " FROM outbox WHERE sent_at IS NULL AND dropped IS NULL AND id > ?"
            " ORDER BY id LIMIT ?",
            (after_id, limit),
        )
        return [_notification(r) for r in rows]

    async def due_notifications(
        self, limit: int, *, after_id: int, now: float
    ) -> list[Notification]:
        """Unsent notices whose next try is due, in queue order."""
        rows = await self._fetchall(
            "SELECT id, chat_id, kind, payload, created_at, attempts, parts_sent, render_level,"
            " parts"
            " FROM outbox WHERE sent_at IS NULL AND dropped IS NULL AND id > ?"
            " AND (next_try_at IS NULL OR next_try_at <= ?) ORDER BY id LIMIT ?",
            (after_id, now, limit),
        )
        return [_notification(r) for r in rows]

    async def next_notification_try(self) -> float | None:
        """When the earliest deferred notice is due (None: nothing deferred)."""
        row = await self._fetchone(
            "SELECT MIN(next_try_at) FROM outbox WHERE sent_at IS NULL AND dropped IS NULL"
        )
        return float(row[0]) if row and row[0] is not None else None

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
        row = await self._fetchone("SELECT COUNT(*) FROM outbox WHERE failed_at IS NOT NULL")
        return int(row[0])

    async def migrate_chat(self, chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup: its orders, submissions and queued pushes move
        to the new id, and the old id is remembered so its signed buttons still work."""
        async with self._tx() as db:
            for table in ("orders", "submissions", "outbox"):
                await db.execute(
                    f"UPDATE {table} SET chat_id = ? WHERE chat_id = ?", (new_chat_id, chat_id)
                )
            await db.execute(
                "INSERT INTO chats (chat_id, migrated_to) VALUES (?, ?)"
                " ON CONFLICT (chat_id) DO UPDATE SET migrated_to = excluded.migrated_to",
                (chat_id, new_chat_id),
            )
            await db.execute(
                "INSERT INTO chats (chat_id) VALUES (?) ON CONFLICT (chat_id) DO NOTHING",
                (new_chat_id,),
            )

    async def chats_migrated_into(self, chat_id: int) -> list[int]:
        """Earlier ids of `chat_id` (a group upgraded once, or a chain of upgrades)."""
        found: list[int] = []
        frontier = [chat_id]
        while frontier and len(found) < 16:
            marks = ",".join("?" * len(frontier))
            rows = await self._fetchall(
                f"SELECT chat_id FROM chats WHERE migrated_to IN ({marks})", frontier
            )
            frontier = [int(r[0]) for r in rows if int(r[0]) not in found]
            found.extend(frontier)
        return found

    async def mark_sent(self, notification_id: int, *, now: float) -> None:
        async with self._tx() as db:
            await db.execute("UPDATE outbox SET sent_at = ? WHERE id = ?", (now, notification_id))

    async def mark_dropped(self, notification_id: int, reason: str) -> None:
        async with self._tx() as db:
            await db.execute(
                "UPDATE outbox SET dropped = ? WHERE id = ?", (reason, notification_id)
            )

    # -- chats and users ---------------------------------------------------------------

    async def set_chat_blocked(self, chat_id: int, blocked_at: float | None) -> None:
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO chats (chat_id, blocked_at) VALUES (?, ?)"
                " ON CONFLICT (chat_id) DO UPDATE SET blocked_at = excluded.blocked_at",
                (chat_id, blocked_at),
            )

    async def is_chat_blocked(self, chat_id: int) -> bool:
        row = await self._fetchone("SELECT blocked_at FROM chats WHERE chat_id = ?", (chat_id,))
        return bool(row and row[0] is not None)

    async def get_user_lang(self, user_id: int) -> str | None:
        row = await self._fetchone("SELECT lang FROM users WHERE user_id = ?", (user_id,))
        return str(row[0]) if row and row[0] else None

    async def set_user_lang(self, user_id: int, lang: str | None) -> None:
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO users (user_id, lang) VALUES (?, ?)"
                " ON CONFLICT (user_id) DO UPDATE SET lang = excluded.lang",
                (user_id, lang),
            )

    # -- PTB persistence ---------------------------------------------------------------

    async def load_conversations(self, name: str) -> dict[str, str]:
        rows = await self._fetchall(
            "SELECT conv_key, state FROM ptb_conversations WHERE name = ?", (name,)
        )
        return {str(r[0]): str(r[1]) for r in rows}

    async def save_conversation(self, name: str, key: str, state: str | None) -> None:
        async with self._tx() as db:
            if state is None:
                await db.execute(
                    "DELETE FROM ptb_conversations WHERE name = ? AND conv_key = ?", (name, key)
                )
            else:
                await db.execute(
                    "INSERT INTO ptb_conversations (name, conv_key, state) VALUES (?,?,?)"
                    " ON CONFLICT (name, conv_key) DO UPDATE SET state = excluded.state",
                    (name, key, state),
                )

    async def load_data(self, kind: str) -> dict[int, str]:
        rows = await self._fetchall("SELECT owner_id, data FROM ptb_data WHERE kind = ?", (kind,))
        return {int(r[0]): str(r[1]) for r in rows}

    async def save_data(self, kind: str, owner_id: int, data: str | None) -> None:
        async with self._tx() as db:
            if data is None:
                await db.execute(
                    "DELETE FROM ptb_data WHERE kind = ? AND owner_id = ?", (kind, owner_id)
                )
            else:
                await db.execute(
                    "INSERT INTO ptb_data (kind, owner_id, data) VALUES (?,?,?)"
                    " ON CONFLICT (kind, owner_id) DO UPDATE SET data = excluded.data",
                    (kind, owner_id, data),
                )

    # -- retention (see bot/services/housekeeping.py) ----------------------------------

    async def forget_user_lang(self, user_id: int) -> None:
        """Back to the Telegram app's language: the user's row goes, not kept as NULL."""
        async with self._tx() as db:
            await db.execute("DELETE FROM users WHERE user_id = ?", (user_id,))

    async def prune_outbox(self, *, before: float, batch: int) -> int:
        """Delete up to `batch` pushes sent, or parked as failed, before `before`.
        A push not sent yet is never deleted, however old."""
        async with self._tx() as db:
            cur = await db.execute(
                "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox"
                " WHERE (sent_at IS NOT NULL AND sent_at < ?)"
                " OR (sent_at IS NULL AND dropped IS NOT NULL AND created_at < ?)"
                " ORDER BY id LIMIT ?)",
                (before, before, batch),
            )
            return max(cur.rowcount, 0)

    async def prune_closed_orders(self, *, before: float, batch: int) -> int:
        """Delete up to `batch` orders closed before `before`, then up to `batch` ended
        submissions last changed before it that no order refers to any more.

        Open orders, submissions still being sent or reconciled, and orders of a chat
        with pushes still to send (they may name the order) are never deleted.
        """
        closed = sorted(s.value for s in OrderState if s not in OPEN_STATES)
        ended = sorted(
            s.value
            for s in (
                SubmissionState.SUBMITTED,
                SubmissionState.FAILED,
                SubmissionState.UNRESOLVED,
            )
        )
        async with self._tx() as db:
            cur = await db.execute(
                "DELETE FROM orders WHERE id IN (SELECT o.id FROM orders o"
                f" WHERE o.state IN ({','.join('?' * len(closed))})"
                " AND COALESCE(o.closed_at, o.created_at) < ?"
                " AND NOT EXISTS (SELECT 1 FROM outbox b WHERE b.chat_id = o.chat_id"
                " AND b.sent_at IS NULL AND b.dropped IS NULL)"
                " ORDER BY o.id LIMIT ?)",
                (*closed, before, batch),
            )
            orders = max(cur.rowcount, 0)
            cur = await db.execute(
                "DELETE FROM submissions WHERE id IN (SELECT s.id FROM submissions s"
                f" WHERE s.state IN ({','.join('?' * len(ended))}) AND s.updated_at < ?"
                " AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.submission_id = s.id)"
                " ORDER BY s.id LIMIT ?)",
                (*ended, before, batch),
            )
            return orders + max(cur.rowcount, 0)

    async def prune_users_without_lang(self, *, batch: int) -> int:
        """Rows that hold no choice (older versions stored "auto" as NULL)."""
        async with self._tx() as db:
            cur = await db.execute(
                "DELETE FROM users WHERE user_id IN"
                " (SELECT user_id FROM users WHERE lang IS NULL LIMIT ?)",
                (batch,),
            )
            return max(cur.rowcount, 0)

    async def prune_left_chats(self, *, before: float, batch: int) -> int:
        """Forget chats that blocked the bot before `before` and have nothing left here:
        no order (whose pushes the mark holds back) and no push to send."""
        async with self._tx() as db:
            cur = await db.execute(
                "DELETE FROM chats WHERE chat_id IN (SELECT c.chat_id FROM chats c"
                " WHERE c.blocked_at IS NOT NULL AND c.blocked_at < ?"
                " AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.chat_id = c.chat_id)"
                " AND NOT EXISTS (SELECT 1 FROM outbox b WHERE b.chat_id = c.chat_id"
                " AND b.sent_at IS NULL AND b.dropped IS NULL)"
                " LIMIT ?)",
                (before, batch),
            )
            return max(cur.rowcount, 0)

    async def chats_left_before(self, before: float, *, limit: int) -> list[int]:
        """Chats that blocked the bot before `before` and still have PTB state stored."""
        rows = await self._fetchall(
            "SELECT c.chat_id FROM chats c WHERE c.blocked_at IS NOT NULL AND c.blocked_at < ?"
            " AND (EXISTS (SELECT 1 FROM ptb_data d WHERE d.owner_id = c.chat_id)"
            " OR EXISTS (SELECT 1 FROM ptb_conversations v"
            " WHERE v.conv_key LIKE '[' || c.chat_id || ',%'))"
            " ORDER BY c.chat_id LIMIT ?",
            (before, limit),
        )
        return [int(r[0]) for r in rows]

    async def drop_ptb_state_of_chat(self, chat_id: int) -> None:
        """The chat's conversation states and data. User ids are positive and group ids
        negative, so in a private chat (chat id = user id) the user's data, which holds
        only wizard drafts, goes too."""
        async with self._tx() as db:
            await db.execute(
                "DELETE FROM ptb_conversations WHERE conv_key LIKE ?", (f"[{chat_id},%",)
            )
            await db.execute("DELETE FROM ptb_data WHERE owner_id = ?", (chat_id,))
