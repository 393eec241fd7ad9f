"""Feee submission safety: one order per receiver, each stored as it arrives, the loop
stopping at an unknown outcome or a price above the max (service fee included)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from decimal import Decimal
from typing import cast

import pytest
from pydantic import SecretStr

from bot.domain import NoticeKind, OrderState, ProviderName, SubmissionState
from bot.net.pacing import Pacer
from bot.providers.feee.adapter import FeeeProvider
from bot.providers.feee.client import FeeeClient
from bot.providers.feee.models import FeeeOrder, FeeeQuote
from bot.providers.port import OrderRequest, ReceiverResult, ReceiverStatus
from bot.sandbox.feee import FeeeSimulator
from bot.services.orders import OrderService, ReceiverReport, SubmitStatus
from bot.storage.repository import NoticePayload, Repository
from bot.telegram.submit_report import receiver_lines
from bot.tron_address import address_from_bytes
from tests.support.clock import Clock
from tests.support.simulators import sim_counts, sim_orders

KEY = "feee-unit-key"
A1, A2, A3 = (address_from_bytes(bytes([n]) * 20) for n in (0x51, 0x52, 0x53))
# 65,000 x 40 SUN + 0.56 TRX fee = 3.16 TRX: 48.6 SUN per unit really paid, so 49.
PRICE = 40
PAID = 49


def request(*receivers: str, max_price: int = 70) -> OrderRequest:
    return OrderRequest(65_000, 3_600, max_price, receivers or (A1, A2, A3), 300)


class Recorder:
    """A SubmitProgress that notes each call and what the simulator had seen by then."""

    def __init__(self, sim: FeeeSimulator) -> None:
        self.sim = sim
        self.events: list[tuple[str, object, int]] = []

    async def sending(self, positions: Sequence[int]) -> None:
        self.events.append(("sending", list(positions), self._submits()))

    async def settled(self, results: Sequence[ReceiverResult]) -> None:
        for r in results:
            self.events.append(("settled", (r.position, r.status), self._submits()))

    def _submits(self) -> int:
        return sim_counts(self.sim).get("submit_v2", 0)


@pytest.fixture
def sim() -> Iterator[FeeeSimulator]:
    with FeeeSimulator(api_key=KEY, qps=1000, price_v2=PRICE) as s:
        yield s


def client(sim: FeeeSimulator, timeout: float = 5.0) -> FeeeClient:
    return FeeeClient(
        api_key=SecretStr(KEY),
        base_url=sim.base_url + "/open",
        user_agent="unit",
        pacer=Pacer(0.0, hold=False),
        timeout=timeout,
    )


@pytest.fixture
async def adapter(sim: FeeeSimulator) -> AsyncIterator[FeeeProvider]:
    provider = FeeeProvider(client(sim))
    yield provider
    await provider.aclose()


def statuses(results: Sequence[ReceiverResult]) -> list[ReceiverStatus]:
    return [r.status for r in results]


# -- the adapter -----------------------------------------------------------------------


async def test_lost_answer_stops_the_loop_there_and_nothing_is_resent(
    sim: FeeeSimulator, adapter: FeeeProvider
) -> None:
    sim.lose_answer(2, "error500")  # the 2nd order is created, its answer is a 500
    rec = Recorder(sim)
    result = await adapter.submit(request(), rec)
    assert statuses(result.receivers) == [
        ReceiverStatus.ORDERED,
        ReceiverStatus.UNCERTAIN,
        ReceiverStatus.NOT_ATTEMPTED,
    ]
    assert result.receivers[1].receiver == A2
    assert result.error is not None
    assert result.error.code == "HTTP_500"
    assert sim_counts(sim)["submit_v2"] == 2  # A2 not retried, A3 never sent
    assert [o["receive_address"] for o in sim_orders(sim)] == [A1, A2]


async def test_a_timeout_is_uncertain_too(sim: FeeeSimulator) -> None:
    sim.lose_answer(1, "delay", seconds=3)
    provider = FeeeProvider(client(sim, timeout=0.5))
    try:
        result = await provider.submit(request(), Recorder(sim))
    finally:
        await provider.aclose()
    assert statuses(result.receivers) == [
        ReceiverStatus.UNCERTAIN,
        ReceiverStatus.NOT_ATTEMPTED,
        ReceiverStatus.NOT_ATTEMPTED,
    ]
    assert sim_counts(sim)["submit_v2"] == 1


async def test_each_receiver_is_reported_before_the_next_is_sent(
    sim: FeeeSimulator, adapter: FeeeProvider
) -> None:
    rec = Recorder(sim)
    await adapter.submit(request(), rec)
    # (event, detail, create requests the simulator had seen at that moment)
    assert rec.events == [
        ("sending", [0], 0),
        ("settled", (0, ReceiverStatus.ORDERED), 1),
        ("sending", [1], 1),
        ("settled", (1, ReceiverStatus.ORDERED), 2),
        ("sending", [2], 2),
        ("settled", (2, ReceiverStatus.ORDERED), 3),
    ]


async def test_the_max_price_is_compared_with_the_price_fee_included(
    sim: FeeeSimulator, adapter: FeeeProvider
) -> None:
    req = request(A1)
    quote = await adapter.price(req.amount, req.duration_sec)
    assert quote.unit_price_sun == PAID
    result = await adapter.submit(request(A1, A2, max_price=PAID - 1), Recorder(sim))
    assert statuses(result.receivers) == [
        ReceiverStatus.PRICE_ROSE,
        ReceiverStatus.NOT_ATTEMPTED,
    ]
    assert sim_counts(sim).get("submit_v2", 0) == 0
    ordered = await adapter.submit(request(A1, max_price=PAID), Recorder(sim))
    assert statuses(ordered.receivers) == [ReceiverStatus.ORDERED]


async def test_a_price_rise_between_receivers_stops_the_rest(
    sim: FeeeSimulator, adapter: FeeeProvider
) -> None:
    sim.reprice_after(1, price_v2=PRICE + 10)  # after the first order: 59 SUN paid per unit
    result = await adapter.submit(request(max_price=55), Recorder(sim))
    assert statuses(result.receivers) == [
        ReceiverStatus.ORDERED,
        ReceiverStatus.PRICE_ROSE,
        ReceiverStatus.NOT_ATTEMPTED,
    ]
    assert sim_counts(sim)["submit_v2"] == 1
    assert sim_counts(sim)["price_v2"] == 2  # checked right before each receiver


async def test_a_refusal_about_one_receiver_does_not_stop_the_others(
    sim: FeeeSimulator, adapter: FeeeProvider
) -> None:
    sim.configure(not_activated=[A2])
    result = await adapter.submit(request(), Recorder(sim))
    assert statuses(result.receivers) == [
        ReceiverStatus.ORDERED,
        ReceiverStatus.REFUSED,
        ReceiverStatus.ORDERED,
    ]
    refusal = result.receivers[1].error
    assert refusal is not None
    assert refusal.code == "20005"


async def test_an_account_refusal_stops_the_rest(
    sim: FeeeSimulator, adapter: FeeeProvider
) -> None:
    sim.configure(balance="4")  # one order of 3.16 TRX fits
    result = await adapter.submit(request(), Recorder(sim))
    assert statuses(result.receivers) == [
        ReceiverStatus.ORDERED,
        ReceiverStatus.REFUSED,
        ReceiverStatus.NOT_ATTEMPTED,
    ]
    assert result.error is not None
    assert result.error.code == "20002"
    assert sim_counts(sim)["submit_v2"] == 2


def test_paid_unit_price_spreads_the_fee_and_rounds_up() -> None:
    # Feee's own example: 32,000 x 120 SUN = 3.84 TRX + 0.56 fee = 4.4 TRX.
    quote = FeeeQuote.model_validate(
        {
            "resource_value": 32_000,
            "pay_amount": Decimal("4.4"),
            "service_amount": Decimal("0.56"),
            "price_in_sun": 120,
        }
    )
    assert quote.paid_unit_price == 138  # 4,400,000 / 32,000 = 137.5
    without_fee_field = FeeeQuote.model_validate(
        {"resource_value": 32_000, "pay_amount": Decimal("4.4"), "price_in_sun": 120}
    )
    assert without_fee_field.paid_unit_price == 138


# -- the service -----------------------------------------------------------------------


def service(repo: Repository, provider: FeeeProvider, clock: Clock) -> OrderService:
    return OrderService(repo, {ProviderName.FEEE: provider}, clock=clock)


async def test_an_uncertain_receiver_is_stored_and_never_reported_as_not_ordered(
    repo: Repository, sim: FeeeSimulator, adapter: FeeeProvider
) -> None:
    clock = Clock()
    sim.lose_answer(2, "error500")
    svc = service(repo, adapter, clock)
    outcome = await svc.submit(
        chat_id=10, user_id=20, provider=ProviderName.FEEE, request=request()
    )
    assert outcome.status is SubmitStatus.UNRESOLVED
    assert [(r.receiver, r.status) for r in outcome.receivers] == [
        (A1, ReceiverStatus.ORDERED),
        (A2, ReceiverStatus.UNCERTAIN),
        (A3, ReceiverStatus.NOT_ATTEMPTED),
    ]
    [order] = outcome.orders
    assert outcome.receivers[0].order == order
    assert order.receiver == A1
    sub = await repo.get_submission(outcome.submission.id)
    assert sub is not None
    assert sub.state is SubmissionState.UNRESOLVED
    assert [(r.position, r.receiver, r.outcome) for r in await repo.receiver_records(sub.id)] == [
        (0, A1, "ordered"),
        (1, A2, "uncertain"),
    ]
    # The stored report says the same, and reconciling later neither resends nor re-tells.
    stored = await svc.receiver_report(sub)
    assert [(r.receiver, r.status) for r in stored] == [
        (r.receiver, r.status) for r in outcome.receivers
    ]
    clock.now += 3_600
    await svc.reconcile_submissions()
    assert await repo.unsent_notifications() == []
    assert sim_counts(sim)["submit_v2"] == 2


async def _wait_for(predicate: object, what: str) -> None:
    assert callable(predicate)
    for _ in range(200):
        if predicate():
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"timed out waiting for {what}")


async def test_a_crash_half_way_loses_no_order_and_the_restart_tells_what_is_known(
    repo: Repository, sim: FeeeSimulator, adapter: FeeeProvider
) -> None:
    clock = Clock()
    sim.lose_answer(2, "delay", seconds=3)  # the 2nd order is created, its answer late
    svc = service(repo, adapter, clock)
    task = asyncio.create_task(
        svc.submit(chat_id=10, user_id=20, provider=ProviderName.FEEE, request=request())
    )
    await _wait_for(lambda: len(sim_orders(sim)) == 2, "the second order at Feee")
    # Half-way: the first order is already in the database, the second marked as sent.
    [sub] = await repo.submissions_in([SubmissionState.SENDING])
    [stored] = await repo.orders_of_submission(sub.id)
    assert stored.provider_order_id == sim_orders(sim)[0]["order_no"]
    # A poll cycle meanwhile, however late, does not take the live loop for stale.
    clock.now += 1_000
    await svc.reconcile_submissions()
    assert (await repo.get_submission(sub.id)).state is SubmissionState.SENDING  # type: ignore[union-attr]
    task.cancel()  # the process dies here
    with pytest.raises(asyncio.CancelledError):
        await task

    restarted = service(repo, adapter, clock)
    clock.now += 1
    await restarted.reconcile_submissions()
    after = await repo.get_submission(sub.id)
    assert after is not None
    assert after.state is SubmissionState.UNRESOLVED
    [note] = await repo.unsent_notifications()
    assert (note.kind, note.payload) == (NoticeKind.INTERRUPTED, NoticePayload(sub.id))
    report = await restarted.receiver_report(after)
    assert [(r.receiver, r.status) for r in report] == [
        (A1, ReceiverStatus.ORDERED),
        (A2, ReceiverStatus.UNCERTAIN),
        (A3, ReceiverStatus.NOT_ATTEMPTED),
    ]
    assert report[0].order is not None
    assert report[0].order.id == stored.id
    assert sim_counts(sim)["submit_v2"] == 2


async def test_no_price_answer_before_a_receiver_stops_the_rest_and_says_why(
    sim: FeeeSimulator, adapter: FeeeProvider
) -> None:
    class PriceFailsAfterFirst(Recorder):
        async def settled(self, results: Sequence[ReceiverResult]) -> None:
            await super().settled(results)
            self.sim.add_fault("price_v2", "drop")  # the next price request gets a 500

    result = await adapter.submit(request(), PriceFailsAfterFirst(sim))
    assert statuses(result.receivers) == [
        ReceiverStatus.ORDERED,
        ReceiverStatus.NOT_ATTEMPTED,
        ReceiverStatus.NOT_ATTEMPTED,
    ]
    assert sim_counts(sim)["submit_v2"] == 1
    report = [ReceiverReport(r.receiver, r.status, None, r.error) for r in result.receivers]
    lines = receiver_lines("en", "feee", report)
    assert "⏸ Stopped before the next address: Feee.io can't be reached right now." in "\n".join(
        lines
    )


def test_a_quote_for_no_energy_is_unreadable_not_a_crash() -> None:
    with pytest.raises(ValueError, match="resource_value"):
        FeeeQuote.model_validate({"resource_value": 0, "pay_amount": 1, "price_in_sun": 1})


async def test_an_answer_without_an_order_number_is_uncertain_not_ordered(
    sim: FeeeSimulator,
) -> None:
    real = client(sim)

    class NoOrderNo:
        key_id = real.key_id

        async def price(self, **kwargs: object) -> FeeeQuote:
            return await real.price(**kwargs)  # type: ignore[arg-type]

        async def submit(self, **kwargs: object) -> FeeeOrder:
            order = await real.submit(**kwargs)  # type: ignore[arg-type]
            return order.model_copy(update={"order_no": ""})

    provider = FeeeProvider(cast(FeeeClient, NoOrderNo()))
    try:
        result = await provider.submit(request(), Recorder(sim))
    finally:
        await real.aclose()
    assert statuses(result.receivers) == [
        ReceiverStatus.UNCERTAIN,
        ReceiverStatus.NOT_ATTEMPTED,
        ReceiverStatus.NOT_ATTEMPTED,
    ]
    assert sim_counts(sim)["submit_v2"] == 1


async def test_shutting_down_between_receivers_sends_nothing_more(
    repo: Repository, sim: FeeeSimulator, adapter: FeeeProvider
) -> None:
    svc = service(repo, adapter, Clock())
    asked: list[bool] = []

    def keep_going() -> bool:
        asked.append(True)
        # Asked when its turn in the create line comes, then before each receiver:
        # shutdown starts while the first receiver is ordered.
        return len(asked) < 3

    outcome = await svc.submit(
        chat_id=10,
        user_id=20,
        provider=ProviderName.FEEE,
        request=request(),
        keep_going=keep_going,
    )
    assert outcome.status is SubmitStatus.SUBMITTED
    assert [(r.receiver, r.status) for r in outcome.receivers] == [
        (A1, ReceiverStatus.ORDERED),
        (A2, ReceiverStatus.NOT_ATTEMPTED),
        (A3, ReceiverStatus.NOT_ATTEMPTED),
    ]
    stop = outcome.receivers[1].error
    assert stop is not None
    assert stop.code == "SHUTDOWN"
    assert sim_counts(sim)["submit_v2"] == 1
    sub = await repo.get_submission(outcome.submission.id)
    assert sub is not None
    assert sub.state is SubmissionState.SUBMITTED


async def test_an_order_answered_without_a_status_is_stored_without_one(
    sim: FeeeSimulator,
) -> None:
    real = client(sim)

    class NoStatus:
        key_id = real.key_id

        async def price(self, **kwargs: object) -> FeeeQuote:
            return await real.price(**kwargs)  # type: ignore[arg-type]

        async def submit(self, **kwargs: object) -> FeeeOrder:
            order = await real.submit(**kwargs)  # type: ignore[arg-type]
            return order.model_copy(update={"status": None})

    provider = FeeeProvider(cast(FeeeClient, NoStatus()))
    try:
        result = await provider.submit(request(A1), Recorder(sim))
    finally:
        await real.aclose()
    [placed] = [r.order for r in result.receivers if r.order is not None]
    assert placed.state is OrderState.UNKNOWN
    assert placed.raw_status is None  # shown as "?", never as the word "None"
