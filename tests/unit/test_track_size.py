"""The tracking chunk adapts: every open order in one request to begin with, split where
TronSave refuses a size (413, a 400 about the size, no answer to a large body), the size
that worked remembered; submissions stay whole in a chunk; a lost answer among several
chunks skips only its chunk. Against the simulator over HTTP, which refuses requests
above a configurable id count."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.domain import NoticeKind, OrderState, ProviderName
from bot.net.pacing import Pacer
from bot.providers.errors import ProviderBusinessError, ProviderUnavailable
from bot.providers.port import OrderRequest, TrackedOrder
from bot.providers.tronsave.adapter import TronSaveProvider
from bot.providers.tronsave.client import TronSaveClient
from bot.providers.tronsave.tracking import SOFT_SECONDS, UNCAPPED, TrackSize, refuses_size
from bot.sandbox.base import Request, Response
from bot.sandbox.server import Route
from bot.sandbox.tronsave import TronSaveSimulator
from bot.services.orders import OrderService
from bot.services.poller import Poller
from bot.storage.repository import Repository
from bot.tron_address import address_from_bytes
from tests.support.clock import Clock
from tests.support.fake_provider import FakeProvider
from tests.support.storage import payload_of

KEY = "track-size-key"


class RecordingSim(TronSaveSimulator):
    """Notes the size of every tracking request; those numbered in `lose` (from 1) are
    answered too late for the client."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sizes: list[int] = []
        self.lose: set[int] = set()

    def _run_route(self, route: Route, request: Request) -> tuple[Response, float]:
        response, delay = super()._run_route(route, request)
        if route.endpoint == "track":
            body = request.json()
            self.sizes.append(len(body["order_ids"]) if isinstance(body, dict) else 0)
            if len(self.sizes) in self.lose:
                delay = max(delay, 1.5)
        return response, delay


@pytest.fixture
def sim() -> Iterator[RecordingSim]:
    with RecordingSim(api_key=KEY, rate_interval=0.0) as simulator:
        yield simulator


def adapter_for(sim: TronSaveSimulator, *, cap: int | None = None) -> TronSaveProvider:
    client = TronSaveClient(
        api_key=SecretStr(KEY),
        base_url=sim.base_url,
        pacer=Pacer(0.0, hold=True),
        timeout=0.4,
        max_retries=1,
        backoff=lambda attempt: 0.0,
    )
    return TronSaveProvider(client, track_chunk=cap)


@pytest.fixture
async def adapter(sim: RecordingSim) -> AsyncIterator[TronSaveProvider]:
    provider = adapter_for(sim)
    yield provider
    await provider.aclose()


def loaded(sim: TronSaveSimulator, count: int) -> list[TrackedOrder]:
    ids = sim.load_orders(
        [{"receiver": address_from_bytes(bytes([i + 1]) * 20)} for i in range(count)]
    )
    return [TrackedOrder(i, 65_000, OrderState.PENDING, "Pending", time.time()) for i in ids]


async def test_every_open_order_goes_in_one_request_when_the_api_takes_it(
    sim: RecordingSim, adapter: TronSaveProvider
) -> None:
    orders = loaded(sim, 50)
    answers = await adapter.track(orders)
    assert len(answers) == 50
    assert sim.sizes == [50]
    assert adapter.track_batch == UNCAPPED


@pytest.mark.parametrize("refusal", ["413", "400"])
async def test_a_refused_size_is_split_and_the_size_that_worked_is_remembered(
    sim: RecordingSim, adapter: TronSaveProvider, refusal: str
) -> None:
    orders = loaded(sim, 10)
    sim.configure(track_max_ids=4, track_too_many=refusal)
    answers = await adapter.track(orders)
    assert sorted(a.provider_order_id for a in answers) == sorted(
        o.provider_order_id for o in orders
    )
    assert sim.sizes == [10, 5, 2, 2, 2, 2, 2]
    assert adapter.track_batch == 2
    sim.sizes.clear()
    assert len(await adapter.track(orders)) == 10
    assert sim.sizes == [2, 2, 2, 2, 2]  # no refused request any more


async def test_no_answer_to_a_large_body_splits_it_instead_of_resending_it(
    sim: RecordingSim, adapter: TronSaveProvider
) -> None:
    orders = loaded(sim, 10)
    sim.configure(track_max_ids=4, track_too_many="slow", track_slow_seconds=3.0)
    answers = await adapter.track(orders)
    assert len(answers) == 10
    assert sim.sizes == [10, 5, 2, 2, 2, 2, 2]  # neither timed-out size was sent twice
    assert adapter.track_batch == 2


