"""/history's arithmetic (per order, per UTC day, overall; pending figures), its pages,
the CSV export, and the deposit QR code."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import segno

from bot.domain import OrderState, ProviderName
from bot.i18n import LANGS, Lang
from bot.providers.errors import ProviderUnavailable
from bot.providers.port import Settlement, TrackedOrder
from bot.services import deposit_qr
from bot.services.history import (
    ASK_AGAIN_AFTER,
    CSV_HEADER,
    SETTLE_HORIZON,
    Figure,
    HistoryService,
    Totals,
    csv_filename,
    net_sun,
    safe_cell,
    totals,
)
from bot.storage.repository import Order, Repository
from bot.telegram.handlers.history import render_page
from bot.telegram.long_text import TELEGRAM_LIMIT, utf16_len
from bot.tron_address import address_from_bytes
from tests.support.clock import Clock
from tests.support.fake_provider import FakeProvider
from tests.support.history import RECEIVER, Spec, add_many, add_orders

CHAT = 77
DAY1 = datetime(2026, 11, 29, 23, 59, 59, tzinfo=UTC).timestamp()  # last second of a day
DAY2 = datetime(2026, 11, 30, 0, 0, 0, tzinfo=UTC).timestamp()  # first second of the next
DAY3 = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC).timestamp()


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[Repository]:
    repository = await Repository.open(tmp_path / "bot.db")
    try:
        yield repository
    finally:
        await repository.close()


def _order(charge: int | None, refund: int | None) -> Order:
    return Order(
        id=1,
        submission_id=1,
        provider="tronsave",  # type: ignore[arg-type]
        key_id="k",
        provider_order_id="p",
        chat_id=CHAT,
        receiver=RECEIVER,
        amount=65_000,
        duration_sec=900,
        state=OrderState.CONFIRMED,
        raw_status=None,
        created_at=DAY1,
        deadline_at=None,
        matched_at=None,
        ends_at=None,
        closed_at=None,
        charge_sun=charge,
        refund_sun=refund,
        delivered_amount=None,
        delegate_txid=None,
        provider_created_at=None,
    )


# -- arithmetic ------------------------------------------------------------------------


def test_net_is_charge_minus_refund_in_integer_sun() -> None:
    assert net_sun(_order(4_485_000, 357_500)) == 4_127_500  # TronSave's documented example
    assert net_sun(_order(3_920_000, 3_920_000)) == 0  # a full refund is a known 0
    assert net_sun(_order(1, 0)) == 1
    assert isinstance(net_sun(_order(4_485_000, 357_500)), int)


def test_an_unknown_figure_makes_the_net_unknown_not_zero() -> None:
    assert net_sun(_order(None, 0)) is None
    assert net_sun(_order(4_485_000, None)) is None
    assert net_sun(_order(None, None)) is None


def test_totals_count_known_figures_and_the_pending_ones() -> None:
    result = totals(
        [
            _order(4_485_000, 357_500),
            _order(3_920_000, None),  # refund not known yet
            _order(None, None),  # nothing known yet
            _order(1_000_001, 1_000_001),
        ]
    )
    assert result.orders == 4
    assert result.charge == Figure(4_485_000 + 3_920_000 + 1_000_001, pending=1, known=3)
    assert result.refund == Figure(357_500 + 1_000_001, pending=2, known=2)
    assert result.net == Figure(4_127_500 + 0, pending=2, known=2)
    assert totals([]) == Totals()
    assert Figure().add(None).add(None) == Figure(0, pending=2, known=0)  # not a known 0


async def test_page_groups_by_utc_day_with_the_totals_of_whole_days(repo: Repository) -> None:
    stored = await add_orders(
        repo,
        CHAT,
        [
            Spec(DAY1, 1_000_000, 100_000, OrderState.CONFIRMED, DAY1 + 1),
            Spec(DAY2, 2_000_000, None, OrderState.MATCHED),
            Spec(DAY2 + 60, None, None),
            Spec(DAY3, 3_000_000, 3_000_000, OrderState.CANCELLED, DAY3 + 5),
            Spec(DAY3 + 60, 500_000, 0, OrderState.COMPLETED, DAY3 + 999),
        ],
    )
    await add_orders(repo, CHAT + 1, [Spec(DAY3, 9_999_999, 0, OrderState.COMPLETED)])
    service = HistoryService(repo, page_size=2, batch=2)

    first = await service.page(CHAT, 0)
    assert (first.page, first.pages) == (0, 3)
    assert first.overall.orders == 5  # the other chat's order is not counted
    assert first.overall.charge == Figure(6_500_000, pending=1, known=4)
    assert first.overall.refund == Figure(3_100_000, pending=2, known=3)
    assert first.overall.net == Figure(900_000 + 0 + 500_000, pending=2, known=3)
    assert [d.day for d in first.days] == [date(2026, 12, 1)]
    assert [o.id for o in first.days[0].orders] == [stored[4].id, stored[3].id]  # newest first

    second = await service.page(CHAT, 1)
    # Both of the 30th's orders are on this page; its total counts them both.
    assert [d.day for d in second.days] == [date(2026, 11, 30)]
    assert [o.id for o in second.days[0].orders] == [stored[2].id, stored[1].id]
    day = second.days[0].totals
    assert (day.orders, day.charge, day.refund) == (2, Figure(2_000_000, 1, 1), Figure(0, 2, 0))

    third = await service.page(CHAT, 2)
    assert [(d.day, d.totals.net) for d in third.days] == [
        (date(2026, 11, 29), Figure(900_000, 0, 1))
    ]
    assert (await service.page(CHAT, 99)).page == 2  # past the end: the last page


async def test_a_day_split_across_pages_keeps_its_whole_total(repo: Repository) -> None:
    await add_orders(repo, CHAT, [Spec(DAY3 + i, 1_000_000, 0) for i in range(3)])
    page = await HistoryService(repo, page_size=2).page(CHAT, 1)
    assert len(page.days[0].orders) == 1
    assert page.days[0].totals.charge == Figure(3_000_000, 0, 3)


async def test_empty_history(repo: Repository) -> None:
    page = await HistoryService(repo).page(CHAT, 5)
    assert (page.page, page.pages, page.overall, page.days) == (0, 1, Totals(), [])


# -- rendering within Telegram's limit ------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
async def test_a_full_page_of_worst_case_orders_fits_one_message(
    repo: Repository, lang: Lang
) -> None:
    service = HistoryService(repo)
    # Every order on a day of its own, an undocumented status, figures of many digits.
    specs = [
        Spec(
            DAY3 - i * 86_400,
            987_654_321_123,
            None if i % 2 else 123_456_789_012,
            OrderState.UNKNOWN,
            raw_status="x" * 300,
        )
        for i in range(service.page_size * 2)
    ]
    stored = await add_orders(repo, CHAT, specs)
    page = await service.page(CHAT, 0)
    # Shown to an admin as another chat's, the page carries that chat's id on top.
    for chat in (None, -1_009_876_543_210_123):
        text, markup = render_page(lang, page, chat)
        assert utf16_len(text) <= TELEGRAM_LIMIT
        for order in stored[-service.page_size :]:
            assert f"#{order.id}" in text  # nothing was cut off
        assert markup is not None


# -- CSV ---------------------------------------------------------------------------------


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


async def test_csv_has_a_header_six_decimals_and_utc_iso_times(repo: Repository) -> None:
    await add_orders(
        repo,
        CHAT,
        [
            Spec(DAY1, 4_485_000, 357_500, OrderState.CONFIRMED, DAY2 + 3_661),
            Spec(DAY3, None, None, provider_order_id="订单-1"),  # UTF-8 text, pending figures
            Spec(DAY3, 1_000_000, 1_500_000, OrderState.CANCELLED, DAY3),  # net below 0
        ],
    )
    rows = _rows(await HistoryService(repo).export_csv(CHAT))
    assert rows[0] == list(CSV_HEADER)
    assert rows[0] == [
        "id", "provider", "provider_order_id", "receiver", "amount", "duration_sec", "state",
        "created_utc", "closed_utc", "charge_trx", "refund_trx", "net_trx",
    ]  # fmt: skip
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["provider"] == "tronsave"
    assert first["receiver"] == RECEIVER
    assert (first["amount"], first["duration_sec"], first["state"]) == (
        "65000",
        "900",
        "confirmed",
    )
    assert first["created_utc"] == "2026-11-29T23:59:59+00:00"
    assert first["closed_utc"] == "2026-11-30T01:01:01+00:00"
    assert (first["charge_trx"], first["refund_trx"], first["net_trx"]) == (
        "4.485000",
        "0.357500",
        "4.127500",
    )
    second = dict(zip(rows[0], rows[2], strict=True))
    assert second["provider_order_id"] == "订单-1"
    assert second["closed_utc"] == ""
    assert (second["charge_trx"], second["refund_trx"], second["net_trx"]) == ("pending",) * 3
    third = dict(zip(rows[0], rows[3], strict=True))
    assert third["net_trx"] == "-0.500000"  # a number, not a formula
    assert len(rows) == 4


@pytest.mark.parametrize("value", ["=1+1", "+1", "-2+3", "@SUM(A1)", '=HYPERLINK("x")'])
async def test_csv_cells_that_look_like_formulas_are_neutralised(
    repo: Repository, value: str
) -> None:
    await add_orders(repo, CHAT, [Spec(DAY3, 1, 1, provider_order_id=value)])
    rows = _rows(await HistoryService(repo).export_csv(CHAT))
    cell = rows[1][CSV_HEADER.index("provider_order_id")]
    assert cell == "'" + value
    assert not any(c.startswith(("=", "+", "@")) for row in rows for c in row)


def test_safe_cell_leaves_ordinary_text_alone() -> None:
    assert safe_cell("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t") == "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    assert safe_cell("") == ""
    assert safe_cell("\tcmd") == "'\tcmd"


async def test_csv_streams_every_order_in_batches(repo: Repository) -> None:
    stored = await add_many(repo, CHAT, 1_234, now=DAY3)
    asked: list[tuple[int, int]] = []
    original = repo.chat_orders_after

    async def spy(chat_id: int, after_id: int, limit: int) -> list[Order]:
        asked.append((after_id, limit))
        return await original(chat_id, after_id, limit)

    repo.chat_orders_after = spy  # type: ignore[method-assign]
    rows = _rows(await HistoryService(repo, batch=100).export_csv(CHAT))
    assert len(rows) == 1 + 1_234
    assert [int(r[0]) for r in rows[1:]] == [o.id for o in stored]  # all, oldest first
    assert {r[CSV_HEADER.index("charge_trx")] for r in rows[1:]} == {"1.500000"}
    assert len(asked) == 13
    assert all(limit == 100 for _, limit in asked)


def test_csv_filename_carries_the_utc_date() -> None:
    assert csv_filename(DAY1) == "history-2026-11-29.csv"


# -- the deposit QR code ---------------------------------------------------------------


def test_qr_code_holds_exactly_the_plain_address_as_png(monkeypatch: pytest.MonkeyPatch) -> None:
    address = address_from_bytes(b"\x42" * 20)
    given: list[tuple[Any, ...]] = []
    real = segno.make

    def spy(content: Any, *args: Any, **kwargs: Any) -> Any:
        given.append((content, args))
        return real(content, *args, **kwargs)

    monkeypatch.setattr(segno, "make", spy)
    png = deposit_qr.deposit_qr_png(address)
    assert given == [(address, ())]
    assert png is not None
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width = int.from_bytes(png[16:20], "big")
    height = int.from_bytes(png[20:24], "big")
    assert width == height
    assert 200 <= width <= 600


@pytest.mark.parametrize(
    "address", ["", "not an address", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6x", "tron:TR7NHq"]
)
def test_no_qr_code_for_what_is_not_a_tron_address(
    monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    monkeypatch.setattr(segno, "make", pytest.fail)
    assert deposit_qr.deposit_qr_png(address) is None


# -- figures from the providers' own records -------------------------------------------


class _FailingSettlements(FakeProvider):
    async def settlements(self, orders: Sequence[TrackedOrder]) -> list[Settlement]:
        self.calls.append("settlements")
        raise ProviderUnavailable(ProviderName.TRONSAVE, "HTTP_503", "down", outcome_unknown=False)


async def test_a_page_and_the_csv_ask_no_provider_only_stored_figures(
    repo: Repository,
) -> None:
    clock = Clock(DAY3 + 100)
    provider = FakeProvider(key_id="key", unit_price=60, clock=clock)
    await add_orders(repo, CHAT, [Spec(DAY3, None, None, OrderState.EXPIRED, DAY3 + 1)])
    service = HistoryService(repo, providers={ProviderName.TRONSAVE: provider}, clock=clock)
    page = await service.page(CHAT, 0)
    await service.page(CHAT, 0)
    await service.export_csv(CHAT)
    assert provider.calls == []
    assert page.overall.charge == Figure(0, pending=1, known=0)


async def test_settling_asks_the_provider_for_what_closed_orders_lack(
    repo: Repository,
) -> None:
    clock = Clock(DAY3 + 100)
    provider = FakeProvider(key_id="key", unit_price=60, clock=clock)
    stored = await add_orders(
        repo,
        CHAT,
        [
            Spec(DAY3, None, None, OrderState.EXPIRED, DAY3 + 1),  # lacks both
            Spec(DAY3, None, None, OrderState.MATCHED),  # open: nothing final to ask
            Spec(DAY3, 1_000_000, 0, OrderState.COMPLETED, DAY3 + 1),  # nothing lacking
        ],
    )
    provider.refunds[stored[0].provider_order_id] = 3_900_000
    service = HistoryService(
        repo, providers={ProviderName.TRONSAVE: provider}, clock=clock, page_size=8
    )
    assert await service.settle_missing() == 1
    assert provider.calls == ["settlements"]
    page = await service.page(CHAT, 0)
    [filled] = [o for d in page.days for o in d.orders if o.id == stored[0].id]
    assert (filled.charge_sun, filled.refund_sun) == (65_000 * 60, 3_900_000)
    assert net_sun(filled) == 0
    assert page.overall.net == Figure(0 + 1_000_000, pending=1, known=2)  # the open one

    assert await service.settle_missing() == 0  # nothing lacking any more
    assert provider.calls == ["settlements"]


async def test_figures_are_asked_again_later_and_only_of_the_orders_own_account(
    repo: Repository,
) -> None:
    clock = Clock(DAY3 + 100)
    provider = FakeProvider(key_id="key", clock=clock)
    other_key = FakeProvider(key_id="another-key", clock=clock)
    other_key.name = ProviderName.FEEE
    stored = await add_orders(
        repo,
        CHAT,
        [
            Spec(DAY3, None, None, OrderState.CANCELLED, DAY3 + 1),
            Spec(DAY3, None, None, OrderState.CANCELLED, DAY3, provider=ProviderName.FEEE),
        ],
    )
    providers = {ProviderName.TRONSAVE: provider, ProviderName.FEEE: other_key}
    service = HistoryService(repo, providers=providers, clock=clock)
    await service.settle_missing()
    await service.settle_missing()  # soon after: not asked again
    assert provider.calls == ["settlements"]
    clock.now += ASK_AGAIN_AFTER
    await service.settle_missing()
    # No refund in its records yet: asked again after a while, still pending, not 0.
    assert provider.calls == ["settlements", "settlements"]
    clock.now += ASK_AGAIN_AFTER
    await service.settle_missing()  # the wait doubles with each try
    assert provider.calls == ["settlements", "settlements"]
    clock.now += ASK_AGAIN_AFTER
    await service.settle_missing()
    assert provider.calls == ["settlements"] * 3
    assert other_key.calls == []  # placed with a key the bot no longer holds
    [order] = await repo.orders_by_ids([stored[0].id])
    assert order.refund_sun is None


async def test_orders_older_than_the_horizon_are_not_asked_about(repo: Repository) -> None:
    clock = Clock(DAY3 + SETTLE_HORIZON + 100)
    provider = FakeProvider(key_id="key", clock=clock)
    await add_orders(repo, CHAT, [Spec(DAY3, None, None, OrderState.EXPIRED, DAY3)])
    service = HistoryService(repo, providers={ProviderName.TRONSAVE: provider}, clock=clock)
    assert await service.settle_missing() == 0
    assert provider.calls == []


async def test_a_failed_lookup_changes_nothing(repo: Repository) -> None:
    clock = Clock(DAY3 + 100)
    provider = _FailingSettlements(key_id="key", clock=clock)
    [stored] = await add_orders(repo, CHAT, [Spec(DAY3, None, None, OrderState.EXPIRED, DAY3)])
    service = HistoryService(repo, providers={ProviderName.TRONSAVE: provider}, clock=clock)
    await service.settle_missing()
    assert provider.calls == ["settlements"]
    assert await repo.orders_by_ids([stored.id]) == [stored]


class _SlowSettlements(FakeProvider):
    async def settlements(self, orders: Sequence[TrackedOrder]) -> list[Settlement]:
        self.calls.append("settlements")
        await asyncio.sleep(30)
        return []


async def test_a_slow_lookup_is_cut_by_the_budget(repo: Repository) -> None:
    clock = Clock(DAY3 + 100)
    provider = _SlowSettlements(key_id="key", clock=clock)
    [stored] = await add_orders(repo, CHAT, [Spec(DAY3, None, None, OrderState.EXPIRED, DAY3)])
    service = HistoryService(
        repo, providers={ProviderName.TRONSAVE: provider}, clock=clock, lookup_budget=0.05
    )
    assert await asyncio.wait_for(service.settle_missing(), timeout=5) == 0
    assert provider.calls == ["settlements"]
    assert await repo.orders_by_ids([stored.id]) == [stored]


async def test_orders_waiting_to_be_asked_again_do_not_crowd_out_the_others(
    repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.services.history.SETTLE_BATCH", 2)
    clock = Clock(DAY3 + 100)
    provider = FakeProvider(key_id="key", clock=clock)
    stored = await add_orders(
        repo, CHAT, [Spec(DAY3, None, None, OrderState.EXPIRED, DAY3) for _ in range(5)]
    )
    service = HistoryService(
        repo, providers={ProviderName.TRONSAVE: provider}, clock=clock, batch=2
    )
    asked: list[list[str]] = []
    settlements = provider.settlements

    async def recording(orders: Sequence[TrackedOrder]) -> list[Settlement]:
        asked.append([o.provider_order_id for o in orders])
        return await settlements(orders)

    monkeypatch.setattr(provider, "settlements", recording)
    for _ in range(3):
        await service.settle_missing()
    ids = [o.provider_order_id for o in stored]
    # The first two lack a refund still, yet the next runs reach the orders behind them.
    assert asked == [ids[0:2], ids[2:4], ids[4:5]]
