"""After the match: user settings, automatic confirmation claims and rental-ending reports.

Every "once" here is a compare-and-set on `order_after_match`, written in the same
transaction as the push it causes, so neither a crash nor two cycles at once can send a
notice twice or confirm an order twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.domain import OrderState, ProviderName
from bot.storage import rows
from bot.storage.base import Store, upsert
from bot.storage.outbox import insert_notification
from bot.storage.rows import NewNotification, Order


@dataclass(frozen=True)
class AutoConfirmOrder:
    """A matched order automatic confirmation may end, with its submitter."""

    order: Order
    user_id: int
    # The transfer its submission was sized for (None: not sized).
    payee: str | None = None
    transfer_energy: int | None = None


_O = rows.columns(Order, "o.")


class AfterMatchStore(Store):
    # -- user settings -------------------------------------------------------------------

    async def user_auto_confirm(self, user_id: int) -> bool:
        """On unless the user turned it off in /settings."""
        row = await self._fetchone(
            "SELECT auto_confirm FROM user_settings WHERE user_id = ?", (user_id,)
        )
        return True if row is None else bool(row["auto_confirm"])

    async def set_user_auto_confirm(self, user_id: int, enabled: bool, now: float) -> None:
        async with self._tx() as db:
            await upsert(
                db,
                "user_settings",
                {"user_id": user_id},
                {"auto_confirm": int(enabled), "updated_at": now},
            )

    async def set_submission_auto_confirm(self, submission_id: int, enabled: bool) -> None:
        """The summary's own choice for this submission's orders (wins over /settings)."""
        async with self._tx() as db:
            await upsert(
                db,
                "submission_auto_confirm",
                {"submission_id": submission_id},
                {"enabled": int(enabled)},
            )

    async def submission_auto_confirm(self, submission_id: int) -> bool | None:
        row = await self._fetchone(
            "SELECT enabled FROM submission_auto_confirm WHERE submission_id = ?",
            (submission_id,),
        )
        return None if row is None else bool(row["enabled"])

    # -- automatic confirmation ------------------------------------------------------------

    async def auto_confirm_orders(self, provider: ProviderName) -> list[AutoConfirmOrder]:
        """Matched orders of `provider` with a receiver, not claimed yet, whose automatic
        confirmation is on: the submission's choice if it made one, else the user's."""
        found = await self._fetchall(
            f"SELECT {_O}, s.user_id AS submitter, s.payee AS sized_payee,"
            " s.transfer_energy AS sized_energy FROM orders o"
            " JOIN submissions s ON s.id = o.submission_id"
            " LEFT JOIN submission_auto_confirm c ON c.submission_id = s.id"
            " LEFT JOIN user_settings u ON u.user_id = s.user_id"
            " LEFT JOIN order_after_match a ON a.order_id = o.id"
            " WHERE o.provider = ? AND o.state = ? AND o.receiver IS NOT NULL"
            " AND a.confirm_claimed_at IS NULL"
            " AND COALESCE(c.enabled, u.auto_confirm, 1) = 1 ORDER BY o.id",
            (provider.value, OrderState.MATCHED.value),
        )
        return [
            AutoConfirmOrder(
                rows.order(r),
                int(r["submitter"]),
                None if r["sized_payee"] is None else str(r["sized_payee"]),
                None if r["sized_energy"] is None else int(r["sized_energy"]),
            )
            for r in found
        ]

    async def claim_auto_confirm(
        self,
        order_id: int,
        now: float,
        *,
        energy_left: int | None = None,
        energy_fee: int | None = None,
    ) -> bool:
        """Record that the confirmation is about to be sent, with the receiver's energy
        left and the burn price read for it; True only the first time. Written before
        the call: after a crash the order is never sent again."""
        async with self._tx() as db:
            await db.execute(
                "INSERT OR IGNORE INTO order_after_match (order_id) VALUES (?)", (order_id,)
            )
            cur = await db.execute(
                "UPDATE order_after_match SET confirm_claimed_at = ?, energy_left = ?,"
                " energy_fee = ? WHERE order_id = ? AND confirm_claimed_at IS NULL",
                (now, energy_left, energy_fee, order_id),
            )
            return cur.rowcount == 1

    async def auto_confirm_figures(
        self, order_ids: Sequence[int]
    ) -> dict[int, tuple[int | None, int | None]]:
        """Per order claimed: (energy left, burn price) read before its confirmation."""
        found = await self._fetch_in_chunks(
            "SELECT order_id, energy_left, energy_fee FROM order_after_match"
            " WHERE confirm_claimed_at IS NOT NULL AND order_id IN ({marks})",
            list(order_ids),
        )
        return {
            int(r["order_id"]): (
                None if r["energy_left"] is None else int(r["energy_left"]),
                None if r["energy_fee"] is None else int(r["energy_fee"]),
            )
            for r in found
        }

    async def finish_auto_confirm(
        self, order_id: int, outcome: str, note: NewNotification | None, now: float
    ) -> bool:
        """How the claimed confirmation ended, with its push, once (True if this call
        recorded it)."""
        async with self._tx() as db:
            cur = await db.execute(
                "UPDATE order_after_match SET confirm_outcome = ?"
                " WHERE order_id = ? AND confirm_claimed_at IS NOT NULL"
                " AND confirm_outcome IS NULL",
                (outcome, order_id),
            )
            if cur.rowcount != 1:
                return False
            if note is not None:
                await insert_notification(db, note, now)
            return True

    async def unfinished_auto_confirms(self) -> list[tuple[Order, float]]:
        """Orders claimed whose outcome was never recorded (the bot stopped meanwhile),
        with when they were claimed."""
        found = await self._fetchall(
            f"SELECT {_O}, a.confirm_claimed_at AS claimed_at FROM orders o"
            " JOIN order_after_match a ON a.order_id = o.id"
            " WHERE a.confirm_claimed_at IS NOT NULL AND a.confirm_outcome IS NULL"
            " ORDER BY o.id"
        )
        return [(rows.order(r), float(r["claimed_at"])) for r in found]

    async def auto_confirm_outcome(self, order_id: int) -> tuple[bool, str | None]:
        """(claimed, outcome) of one order."""
        row = await self._fetchone(
            "SELECT confirm_claimed_at, confirm_outcome FROM order_after_match WHERE order_id = ?",
            (order_id,),
        )
        if row is None:
            return False, None
        outcome = row["confirm_outcome"]
        return row["confirm_claimed_at"] is not None, None if outcome is None else str(outcome)

    # -- rentals ending --------------------------------------------------------------------

    async def matched_rentals_ending_before(self, until: float) -> list[Order]:
        """Matched orders whose rental ends at or before `until`, not reported yet."""
        found = await self._fetchall(
            f"SELECT {_O} FROM orders o LEFT JOIN order_after_match a ON a.order_id = o.id"
            " WHERE o.state = ? AND o.ends_at IS NOT NULL AND o.ends_at <= ?"
            " AND a.ending_reported_at IS NULL ORDER BY o.id",
            (OrderState.MATCHED.value, until),
        )
        return [rows.order(r) for r in found]

    async def report_endings(
        self,
        order_ids: Sequence[int],
        notifications: Callable[[list[int]], list[NewNotification]],
        now: float,
    ) -> list[int]:
        """Mark the rentals' end reported and queue their pushes, once per order; returns
        the ids marked by this call."""
        fresh: list[int] = []
        async with self._tx() as db:
            for order_id in order_ids:
                await db.execute(
                    "INSERT OR IGNORE INTO order_after_match (order_id) VALUES (?)", (order_id,)
                )
                cur = await db.execute(
                    "UPDATE order_after_match SET ending_reported_at = ?"
                    " WHERE order_id = ? AND ending_reported_at IS NULL",
                    (now, order_id),
                )
                if cur.rowcount == 1:
                    fresh.append(order_id)
            if fresh:
                for note in notifications(fresh):
                    await insert_notification(db, note, now)
        return fresh
