"""Quotes shared across users: single flight, the freshness window, each chat's totals
from the shared one-receiver price, and answers with null or missing numbers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bot.domain import ProviderName
from bot.net.pacing import Pacer
from bot.providers.errors import ProviderError, ProviderUnavailable
from bot.providers.feee.adapter import FeeeProvider
from bot.providers.feee.client import FeeeClient
from bot.providers.feee.models import FeeeQuote
from bot.providers.port import Balance, OrderRequest, PriceQuote, Quote
from bot.providers.tronsave.adapter import ESTIMATE_MAX_PRICE, TronSaveProvider
from bot.providers.tronsave.client import TronSaveClient
from bot.sandbox.feee import FeeeSimulator
from bot.sandbox.tronsave import TronSaveSimulator
from bot.services.orders.adapters import Adapters
from bot.services.orders.quotes import QUOTE_FRESH_SECONDS, QuoteService, SharedCall, quote_for
from bot.tron_address import address_from_bytes
from tests.support.fake_provider import FakeProvider
from tests.support.simulators import sim_counts

KEY = "ts-quote-key"
ADDRESSES = [address_from_bytes(bytes([0x40 + i]) * 20) for i in range(30)]


def request(count: int, *, amount: int = 65_000, duration: int = 900) -> OrderRequest:
    return OrderRequest(amount, duration, 70, tuple(ADDRESSES[:count]), 300)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


# --- single flight and freshness -------------------------------------------------------


async def test_concurrent_asks_for_one_key_share_one_call() -> None:
    shared: SharedCall[str, int] = SharedCall(3.0, clock=Clock())
    gate = asyncio.Event()
    calls = 0

    async def fetch() -> int:
        nonlocal calls
        calls += 1
        await gate.wait()
        return 42

    waiters = [asyncio.ensure_future(shared.get("k", fetch)) for _ in range(20)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*waiters) == [42] * 20
    assert calls == 1


async def test_an_answer_is_reused_while_fresh_then_asked_again() -> None:
    clock = Clock()
    shared: SharedCall[str, int] = SharedCall(3.0, clock=clock)
    answers = iter([1, 2])

    async def fetch() -> int:
        return next(answers)

    assert await shared.get("k", fetch) == 1
    clock.now += 2.9
    assert await shared.get("k", fetch) == 1  # still fresh
    clock.now += 0.2
    assert await shared.get("k", fetch) == 2  # 3.1 s old: asked again
    assert shared.calls == 2


async def test_other_keys_are_other_calls_and_a_kept_answer_can_be_skipped() -> None:
    shared: SharedCall[str, str] = SharedCall(3.0, clock=Clock())

    async def fetch_a() -> str:
        return "a"

    async def fetch_b() -> str:
        return "b"

    assert await shared.get("a", fetch_a) == "a"
    assert await shared.get("b", fetch_b) == "b"
    assert await shared.get("a", fetch_a, reuse=False) == "a"
    assert shared.calls == 3


async def test_a_failure_reaches_its_waiters_and_is_not_kept() -> None:
    shared: SharedCall[str, int] = SharedCall(3.0, clock=Clock())
    failing = True

    async def fetch() -> int:
        await asyncio.sleep(0)
        if failing:
            raise ProviderUnavailable("tronsave", "HTTP_500", outcome_unknown=False)
        return 7

    results = await asyncio.gather(
        shared.get("k", fetch), shared.get("k", fetch), return_exceptions=True
    )
    assert all(isinstance(r, ProviderUnavailable) for r in results)
    assert shared.calls == 1
    failing = False
    assert await shared.get("k", fetch) == 7  # asked again at once
    assert shared.calls == 2


async def test_a_waiter_that_gives_up_leaves_the_call_to_the_others() -> None:
    shared: SharedCall[str, int] = SharedCall(3.0, clock=Clock())
    gate = asyncio.Event()

    async def fetch() -> int:
        await gate.wait()
        return 5

    impatient = asyncio.ensure_future(shared.get("k", fetch))
    patient = asyncio.ensure_future(shared.get("k", fetch))
    await asyncio.sleep(0)
    impatient.cancel()
    await asyncio.sleep(0)
    gate.set()
    assert await patient == 5
    assert impatient.cancelled()


async def test_old_answers_are_dropped_as_new_ones_come() -> None:
    clock = Clock()
    shared: SharedCall[int, int] = SharedCall(3.0, clock=clock)

    for key in range(100):

        async def fetch(key: int = key) -> int:
            return key

        await shared.get(key, fetch)
        clock.now += 1.0
    assert len(shared._kept) <= 4  # only answers younger than the window stay


def test_the_window_is_a_few_seconds_and_the_readme_says_which() -> None:
    # Longer than TronSave's 2 s estimate pace (a burst straddling it shares one call),
    # short enough that a summary's price is never old.
    assert 2.0 < QUOTE_FRESH_SECONDS <= 5.0
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert f"summaries for {QUOTE_FRESH_SECONDS:g} s" in " ".join(readme.split())


# --- each chat's quote from the shared price -------------------------------------------


def test_totals_are_the_one_receiver_charge_times_the_receivers() -> None:
    price = PriceQuote(ProviderName.TRONSAVE, 61, 61 * 65_000, receivers_available=3)
    one, three, four = (quote_for(price, 10**9, request(n)) for n in (1, 3, 4))
    assert (one.total_sun, three.total_sun, four.total_sun) == (
        3_965_000,
        11_895_000,
        15_860_000,
    )
    assert all(q.unit_price_sun == 61 for q in (one, three, four))
    assert (one.can_match, three.can_match, four.can_match) == (True, True, False)
    assert four.receivers_available == 3


def test_without_a_receiver_count_only_one_receiver_can_be_told() -> None:
    says_yes = PriceQuote(ProviderName.TRONSAVE, 60, 60, can_match_one=True)
    says_no = PriceQuote(ProviderName.TRONSAVE, 60, 60, can_match_one=False)
    silent = PriceQuote(ProviderName.FEEE, 60, 60)
    assert quote_for(says_yes, None, request(1)).can_match is True
    assert quote_for(says_yes, None, request(2)).can_match is None  # unknown, not "yes"
    assert quote_for(says_no, None, request(2)).can_match is False
    assert quote_for(silent, None, request(1)).can_match is None


def test_the_balance_is_checked_against_each_chats_total() -> None:
    price = PriceQuote(ProviderName.TRONSAVE, 60, 3_900_000, balance_sun=1)
    assert quote_for(price, 8_000_000, request(2)).balance_sufficient is True
    assert quote_for(price, 8_000_000, request(3)).balance_sufficient is False
    # No balance answer: the one the price answer carried.
    assert quote_for(price, None, request(1)).balance_sun == 1


@dataclass
class CountingProvider(FakeProvider):
    gate: asyncio.Event = field(default_factory=asyncio.Event)

    async def price(self, amount: int, duration_sec: int) -> PriceQuote:
        self.calls.append(f"price:{amount}:{duration_sec}")
        await self.gate.wait()
        return PriceQuote(self.name, self.unit_price, self.unit_price * amount, 10_000, True)

    async def balance(self) -> Balance:
        self.calls.append("balance")
        await self.gate.wait()
        return Balance(self.name, self.balance_sun, None)


async def test_twenty_chats_asking_at_once_make_one_price_and_one_balance_call() -> None:
    fake = CountingProvider()
    service = QuoteService(Adapters({fake.name: fake}))
    asks = [asyncio.ensure_future(service.quotes(request(1 + i % 5))) for i in range(20)]
    await asyncio.sleep(0.01)
    fake.gate.set()
    answers = await asyncio.gather(*asks)
    assert fake.calls == ["price:65000:900", "balance"]
    for i, answer in enumerate(answers):
        quote = answer[fake.name]
        assert isinstance(quote, Quote)
        assert quote.total_sun == 60 * 65_000 * (1 + i % 5)
        assert quote.balance_sun == fake.balance_sun


async def test_another_amount_or_duration_is_another_call() -> None:
    fake = CountingProvider()
    fake.gate.set()
    service = QuoteService(Adapters({fake.name: fake}))
    await service.quotes(request(1))
    await service.quotes(request(2, amount=131_000))
    await service.quotes(request(3, duration=3_600))
    await service.quotes(request(4))  # shared with the first
    assert [c for c in fake.calls if c.startswith("price")] == [
        "price:65000:900",
        "price:131000:900",
        "price:65000:3600",
    ]


@dataclass
class BalanceCounting(FakeProvider):
    async def balance(self) -> Balance:
        self.calls.append("balance")
        return await super().balance()


async def test_a_failed_balance_leaves_the_price_and_an_order_drops_the_kept_balance() -> None:
    fake = BalanceCounting(
        balance_error=ProviderUnavailable("tronsave", "X", outcome_unknown=False)
    )
    service = QuoteService(Adapters({fake.name: fake}))
    quote = (await service.quotes(request(2)))[fake.name]
    assert isinstance(quote, Quote)
    assert quote.balance_sun is None
    assert quote.total_sun == 2 * 60 * 65_000
    fake.balance_error = None
    await service.quotes(request(2))
    calls = fake.calls.count("balance")
    service.spent(fake)
    await service.quotes(request(2))
    assert fake.calls.count("balance") == calls + 1


async def test_a_failed_price_is_that_providers_answer() -> None:
    class Failing(FakeProvider):
        async def price(self, amount: int, duration_sec: int) -> PriceQuote:
            raise ProviderUnavailable("tronsave", "HTTP_500", outcome_unknown=False)

    service = QuoteService(Adapters({ProviderName.TRONSAVE: Failing()}))
    answer = (await service.quotes(request(1)))[ProviderName.TRONSAVE]
    assert isinstance(answer, ProviderError)


# --- TronSave's estimate with null or missing numbers ----------------------------------


@pytest.fixture
def sim() -> Iterator[TronSaveSimulator]:
    with TronSaveSimulator(api_key=KEY, rate_interval=0.0, unit_price=60, supply=7) as s:
        yield s


class Capture(httpx.AsyncHTTPTransport):
    """The real transport, keeping each request's JSON body."""

    def __init__(self) -> None:
        super().__init__()
        self.bodies: list[dict[str, object]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.content:
            self.bodies.append(json.loads(request.content))
        return await super().handle_async_request(request)


@pytest.fixture
def capture() -> Capture:
    return Capture()


@pytest.fixture
async def tronsave(sim: TronSaveSimulator, capture: Capture) -> AsyncIterator[TronSaveProvider]:
    client = TronSaveClient(
        api_key=SecretStr(KEY),
        base_url=sim.base_url,
        pacer=Pacer(0.0, hold=True),
        transport=capture,
    )
    adapter = TronSaveProvider(client, track_chunk=50)
    yield adapter
    await adapter.aclose()


async def test_the_estimate_is_asked_for_one_receiver_at_the_highest_max_price(
    sim: TronSaveSimulator, tronsave: TronSaveProvider, capture: Capture
) -> None:
    price = await tronsave.price(65_000, 900)
    assert price == PriceQuote(
        ProviderName.TRONSAVE, 60, 3_900_000, 7, True, balance_sun=sim.balance()
    )
    [asked] = capture.bodies
    assert asked["receiver_count"] == 1
    assert asked["max_price_accept"] == ESTIMATE_MAX_PRICE


async def test_a_three_day_rental_is_billed_for_three_days(tronsave: TronSaveProvider) -> None:
    price = await tronsave.price(32_000, 3 * 86_400)
    assert (price.unit_price_sun, price.receiver_sun) == (60, 32_000 * 60 * 3)


@pytest.mark.parametrize("how", ["estimate_null_fields", "estimate_missing_fields"])
async def test_null_or_missing_numbers_are_derived_or_unknown(
    sim: TronSaveSimulator, tronsave: TronSaveProvider, how: str
) -> None:
    sim.configure(**{how: ["price", "max_receiver_can_provide", "able_to_match"]})
    price = await tronsave.price(65_000, 900)
    assert (price.unit_price_sun, price.receiver_sun) == (60, 3_900_000)  # from the charge
    assert price.receivers_available is None
    assert price.can_match_one is None
    sim.configure(**{how: ["charge_amount", "internal_balance"]})
    price = await tronsave.price(65_000, 86_400 * 2)
    assert price.receiver_sun == 65_000 * 60 * 2  # from the unit price, per billed day
    assert price.balance_sun is None
    quote = quote_for(price, None, request(3))
    assert quote.total_sun == 3 * 65_000 * 60 * 2
    assert quote.balance_sufficient is None


async def test_an_estimate_with_no_price_at_all_is_unreadable(
    sim: TronSaveSimulator, tronsave: TronSaveProvider
) -> None:
    sim.configure(estimate_null_fields=["price"], estimate_missing_fields=["charge_amount"])
    with pytest.raises(ProviderUnavailable) as caught:
        await tronsave.price(65_000, 900)
    assert not caught.value.outcome_unknown
    assert sim_counts(sim)["estimate"] == 1  # a readable 200 is not asked again


async def test_a_zero_price_counts_as_none(
    sim: TronSaveSimulator, tronsave: TronSaveProvider
) -> None:
    sim.configure(unit_price=0)
    with pytest.raises(ProviderUnavailable):
        await tronsave.price(65_000, 900)


def test_feee_without_the_energy_price_spreads_the_whole_payment() -> None:
    quote = FeeeQuote.model_validate(
        {"resource_value": 32_000, "pay_amount": "4.4", "price_in_sun": None}
    )
    assert quote.paid_unit_price == 138  # 4,400,000 / 32,000 = 137.5, rounded up


# --- Feee: one price call and one account call for every chat, within its pace --------


async def test_feee_chats_asking_at_once_share_one_price_and_one_account_call() -> None:
    with FeeeSimulator(api_key="feee-quote-key", qps=5, price_v2=40) as feee_sim:
        client = FeeeClient(
            api_key=SecretStr("feee-quote-key"),
            base_url=feee_sim.base_url + "/open",
            user_agent="unit",
            pacer=Pacer(1 / 5 + 0.02, hold=False),  # the bot's own Feee pace
        )
        adapter = FeeeProvider(client)
        service = QuoteService(Adapters({adapter.name: adapter}))
        try:
            answers = await asyncio.gather(
                *(service.quotes(request(1 + i % 3, duration=3_600)) for i in range(15))
            )
        finally:
            await adapter.aclose()
        counts = sim_counts(feee_sim)
        limited = feee_sim.request_log()["rate_limited"]
    assert counts.get("price_v2") == 1
    assert counts.get("api_query") == 1
    assert limited == 0
    for i, answer in enumerate(answers):
        quote = answer[ProviderName.FEEE]
        assert isinstance(quote, Quote)
        # 65,000 x 40 SUN + 0.56 TRX fee per order, for each receiver.
        assert quote.total_sun == (65_000 * 40 + 560_000) * (1 + i % 3)
        assert quote.unit_price_sun == 49
