"""A chat's order history: charge, refund and net cost per order, per UTC day and in
total, a page at a time, and the whole of it as CSV.

The figures are what the bot stored from the providers' own records (`charge_sun`,
`refund_sun`: TronSave's `charge_amount`/`repay_amount`, Feee's `pay_amount`/
`refund_amount`). A figure not known yet is None, shown as pending, never as 0: a sum
counts the known figures and says how many are still pending.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Final

from bot.money import sun_to_trx
from bot.storage.repository import Order, Repository

BATCH: Final = 500  # orders read from storage at a time
PENDING: Final = "pending"  # a CSV cell whose figure is not known yet
CSV_HEADER: Final = (
    "id",
    "provider",
    "provider_order_id",
    "receiver",
    "amount",
    "duration_sec",
    "state",
    "created_utc",
    "closed_utc",
    "charge_trx",
    "refund_trx",
    "net_trx",
)
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Figure:
    """A sum of the known amounts (SUN), how many it holds and how many it still lacks."""

    sun: int = 0
    pending: int = 0
    known: int = 0

    def add(self, sun: int | None) -> Figure:
        if sun is None:
            return Figure(self.sun, self.pending + 1, self.known)
        return Figure(self.sun + sun, self.pending, self.known + 1)


def net_sun(order: Order) -> int | None:
    """What the order cost in the end; unknown while its charge or refund is."""
    if order.charge_sun is None or order.refund_sun is None:
        return None
    return order.charge_sun - order.refund_sun


@dataclass(frozen=True)
class Totals:
    orders: int = 0
    charge: Figure = field(default_factory=Figure)
    refund: Figure = field(default_factory=Figure)
    net: Figure = field(default_factory=Figure)

    def add(self, order: Order) -> Totals:
        return Totals(
            self.orders + 1,
            self.charge.add(order.charge_sun),
            self.refund.add(order.refund_sun),
            self.net.add(net_sun(order)),
        )


def totals(orders: Iterable[Order]) -> Totals:
    result = Totals()
    for order in orders:
        result = result.add(order)
    return result


def utc_day(timestamp: float) -> date:
    return datetime.fromtimestamp(timestamp, UTC).date()


@dataclass(frozen=True)
class Day:
    day: date
    totals: Totals  # every order of the chat that day, not only those on the page
    orders: list[Order]  # the page's orders of that day, newest first


@dataclass(frozen=True)
class HistoryPage:
    page: int  # from 0, within 0..pages-1
    pages: int
    overall: Totals
    days: list[Day]


class HistoryService:
    def __init__(
        self,
        repo: Repository,
        *,
        clock: Callable[[], float] = time.time,
        page_size: int = 8,
        batch: int = BATCH,
    ) -> None:
        self._repo = repo
        self._clock = clock
        self.page_size = page_size
        self._batch = batch

    def csv_filename(self) -> str:
        return csv_filename(self._clock())

    async def orders(self, chat_id: int) -> AsyncIterator[Order]:
        """Every order of the chat, oldest first, read `batch` at a time."""
        after = 0
        while True:
            found = await self._repo.chat_orders_after(chat_id, after, self._batch)
            for order in found:
                yield order
            if len(found) < self._batch:
                return
            after = found[-1].id

    async def page(self, chat_id: int, page: int) -> HistoryPage:
        """Page `page` (newest orders first; past the end: the last page), with the
        totals of its days and of the whole history, in one pass over the orders."""
        count = await self._repo.chat_order_count(chat_id)
        pages = max(1, -(-count // self.page_size))
        page = max(0, min(page, pages - 1))
        # Newest-first positions page*size .. +size are these oldest-first positions.
        last = count - 1 - page * self.page_size
        first = last - self.page_size + 1
        overall = Totals()
        by_day: dict[date, Totals] = {}
        shown: list[Order] = []
        position = 0
        async for order in self.orders(chat_id):
            overall = overall.add(order)
            day = utc_day(order.created_at)
            by_day[day] = by_day.get(day, Totals()).add(order)
            if first <= position <= last:
                shown.append(order)
            position += 1
        days: list[Day] = []
        for order in reversed(shown):
            day = utc_day(order.created_at)
            if not days or days[-1].day != day:
                days.append(Day(day, by_day[day], []))
            days[-1].orders.append(order)
        return HistoryPage(page, pages, overall, days)

    async def export_csv(self, chat_id: int) -> bytes:
        """Every order of the chat as CSV (UTF-8, header row)."""
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_HEADER)
        async for order in self.orders(chat_id):
            writer.writerow(csv_row(order))
        return out.getvalue().encode("utf-8")


def csv_trx(sun: int | None) -> str:
    """TRX with exactly six decimals (Decimal, never float); "pending" when unknown."""
    if sun is None:
        return PENDING
    return f"{sun_to_trx(sun):.6f}"


def csv_time(timestamp: float | None) -> str:
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def safe_cell(value: str) -> str:
    """Text from outside (provider ids, statuses) as a cell no spreadsheet runs as a
    formula: one starting like a formula gets a leading apostrophe (OWASP's advice)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _number_cell(value: str) -> str:
    """Our own numbers pass (a negative net is a number, not a formula); anything else
    is neutralised like text."""
    try:
        Decimal(value)
    except ArithmeticError:
        return safe_cell(value)
    return value


def csv_row(order: Order) -> list[str]:
    return [
        str(order.id),
        safe_cell(order.provider.value),
        safe_cell(order.provider_order_id),
        safe_cell(order.receiver or ""),
        str(order.amount),
        str(order.duration_sec),
        safe_cell(order.state.value),
        csv_time(order.created_at),
        csv_time(order.closed_at),
        _number_cell(csv_trx(order.charge_sun)),
        _number_cell(csv_trx(order.refund_sun)),
        _number_cell(csv_trx(net_sun(order))),
    ]


def csv_filename(now: float) -> str:
    return f"history-{utc_day(now).isoformat()}.csv"