async def test_no_answer_at_a_size_that_worked_is_an_outage_not_a_size(
    sim: RecordingSim, adapter: TronSaveProvider
) -> None:
    orders = loaded(sim, 4)
    await adapter.track(orders)
    sim.configure(track_max_ids=0, track_too_many="slow", track_slow_seconds=3.0)
    sim.sizes.clear()
    with pytest.raises(ProviderUnavailable) as raised:
        await adapter.track(orders)
    assert raised.value.code == "TIMEOUT"
    assert sim.sizes == [4, 4]  # retried as any safe read, not split
    assert adapter.track_batch == UNCAPPED


async def test_a_provider_that_never_answers_costs_a_few_requests_not_log2_n(
    sim: RecordingSim, adapter: TronSaveProvider
) -> None:
    orders = loaded(sim, 64)
    sim.configure(track_max_ids=0, track_too_many="slow", track_slow_seconds=3.0)
    with pytest.raises(ProviderUnavailable):
        await adapter.track(orders)
    assert sim.sizes == [64, 32, 16]


async def test_a_refusal_that_is_not_about_the_size_keeps_the_size(
    sim: RecordingSim, adapter: TronSaveProvider
) -> None:
    orders = loaded(sim, 6)
    sim.configure(track_refuse_ids=[orders[2].provider_order_id])
    with pytest.raises(ProviderBusinessError):
        await adapter.track(orders)
    assert sim.sizes == [6]
    assert adapter.track_batch == UNCAPPED


async def test_the_setting_caps_the_request() -> None:
    with RecordingSim(api_key=KEY, rate_interval=0.0) as sim:
        adapter = adapter_for(sim, cap=4)
        try:
            await adapter.track(loaded(sim, 10))
        finally:
            await adapter.aclose()
        assert sim.sizes == [4, 4, 2]
        assert adapter.track_batch == 4


def test_what_counts_as_a_size_refusal() -> None:
    def error(status: int, code: str, detail: str) -> ProviderBusinessError:
        return ProviderBusinessError("tronsave", code, detail, http_status=status)

    assert refuses_size(error(413, "FST_ERR_CTP_BODY_TOO_LARGE", "Request body is too large"))
    assert refuses_size(
        error(400, "FST_ERR_VALIDATION", "body/order_ids must NOT have more than 100 items")
    )
    assert refuses_size(error(400, "UNKNOWN", "too many order ids"))
    assert not refuses_size(
        error(400, "INVALID_PARAMS", "TSAS:408 INVALID_PARAMS Invalid orderId")
    )
    assert not refuses_size(error(500, "HTTP_500", "payload too large"))


def test_a_size_lowered_by_a_timeout_is_tried_again_later() -> None:
    clock = Clock(100.0)
    size = TrackSize(None, clock=clock)
    size.answered(10)
    assert size.unanswered(100) == 50
    assert size.unanswered(50) == 25
    clock.now += SOFT_SECONDS + 1
    assert size.limit == UNCAPPED
    assert size.refused(40) == 20  # a definite refusal stays
    clock.now += 10 * SOFT_SECONDS
    assert size.limit == 20


# -- through the poller: submissions whole, a lost answer skips only its chunk ------------


def request_for(count: int, first: int) -> OrderRequest:
    receivers = tuple(address_from_bytes((first + i).to_bytes(20, "big")) for i in range(count))
    return OrderRequest(65_000, 900, 70, receivers, 300)


async def placed(svc: OrderService, sizes: list[int]) -> None:
    first = 1
    for chat, count in enumerate(sizes, start=10):
        outcome = await svc.submit(
            chat_id=chat,
            user_id=20,
            provider=ProviderName.TRONSAVE,
            request=request_for(count, first),
        )
        assert len(outcome.orders) == count
        first += count


async def test_submissions_stay_whole_when_the_size_is_learnt_mid_cycle(
    repo: Repository, sim: RecordingSim, adapter: TronSaveProvider
) -> None:
    sim.configure(track_max_ids=4, track_too_many="413")
    svc = OrderService(repo, {ProviderName.TRONSAVE: adapter})
    poller = Poller(svc, deadline_grace=60)
    await placed(svc, [3, 3, 6])
    report = await poller.run_cycle()
    assert report.skipped == 0
    assert sim.sizes == [12, 6, 3, 3, 3, 3]  # refused twice, then all answered
    sim.sizes.clear()
    sim.match()
    report = await poller.run_cycle()
    assert report.changed == 12
    # Chunked at the learnt size (3) without splitting a submission: 3, 3, and the 6
    # alone, asked about 3 at a time and applied together (one push).
    assert report.track_calls == 4
    assert sim.sizes == [3, 3, 3, 3]
    notes = await repo.unsent_notifications()
    assert sorted(len(payload_of(n).order_ids or ()) for n in notes) == [3, 3, 6]
    assert {n.kind for n in notes} == {NoticeKind.MATCHED}


