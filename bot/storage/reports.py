"""Reads for the operator's reports: closed orders still lacking money figures (settled
in the background), a day's orders with who placed them (the daily summary), and
submissions or orders whose outcome stayed unknown and were not alerted yet."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain import OPEN_STATES, OrderState, SubmissionState
from bot.storage import rows
from bot.storage.base import Store, marks
from bot.storage.rows import Order, Submission

_OPEN = tuple(sorted(s.value for s in OPEN_STATES))


@dataclass(frozen=True)
class DayOrder:
    order: Order
    user_id: int  # who submitted it


class ReportStore(Store):
    async def orders_lacking_figures(
        self, since: float, limit: int, *, after_id: int = 0
    ) -> list[Order]:
        """Closed orders created at or after `since` whose charge or refund is not
        stored yet, with an id above `after_id`, oldest first (a keyset page)."""
        found = await self._fetchall(
            f"SELECT {rows.ORDER_COLUMNS} FROM orders"
            f" WHERE state NOT IN ({marks(len(_OPEN))}) AND created_at >= ? AND id > ?"
            " AND (charge_sun IS NULL OR refund_sun IS NULL) ORDER BY id LIMIT ?",
            [*_OPEN, since, after_id, limit],
        )
        return [rows.order(r) for r in found]

    async def orders_created_between(self, start: float, end: float) -> list[DayOrder]:
        """Every order created in [start, end), with its submitter."""
        columns = rows.columns(Order, "o.")
        found = await self._fetchall(
            f"SELECT {columns}, s.user_id AS submitter FROM orders o"
            " JOIN submissions s ON s.id = o.submission_id"
            " WHERE o.created_at >= ? AND o.created_at < ? ORDER BY o.id",
            (start, end),
        )
        return [DayOrder(rows.order(r), int(r["submitter"])) for r in found]

    async def unalerted_submissions(
        self, states: Iterable[SubmissionState], *, created_before: float, prefix: str
    ) -> list[Submission]:
        """Submissions in `states` created before `created_before` with no operator-alert
        row `<prefix><id>` yet, oldest first."""
        wanted = [s.value for s in states]
        found = await self._fetchall(
            f"SELECT {rows.columns(Submission, 's.')} FROM submissions s"
            " LEFT JOIN operator_alerts a ON a.key = ? || s.id"
            f" WHERE s.state IN ({marks(len(wanted))}) AND s.created_at < ?"
            " AND a.key IS NULL ORDER BY s.id",
            [prefix, *wanted, created_before],
        )
        return [rows.submission(r) for r in found]

    async def unalerted_unknown_orders(self, *, created_before: float, prefix: str) -> list[Order]:
        """Orders still in the unknown state (a status the docs do not list) created
        before `created_before`, with no operator-alert row `<prefix><id>` yet."""
        found = await self._fetchall(
            f"SELECT {rows.columns(Order, 'o.')} FROM orders o"
            " LEFT JOIN operator_alerts a ON a.key = ? || o.id"
            " WHERE o.state = ? AND o.created_at < ? AND a.key IS NULL ORDER BY o.id",
            (prefix, OrderState.UNKNOWN.value, created_before),
        )
        return [rows.order(r) for r in found]
