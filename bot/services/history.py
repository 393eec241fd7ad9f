"""A chat's order history: charge, refund and net cost per order, per UTC day and in
total, a page at a time, and the whole of it as CSV.

The figures are what the bot stored from the providers' own records (`charge_sun`,
`refund_sun`: TronSave's `charge_amount`/`repay_amount`, Feee's `pay_amount`/
`refund_amount`). A figure not known yet is None, shown as pending, never as 0: a sum
counts the known figures and says how many are still pending. Showing a page or the CSV
reads only what is stored: the figures closed orders still lack are asked of the
providers' records (their `settlements`, e.g. TronSave's order history) in the
background (`settle_missing`, run by bot/telegram/settle_job.py), so an order that
expired, was cancelled or ran its course gets them too, and turning pages costs no
provider request.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Final

from bot.domain import ProviderName
from bot.money import sun_to_trx
from bot.providers.errors import ProviderError
from bot.providers.port import EnergyProvider
from bot.services.orders import tracked
from bot.storage.repository import Order, OrderChanges, Repository

log = logging.getLogger(__name__)

BATCH: Final = 500  # orders read from storage at a time
# A closed order whose figures the provider's records lacked is asked about again only
# after this long, doubled with each try (up to 64 times): a provider that never gives
# a figure is not asked every time.
ASK_AGAIN_AFTER: Final = 600.0
_MAX_DOUBLINGS: Final = 6
# The most one background settling run waits for those lookups (TronSave paces its
# requests, and its history may take a few pages); the rest waits for the next run.
LOOKUP_BUDGET: Final = 60.0
SETTLE_HORIZON: Final = 14 * 86_400.0  # orders created longer ago are not asked about
SETTLE_BATCH: Final = 200  # orders asked about per run
_ASKED_KEPT: Final = 10_000  # remembered lookups beyond this are forgotten, oldest first
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
        providers: Mapping[ProviderName, EnergyProvider] | None = None,
        clock: Callable[[], float] = time.time,
        page_size: int = 8,
        batch: int = BATCH,
        lookup_budget: float = LOOKUP_BUDGET,
    ) -> None:
        self._repo = repo
        self._providers = dict(providers or {})
        self._lookup_budget = lookup_budget
        self._clock = clock
        self.page_size = page_size
        self._batch = batch
        # order id -> when its figures were last asked, and how many times
        self._asked: dict[int, tuple[float, int]] = {}

    def _needs_figures(self, order: Order, now: float) -> bool:
        if order.state.is_open or (order.charge_sun is not None and order.refund_sun is not None):
            return False
        adapter = self._providers.get(order.provider)
        if adapter is None or adapter.key_id != order.key_id:
            return False  # only the account the order was placed with can tell
        asked = self._asked.get(order.id)
        if asked is None:
            return True
        when, tries = asked
        wait = ASK_AGAIN_AFTER * (1 << min(tries - 1, _MAX_DOUBLINGS))
        return now - when >= wait

    async def settle_missing(self) -> int:
        """Ask the providers for the figures that recent closed orders lack, within the
        lookup budget; returns how many orders were asked about."""
        now = self._clock()
        # Those waiting to be asked again are skipped here, so they never crowd out the
        # orders behind them.
        lacking: list[Order] = []
        after = 0
        while len(lacking) < SETTLE_BATCH:
            found = await self._repo.orders_lacking_figures(
                now - SETTLE_HORIZON, self._batch, after_id=after
            )
            lacking += [o for o in found if self._needs_figures(o, now)]
            if len(found) < self._batch:
                break
            after = found[-1].id
        lacking = lacking[:SETTLE_BATCH]
        try:
            async with asyncio.timeout(self._lookup_budget):
                return await self.fill_in(lacking)
        except TimeoutError:
            log.info(
                "history: settlement lookups took over %ss; the rest later", self._lookup_budget
            )
            return 0

    async def fill_in(self, orders: Iterable[Order]) -> int:
        """Ask the providers' records for the charge and refund that closed orders still
        lack, and store what they tell (a figure they do not give stays pending). Returns
        how many orders were asked about. A failed lookup is logged and changes nothing."""
        now = self._clock()
        by_provider: defaultdict[ProviderName, list[Order]] = defaultdict(list)
        for order in orders:
            if self._needs_figures(order, now):
                by_provider[order.provider].append(order)
        for provider, batch in by_provider.items():
            for order in batch:
                self._asked[order.id] = (now, self._asked.get(order.id, (now, 0))[1] + 1)
            try:
                found = await self._providers[provider].settlements([tracked(o) for o in batch])
            except ProviderError as exc:
                log.warning("history: settlement lookup failed: %s", exc.code)
                continue
            ids = {o.provider_order_id: o.id for o in batch}
            for settlement in found:
                order_id = ids.get(settlement.provider_order_id)
                if order_id is not None:
                    changes = OrderChanges(
                        charge_sun=settlement.charge_sun, refund_sun=settlement.refund_sun
                    )
                    # A page's time budget may end the lookups, never a write half-way.
                    await asyncio.shield(self._repo.update_order_details(order_id, changes))
        while len(self._asked) > _ASKED_KEPT:
            del self._asked[next(iter(self._asked))]
        return sum(len(b) for b in by_provider.values())

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