async def test_one_lost_answer_among_several_chunks_skips_only_its_chunk(
    repo: Repository, sim: RecordingSim
) -> None:
    adapter = adapter_for(sim, cap=3)
    try:
        svc = OrderService(repo, {ProviderName.TRONSAVE: adapter})
        poller = Poller(svc, deadline_grace=60)
        await placed(svc, [3, 3, 3])
        sim.match()
        sim.lose = {2, 3}  # the second chunk's request and its retry
        report = await poller.run_cycle()
        assert report.skipped == 3
        assert report.changed == 6
        assert sim.sizes == [3, 3, 3, 3]
        assert len(await repo.unsent_notifications()) == 2
        sim.lose = set()
        report = await poller.run_cycle()  # the next cycle asks about it again
        assert report.changed == 3
        assert len(await repo.unsent_notifications()) == 3
    finally:
        await adapter.aclose()


def test_the_simulator_refuses_above_its_id_count_through_the_control_api() -> None:
    with (
        TronSaveSimulator(api_key=KEY, rate_interval=0) as sim,
        httpx.Client(base_url=sim.base_url, headers={"apikey": KEY}) as client,
    ):
        ids = [o.provider_order_id for o in loaded(sim, 3)]
        answer = client.post("/_sim/orders/track-limit", json={"max_ids": 2, "refusal": "400"})
        assert answer.status_code == 200, answer.text
        track = "/v0/fast-charge-order-tracking"
        refused = client.post(track, json={"order_ids": ids})
        assert refused.status_code == 400
        assert "must NOT have more than 2 items" in refused.json()["message"]
        assert client.post(track, json={"order_ids": ids[:2]}).status_code == 200
        client.post("/_sim/orders/track-limit", json={"max_ids": 2})
        assert client.post(track, json={"order_ids": ids}).status_code == 413
        client.post("/_sim/orders/track-limit", json={"max_ids": None})
        assert client.post(track, json={"order_ids": ids}).status_code == 200
        bad = client.post("/_sim/orders/track-limit", json={"max_ids": 2, "refusal": "418"})
        assert bad.status_code == 400


async def test_a_large_answer_is_committed_in_whole_submissions_releasing_pushes_early(
    repo: Repository,
) -> None:
    clock = Clock(2_000_000.0)
    fake = FakeProvider(clock=clock)
    svc = OrderService(repo, {fake.name: fake}, clock=clock)
    released: list[int] = []
    poller = Poller(svc, deadline_grace=60, clock=clock)
    await placed(svc, [150, 150, 150])
    for oid in fake.statuses:
        fake.statuses[oid] = "Matched"
    poller.on_notices = lambda: released.append(1)
    report = await poller.run_cycle()
    assert report.changed == 450
    assert fake.calls.count("track:450") == 1  # one request, three transactions
    assert len(released) == 3  # the dispatcher is woken after each
    notes = await repo.unsent_notifications()
    assert sorted(len(payload_of(n).order_ids or ()) for n in notes) == [150, 150, 150]


async def test_a_stop_between_the_requests_of_one_large_submission_applies_none_of_it(
    repo: Repository,
) -> None:
    # One submission of 6 at 2 per request: the stop comes after the first request.
    clock = Clock(2_000_000.0)
    fake = FakeProvider(clock=clock, track_batch=2)
    svc = OrderService(repo, {fake.name: fake}, clock=clock)
    poller = Poller(svc, deadline_grace=60, clock=clock)
    await placed(svc, [6])
    for oid in fake.statuses:
        fake.statuses[oid] = "Matched"
    # Asked before the provider, the chunk, its 2nd request, and its 3rd: stop there.
    asked = iter([True, True, True, False])
    report = await poller.run_cycle(keep_going=lambda: next(asked, False))
    assert [c for c in fake.calls if c.startswith("track")] == ["track:2", "track:2"]
    assert report.errors["stopped"] == "SHUTDOWN"
    assert report.changed == 0  # not half a push: asked again on the next run
    assert await repo.unsent_notifications() == []
    report = await poller.run_cycle()
    assert report.changed == 6
    assert len(await repo.unsent_notifications()) == 1
