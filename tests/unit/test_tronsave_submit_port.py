"""TronSave behind the per-receiver submit port: one create call, every id reported at
once, stored by the order service before it answers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from pydantic import SecretStr

from bot.domain import ProviderName, SubmissionState
from bot.net.pacing import Pacer
from bot.providers.port import OrderRequest, ReceiverResult, ReceiverStatus
from bot.providers.tronsave.adapter import TronSaveProvider
from bot.providers.tronsave.client import TronSaveClient
from bot.sandbox.tronsave import TronSaveSimulator
from bot.services.orders import OrderService, SubmitStatus
from bot.storage.repository import Repository
from bot.tron_address import address_from_bytes
from tests.support.simulators import sim_counts

KEY = "ts-port-key"
A1, A2 = address_from_bytes(b"\x81" * 20), address_from_bytes(b"\x82" * 20)


@pytest.fixture
def sim() -> Iterator[TronSaveSimulator]:
    with TronSaveSimulator(api_key=KEY, rate_interval=0.0) as s:
        yield s


def provider(sim: TronSaveSimulator) -> TronSaveProvider:
    client = TronSaveClient(
        api_key=SecretStr(KEY), base_url=sim.base_url, pacer=Pacer(0.0, hold=True)
    )
    return TronSaveProvider(client, track_chunk=50)


async def test_one_create_call_reports_every_receiver_at_once(sim: TronSaveSimulator) -> None:
    adapter = provider(sim)
    calls: list[list[ReceiverResult]] = []

    class Progress:
        async def sending(self, positions: Sequence[int]) -> None:
            raise AssertionError("a single create call needs no per-receiver marks")

        async def settled(self, results: Sequence[ReceiverResult]) -> None:
            calls.append(list(results))

    try:
        result = await adapter.submit(OrderRequest(65_000, 900, 70, (A1, A2), 300), Progress())
    finally:
        await adapter.aclose()
    [batch] = calls
    assert [(r.position, r.receiver, r.status) for r in batch] == [
        (0, A1, ReceiverStatus.ORDERED),
        (1, A2, ReceiverStatus.ORDERED),
    ]
    assert batch == result.receivers
    assert len({r.order.provider_order_id for r in batch if r.order}) == 2


async def test_the_service_stores_them_and_marks_the_submission_submitted(
    repo: Repository, sim: TronSaveSimulator
) -> None:
    adapter = provider(sim)
    svc = OrderService(repo, {ProviderName.TRONSAVE: adapter})
    try:
        outcome = await svc.submit(
            chat_id=1,
            user_id=2,
            provider=ProviderName.TRONSAVE,
            request=OrderRequest(65_000, 900, 70, (A1, A2), 300),
        )
    finally:
        await adapter.aclose()
    assert outcome.status is SubmitStatus.SUBMITTED
    assert outcome.all_ordered
    assert [o.receiver for o in outcome.orders] == [A1, A2]
    assert [r.order for r in outcome.receivers] == outcome.orders
    sub = await repo.get_submission(outcome.submission.id)
    assert sub is not None
    assert sub.state is SubmissionState.SUBMITTED
    assert sim_counts(sim)["create"] == 1
