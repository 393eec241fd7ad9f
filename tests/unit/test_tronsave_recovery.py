"""Recovering a TronSave create whose answer was lost: the adapter against the simulator.

Only orders the request itself made may be adopted: matched on every field the history
gives, created between the send and the answer window's end on the provider's clock as
measured (not minutes of slack), found whatever page size the history serves.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import cast

import pytest
from pydantic import SecretStr

import bot.providers.tronsave.history_search as history_search
from bot.domain import OrderState
from bot.net.pacing import Pacer
from bot.providers.clock import ClockOffset
from bot.providers.errors import ProviderUnavailable
from bot.providers.port import SubmissionQuery, TrackedOrder
from bot.providers.tronsave.adapter import TronSaveProvider
from bot.providers.tronsave.client import TronSaveClient
from bot.sandbox.base import derive_address
from bot.sandbox.tronsave import TronSaveSimulator
from tests.support.simulators import sim_orders

KEY = "ts-recovery-key"
A1, A2, A3 = (derive_address(f"recovery:{n}") for n in range(3))
OTHER = derive_address("recovery:other")
PARAMS = {"amount": 65_000, "duration_sec": 900, "max_price_accept": 70, "deadline": 300}


@pytest.fixture(scope="module")
def server() -> Iterator[TronSaveSimulator]:
    with TronSaveSimulator(api_key=KEY, rate_interval=0, balance=10**12) as simulator:
        yield simulator


@pytest.fixture
def sim(server: TronSaveSimulator) -> TronSaveSimulator:
    server.reset()
    return server


@pytest.fixture
async def provider(sim: TronSaveSimulator) -> AsyncIterator[TronSaveProvider]:
    client = TronSaveClient(
        api_key=SecretStr(KEY),
        base_url=sim.base_url,
        pacer=Pacer(0, hold=True),
        timeout=2.0,
        backoff=lambda attempt: 0.0,
    )
    adapter = TronSaveProvider(client, track_chunk=500)
    yield adapter
    await adapter.aclose()


def _submission(receivers: tuple[str, ...], sent_at: float, answer_by: float) -> SubmissionQuery:
    return SubmissionQuery(
        amount=65_000,
        duration_sec=900,
        max_price=70,
        deadline_sec=300,
        receivers=receivers,
        created_at=sent_at - 0.5,
        sent_at=sent_at,
        answer_by=answer_by,
    )


async def _lost_create(
    provider: TronSaveProvider, sim: TronSaveSimulator, *receivers: str
) -> SubmissionQuery:
    """Create through the client with the answer lost (500 after the orders were made)."""
    sim.add_fault("create", "error500")
    with pytest.raises(ProviderUnavailable) as caught:
        await provider._client.create_order(
            amount=65_000, duration_sec=900, max_price=70, receivers=receivers, deadline_sec=300
        )
    timing = caught.value.timing
    assert timing is not None
    assert caught.value.outcome_unknown
    return replace(
        _submission(tuple(receivers), timing.sent_at, timing.answer_by),
        offset_low=timing.offset_low,
        offset_high=timing.offset_high,
    )


def _own_ids(sim: TronSaveSimulator, count: int) -> list[str]:
    return [str(o["_id"]) for o in sim_orders(sim)[-count:]]


async def test_foreign_order_made_just_before_the_request_is_not_adopted(
    provider: TronSaveProvider, sim: TronSaveSimulator
) -> None:
    # Same key, same receiver, same amount and duration, made 1 s before the request.
    foreign = sim.place_foreign(receiver=A1, age=1.0, **PARAMS)
    sub = await _lost_create(provider, sim, A1)
    own = [i for i in _own_ids(sim, 2) if i != foreign]
    found = await provider.recover(sub)
    assert found is not None
    assert [o.provider_order_id for o in found] == own
    assert found[0].receiver == A1


async def test_foreign_order_with_other_options_made_after_is_not_adopted(
    provider: TronSaveProvider, sim: TronSaveSimulator
) -> None:
    sub = await _lost_create(provider, sim, A1)
    [own] = _own_ids(sim, 1)
    # Made inside the answer window, but with another max price or deadline.
    sim.place_foreign(receiver=A1, **{**PARAMS, "max_price_accept": 80})
    sim.place_foreign(receiver=A1, **{**PARAMS, "deadline": 600})
    sim.place_foreign(receiver=OTHER, **PARAMS)
    wide = replace(sub, answer_by=time.time() + 1)
    found = await provider.recover(wide)
    assert found is not None
    assert [o.provider_order_id for o in found] == [own]


@pytest.mark.parametrize("offset", [-150.0, 150.0])
async def test_orders_are_found_whatever_the_providers_clock_offset(
    provider: TronSaveProvider, sim: TronSaveSimulator, offset: float
) -> None:
    sim.configure(clock_offset=offset)
    foreign = sim.place_foreign(receiver=A1, age=2.0, **PARAMS)
    sub = await _lost_create(provider, sim, A1, A2)
    own = [i for i in _own_ids(sim, 3) if i != foreign]
    found = await provider.recover(sub)
    assert found is not None
    assert sorted(o.provider_order_id for o in found) == sorted(own)
    bound = provider._client.clock_offset()
    assert bound is not None
    assert bound.low <= offset <= bound.high
    assert bound.width < 0.5  # measured, not minutes of slack


async def test_history_is_paged_whatever_page_size_it_really_serves(
    provider: TronSaveProvider, sim: TronSaveSimulator
) -> None:
    sim.configure(history_max_page_size=20)  # whatever pageSize asks
    sub = await _lost_create(provider, sim, A1)
    [own] = _own_ids(sim, 1)
    # 45 later orders of other receivers in the answer window push it past page 0 and 1.
    for n in range(45):
        sim.place_foreign(receiver=derive_address(f"noise:{n}"), **PARAMS)
    wide = replace(sub, answer_by=time.time() + 1)
    found = await provider.recover(wide)
    assert found is not None
    assert [o.provider_order_id for o in found] == [own]
    entries = cast(list[dict[str, object]], sim.request_log()["entries"])
    assert len([e for e in entries if e["endpoint"] == "history"]) >= 3


async def test_settlements_page_past_a_capped_first_page(
    provider: TronSaveProvider, sim: TronSaveSimulator
) -> None:
    sim.configure(history_max_page_size=20)
    [oldest] = await provider._client.create_order(
        amount=65_000, duration_sec=900, max_price=70, receivers=[A1], deadline_sec=300
    )
    for n in range(45):
        sim.place_foreign(receiver=derive_address(f"noise:{n}"), **PARAMS)
    order = TrackedOrder(
        provider_order_id=oldest,
        amount=65_000,
        state=OrderState.PENDING,
        raw_status="Pending",
        created_at=time.time(),
    )
    [settlement] = await provider.settlements([order])
    assert settlement.provider_order_id == oldest
    assert settlement.charge_sun == 65_000 * 60


async def test_a_search_that_cannot_finish_is_reported_incomplete(
    provider: TronSaveProvider, sim: TronSaveSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim.configure(history_max_page_size=1)
    monkeypatch.setattr(history_search, "_MAX_PAGES", 2)
    sub = await _lost_create(provider, sim, A1)
    for n in range(5):
        sim.place_foreign(receiver=derive_address(f"noise:{n}"), **PARAMS)
    wide = replace(sub, answer_by=time.time() + 1)
    with pytest.raises(ProviderUnavailable) as caught:
        await provider.recover(wide)
    assert caught.value.code == "HISTORY_INCOMPLETE"
    assert not caught.value.outcome_unknown


async def test_a_lagging_history_shows_one_order_at_a_time(
    provider: TronSaveProvider, sim: TronSaveSimulator
) -> None:
    sim.configure(history_delay=0.0, history_stagger=60.0)
    sub = await _lost_create(provider, sim, A1, A2, A3)
    own = _own_ids(sim, 3)
    seen = await provider.recover(sub)
    assert seen is not None
    assert [o.provider_order_id for o in seen] == own[:1]
    sim.advance_clock(61)  # ages every order: the second one is listed now
    later = await provider.recover(
        replace(sub, sent_at=(sub.sent_at or 0) - 61, answer_by=(sub.answer_by or 0) - 61)
    )
    assert later is not None
    assert sorted(o.provider_order_id for o in later) == sorted(own[:2])
    assert len({o.request_id for o in later}) == 1


def test_clock_offset_intersects_samples_and_survives_a_clock_step() -> None:
    offset = ClockOffset()
    # True offset +0.3 s; Date headers name whole seconds.
    offset.add(sent_at=100.10, received_at=100.12, server_second=100.0)
    offset.add(sent_at=100.69, received_at=100.71, server_second=100.0)
    offset.add(sent_at=100.71, received_at=100.73, server_second=101.0)
    bound = offset.bound(101.0)
    assert bound is not None
    assert bound.low <= 0.3 <= bound.high
    assert bound.width < 0.1
    # Our clock steps 10 s back: the older samples no longer agree and are dropped.
    offset.add(sent_at=91.0, received_at=91.02, server_second=101.0)
    stepped = offset.bound(91.1)
    assert stepped is not None
    assert stepped.low <= 10.0 <= stepped.high
