"""Submissions (one user request), their per-receiver progress, and storing their orders."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence

import aiosqlite

from bot.domain import ProviderName, SubmissionState
from bot.storage import rows
from bot.storage.base import Store, marks
from bot.storage.outbox import insert_notification
from bot.storage.rows import (
    RECEIVER_SENDING,
    NewNotification,
    NewOrder,
    Order,
    ReceiverRecord,
    ReceiverUpdate,
    Submission,
)


async def insert_order(
    db: aiosqlite.Connection, submission: Submission, new: NewOrder, now: float
) -> int | None:
    """Store one order of `submission`; returns its id, or None if the provider's order
    id was stored already (a second adoption of the same order)."""
    cur = await db.execute(
        "INSERT OR IGNORE INTO orders (submission_id, provider, key_id,"
        " provider_order_id, chat_id, receiver, amount, duration_sec, state,"
        " raw_status, created_at, deadline_at, charge_sun, provider_created_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            submission.id,
            submission.provider.value,
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
    return cur.lastrowid if cur.rowcount == 1 else None


async def _mark_submitted(db: aiosqlite.Connection, submission_id: int, now: float) -> None:
    await db.execute(
        "UPDATE submissions SET state = ?, error_code = NULL, updated_at = ? WHERE id = ?",
        (SubmissionState.SUBMITTED.value, now, submission_id),
    )


async def _touch(db: aiosqlite.Connection, submission_id: int, now: float) -> None:
    await db.execute("UPDATE submissions SET updated_at = ? WHERE id = ?", (now, submission_id))


async def _record_receiver(
    db: aiosqlite.Connection, submission_id: int, up: ReceiverUpdate, now: float
) -> None:
    await db.execute(
        "INSERT INTO submission_receivers (submission_id, position, receiver,"
        " outcome, provider_order_id, error_code, error_detail, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (submission_id, position) DO"
        " UPDATE SET outcome = excluded.outcome, provider_order_id ="
        " excluded.provider_order_id, error_code = excluded.error_code,"
        " error_detail = excluded.error_detail, updated_at = excluded.updated_at",
        (
            submission_id,
            up.position,
            up.receiver,
            up.outcome,
            up.order.provider_order_id if up.order is not None else None,
            up.error_code,
            up.error_detail,
            now,
        ),
    )


class SubmissionStore(Store):
    async def create_submission(
        self,
        *,
        chat_id: int,
        user_id: int,
        provider: ProviderName,
        key_id: str,
        amount: int,
        duration_sec: int,
        max_price: int,
        deadline_sec: int,
        receivers: Sequence[str],
        now: float,
        payee: str | None = None,
        transfer_energy: int | None = None,
    ) -> Submission:
        """`payee` / `transfer_energy`: the transfer the order was sized for (None: not
        sized)."""
        async with self._tx() as db:
            cur = await db.execute(
                "INSERT INTO submissions (chat_id, user_id, provider, key_id, amount,"
                " duration_sec, max_price, deadline_sec, receivers, state, created_at,"
                " updated_at, payee, transfer_energy) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    chat_id,
                    user_id,
                    provider.value,
                    key_id,
                    amount,
                    duration_sec,
                    max_price,
                    deadline_sec,
                    json.dumps(list(receivers)),
                    SubmissionState.SENDING.value,
                    now,
                    now,
                    payee,
                    transfer_energy,
                ),
            )
            sub_id = cur.lastrowid
        sub = await self.get_submission(int(sub_id or 0))
        assert sub is not None
        return sub

    async def get_submission(self, submission_id: int) -> Submission | None:
        row = await self._fetchone(
            f"SELECT {rows.SUBMISSION_COLUMNS} FROM submissions WHERE id = ?", (submission_id,)
        )
        return rows.submission(row) if row else None

    async def submissions_in(self, states: Iterable[SubmissionState]) -> list[Submission]:
        wanted = [s.value for s in states]
        found = await self._fetchall(
            f"SELECT {rows.SUBMISSION_COLUMNS} FROM submissions"
            f" WHERE state IN ({marks(len(wanted))}) ORDER BY id",
            wanted,
        )
        return [rows.submission(r) for r in found]

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
        async with self._tx() as db:
            cur = await db.execute(
                f"UPDATE submissions SET state = ?, error_code = ?, updated_at = ?"
                f" WHERE id = ? AND state IN ({marks(len(allowed))})",
                (state.value, error_code, now, submission_id, *allowed),
            )
            won = cur.rowcount == 1
            if won and notify is not None:
                await insert_notification(db, notify, now)
        return won

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

    # -- storing the orders a submission made ---------------------------------------------

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
                await insert_order(db, submission, new, now)
            await _mark_submitted(db, submission.id, now)
            if notify is not None:
                await insert_notification(db, notify, now)
        return await self.orders_of_submission(submission.id)

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
                order_id = await insert_order(db, submission, new, now)
                if order_id is not None:
                    added.append(order_id)
            if complete:
                await _mark_submitted(db, submission.id, now)
            new_orders: list[Order] = []
            if added:
                async with db.execute(
                    f"SELECT {rows.ORDER_COLUMNS} FROM orders"
                    f" WHERE id IN ({marks(len(added))}) ORDER BY id",
                    added,
                ) as cur:
                    new_orders = [rows.order(r) for r in await cur.fetchall()]
            note = notify(new_orders) if notify is not None else None
            if note is not None:
                await insert_notification(db, note, now)
        return new_orders

    async def orders_of_submission(self, submission_id: int) -> list[Order]:
        found = await self._fetchall(
            f"SELECT {rows.ORDER_COLUMNS} FROM orders WHERE submission_id = ? ORDER BY id",
            (submission_id,),
        )
        return [rows.order(r) for r in found]

    # -- per-receiver progress ---------------------------------------------------------

    async def mark_receivers_sending(
        self, submission: Submission, positions: Sequence[int], *, now: float
    ) -> None:
        """Record, before the request goes out, that these receivers are being sent."""
        async with self._tx() as db:
            for position in positions:
                # Only the outcome changes: what an earlier attempt recorded stays.
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
            await _touch(db, submission.id, now)

    async def record_receivers(
        self, submission: Submission, updates: Sequence[ReceiverUpdate], *, now: float
    ) -> None:
        """Store receivers' outcomes and their orders in one transaction; the submission
        keeps its state (the caller settles it when the whole request is done)."""
        async with self._tx() as db:
            for up in updates:
                if up.order is not None:
                    await insert_order(db, submission, up.order, now)
                if up.position is None or up.receiver is None:
                    continue
                await _record_receiver(db, submission.id, up, now)
            await _touch(db, submission.id, now)

    async def receiver_records(self, submission_id: int) -> list[ReceiverRecord]:
        found = await self._fetchall(
            f"SELECT {rows.RECEIVER_COLUMNS} FROM submission_receivers"
            " WHERE submission_id = ? ORDER BY position",
            (submission_id,),
        )
        return [rows.receiver_record(r) for r in found]
