"""The poll cycle: transitions, grouped notices, deadlines, unknown statuses, no repeats."""

from __future__ import annotations

import pytest

from bot.domain import NoticeKind, OrderState, ProviderName
from bot.providers.errors import ProviderUnavailable
from bot.providers.port import OrderRequest, StatusUpdate
from bot.services.orders import OrderService, tracked
from bot.services.poller import Poller
from bot.storage.repository import Repository
from bot.tron_address import address_from_bytes
from tests.support.clock import Clock
from tests.support.fake_provider import FakeProvider
from tests.support.storage import payload_of

RECEIVERS = tuple(address_from_bytes(bytes([i]) * 20) for i in range(1, 4))
REQUEST = OrderRequest(65_000, 900, 70, RECEIVERS, 300)


def setup(
    repo: Repository, clock: Clock, fake: FakeProvider | None = None
) -> tuple[OrderService, Poller, FakeProvider]:
    fake = fake or FakeProvider(clock=clock)
    svc = OrderService(repo, {fake.name: fake}, clock=clock)
    return svc, Poller(svc, deadline_grace=60, clock=clock), fake


async def submit(svc: OrderService, chat_id: int = 10) -> list[int]:
    outcome = await svc.submit(
        chat_id=chat_id, user_id=20, provider=ProviderName.TRONSAVE, request=REQUEST
    )
    return [o.id for o in outcome.orders]


async def test_matches_in_one_cycle_make_one_push_per_submission(repo: Repository) -> None:
    clock = Clock(2_000_000.0)
    svc, poller, fake = setup(repo, clock)
    await submit(svc)
    for oid in fake.statuses:
        fake.statuses[oid] = "Matched"
    report = await poller.run_cycle()
    assert report.changed == 3
    notes = await repo.unsent_notifications()
    assert len(notes) == 1
    assert notes[0].kind == NoticeKind.MATCHED
    assert len(payload_of(notes[0]).order_ids or ()) == 3


async def test_overlapping_or_repeated_cycles_never_repeat_a_push(repo: Repository) -> None:
    clock = Clock(2_000_000.0)
    svc, poller, fake = setup(repo, clock)
    await submit(svc)
    stale = await repo.open_orders(ProviderName.TRONSAVE)
    for oid in fake.statuses:
        fake.statuses[oid] = "Matched"
    await poller.run_cycle()
    await poller.run_cycle()
    # A second poller acting on what it read before the first one wrote:
    other = Poller(svc, deadline_grace=60, clock=clock)
    updates = await fake.track([tracked(o) for o in stale])
    by_id = {u.provider_order_id: u for u in updates if isinstance(u, StatusUpdate)}
    transitions = [
        t
        for o in stale
        if (t := other._tracked_transition(o, by_id[o.provider_order_id], clock.now))
    ]
    assert transitions
    await other._commit(transitions, report=type(await poller.run_cycle())())
    assert len(await repo.unsent_notifications()) == 1


async def test_matched_orders_are_not_tracked_and_complete_when_the_rental_ends(
    repo: Repository,
) -> None:
    clock = Clock(2_000_000.0)
    svc, poller, fake = setup(repo, clock)
    ids = await submit(svc)
    for oid in fake.statuses:
        fake.statuses[oid] = "Completed"  # the docs' other word for matched
    await poller.run_cycle()
    assert {o.state for o in await repo.orders_by_ids(ids)} == {OrderState.MATCHED}
    fake.calls.clear()
    clock.now += 899
    await poller.run_cycle()
    assert not any(c.startswith("track") for c in fake.calls)  # nothing left to ask about
    clock.now += 2
    await poller.run_cycle()
    assert {o.state for o in await repo.orders_by_ids(ids)} == {OrderState.COMPLETED}
    assert await repo.open_orders(ProviderName.TRONSAVE) == []
    kinds = [n.kind for n in await repo.unsent_notifications()]
    assert kinds == [NoticeKind.MATCHED, NoticeKind.COMPLETED]


async def test_pending_past_deadline_is_reported_expired(repo: Repository) -> None:
    clock = Clock(2_000_000.0)
    svc, poller, _fake = setup(repo, clock)
    ids = await submit(svc)
    clock.now += 300 + 59
    await poller.run_cycle()
    assert {o.state for o in await repo.orders_by_ids(ids)} == {OrderState.PENDING}
    clock.now += 2
    await poller.run_cycle()
    assert {o.state for o in await repo.orders_by_ids(ids)} == {OrderState.EXPIRED}
    assert [n.kind for n in await repo.unsent_notifications()] == [NoticeKind.EXPIRED]


async def test_undocumented_status_is_kept_shown_and_still_tracked(
    repo: Repository, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock(2_000_000.0)
    svc, poller, fake = setup(repo, clock)
    ids = await submit(svc)
    first = fake.history[0].provider_order_id
    fake.statuses[first] = "Reclaiming"
    await poller.run_cycle()
    order = (await repo.orders_by_ids(ids[:1]))[0]
    assert (order.state, order.raw_status) == (OrderState.UNKNOWN, "Reclaiming")
    assert "Reclaiming" in caplog.text
    notes = await repo.unsent_notifications()
    assert [(n.kind, payload_of(n).order_ids) for n in notes] == [
        (NoticeKind.STATUS, tuple(ids[:1]))
    ]
    # Still tracked, and a later documented status is applied.
    fake.statuses[first] = "Matched"
    await poller.run_cycle()
    assert (await repo.orders_by_ids(ids[:1]))[0].state is OrderState.MATCHED
    # The same unknown status seen again is not announced again.
    await poller.run_cycle()
    assert len(await repo.unsent_notifications()) == 2


async def test_a_provider_outage_does_not_stop_the_cycle(repo: Repository) -> None:
    clock = Clock(2_000_000.0)
    svc, poller, fake = setup(repo, clock)
    await submit(svc)

    async def broken(orders: object) -> list[object]:
        raise ProviderUnavailable("tronsave", "HTTP_502", outcome_unknown=False)

    fake.track = broken  # type: ignore[assignment,method-assign]
    report = await poller.run_cycle()
    assert report.errors == {"tronsave": "HTTP_502"}


async def test_orders_of_different_chats_get_separate_pushes(repo: Repository) -> None:
    clock = Clock(2_000_000.0)
    svc, poller, fake = setup(repo, clock)
    await submit(svc, chat_id=1)
    await submit(svc, chat_id=2)
    for oid in fake.statuses:
        fake.statuses[oid] = "Matched"
    await poller.run_cycle()
    assert sorted(n.chat_id for n in await repo.unsent_notifications()) == [1, 2]
