"""Tracking keeps going whatever one order does: refused chunks are split, odd orders are
counted and reported once, transient failures skip only their chunk, each order is
tracked with its own API key, and an undocumented status is never read as a refund."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.domain import NoticeKind, OrderState, ProviderName
from bot.providers.errors import (
    ProviderAuthError,
    ProviderBusinessError,
    ProviderUnavailable,
)
from bot.providers.port import (
    EnergyProvider,
    OrderRequest,
    StatusUpdate,
    TrackedOrder,
    Unreadable,
)
from bot.services.orders import OrderService
from bot.services.poller import SUSPECTS_PER_CYCLE, Poller
from bot.storage.repository import Order, Repository
from bot.tron_address import address_from_bytes
from tests.support.clock import Clock
from tests.support.fake_provider import FakeProvider
from tests.support.storage import payload_of

RECEIVERS = tuple(address_from_bytes(bytes([i]) * 20) for i in range(1, 4))
REQUEST = OrderRequest(65_000, 900, 70, RECEIVERS, 300)
AFTER = 3
RETRY = 600.0


@dataclass
class PickyProvider(FakeProvider):
    """Refuses (400) any batch naming one of `refuse`; fails transiently for batches
    naming one of `flaky`; raises a non-provider exception for one of `broken`."""

    refuse: set[str] = field(default_factory=set)
    flaky: set[str] = field(default_factory=set)
    broken: set[str] = field(default_factory=set)
    auth_fails: bool = False
    batches: list[list[str]] = field(default_factory=list)

    async def track(self, orders: Sequence[TrackedOrder]) -> list[StatusUpdate | Unreadable]:
        ids = [o.provider_order_id for o in orders]
        self.batches.append(ids)
        if self.auth_fails:
            raise ProviderAuthError("tronsave", "INVALID_API_KEY")
        if self.refuse.intersection(ids):
            raise ProviderBusinessError("tronsave", "INVALID_PARAMS", "Invalid orderId")
        if self.flaky.intersection(ids):
            raise ProviderUnavailable("tronsave", "HTTP_502", outcome_unknown=False)
        if self.broken.intersection(ids):
            raise TypeError("an answer this code did not expect")
        return list(await super().track(orders))


def make(repo: Repository, clock: Clock, fake: EnergyProvider) -> tuple[OrderService, Poller]:
    svc = OrderService(repo, {fake.name: fake}, clock=clock)
    poller = Poller(
        svc, deadline_grace=60, clock=clock, unreadable_after=AFTER, unreadable_retry=RETRY
    )
    return svc, poller


async def submit(svc: OrderService, chat_id: int = 10) -> list[Order]:
    outcome = await svc.submit(
        chat_id=chat_id, user_id=20, provider=ProviderName.TRONSAVE, request=REQUEST
    )
    return outcome.orders


def match_all(fake: FakeProvider) -> None:
    for oid in fake.statuses:
        fake.statuses[oid] = "Matched"


async def states(repo: Repository, orders: Sequence[Order]) -> list[OrderState]:
    return [o.state for o in await repo.orders_by_ids([o.id for o in orders])]


async def kinds(repo: Repository) -> list[NoticeKind | None]:
    return [n.kind for n in await repo.unsent_notifications()]


# -- item 6: isolation ---------------------------------------------------------------


async def test_a_refused_chunk_is_split_until_the_refused_order_stands_alone(
    repo: Repository,
) -> None:
    clock = Clock(2_000_000.0)
    fake = PickyProvider(clock=clock)
    svc, poller = make(repo, clock, fake)
    first = await submit(svc)
    second = await submit(svc)
    bad = first[1]
    fake.refuse.add(bad.provider_order_id)
    match_all(fake)

    report = await poller.run_cycle()

    matched, pending = OrderState.MATCHED, OrderState.PENDING
    assert await states(repo, first) == [matched, pending, matched]
    assert await states(repo, second) == [OrderState.MATCHED] * 3
    assert report.unreadable == 1
    assert report.errors == {}
    assert [bad.provider_order_id] in fake.batches  # found by halving
    assert len(fake.batches) <= 1 + 2 * 3  # log2(6) levels of two halves at most
    watch = (await repo.watches([bad.id]))[bad.id]
    assert (watch.failures, watch.last_error) == (1, "INVALID_PARAMS")


async def test_an_unexpected_exception_is_isolated_like_a_refusal(repo: Repository) -> None:
    clock = Clock(2_000_000.0)
    fake = PickyProvider(clock=clock)
    svc, poller = make(repo, clock, fake)
    orders = await submit(svc)
    fake.broken.add(orders[0].provider_order_id)
    match_all(fake)
    report = await poller.run_cycle()
    assert await states(repo, orders) == [OrderState.PENDING] + [OrderState.MATCHED] * 2
    assert report.unreadable == 1


async def test_an_unreadable_order_is_reported_once_then_asked_about_slowly(
    repo: Repository,
) -> None:
    clock = Clock(2_000_000.0)
    fake = PickyProvider(clock=clock)
    svc, poller = make(repo, clock, fake)
    orders = await submit(svc, chat_id=77)
    bad = orders[2]
    fake.refuse.add(bad.provider_order_id)

    for _ in range(AFTER - 1):
        await poller.run_cycle()
        clock.now += 10
    assert await kinds(repo) == []  # not yet: a passing oddity is not worth a message
    # Once it failed, it is asked about alone and no longer spoils its chunk.
    fake.batches.clear()
    await poller.run_cycle()
    assert [bad.provider_order_id] in fake.batches
    assert all(len(b) == 1 or bad.provider_order_id not in b for b in fake.batches)
    notes = await repo.unsent_notifications()
    assert [(n.chat_id, n.kind, payload_of(n).order_ids) for n in notes] == [
        (77, NoticeKind.UNREADABLE, (bad.id,))
    ]

    # From now on: not asked every cycle, and never reported twice.
    fake.batches.clear()
    for _ in range(5):
        clock.now += 10
        await poller.run_cycle()
    assert not any(bad.provider_order_id in b for b in fake.batches)
    clock.now += RETRY
    await poller.run_cycle()
    assert [bad.provider_order_id] in fake.batches
    assert (await kinds(repo)).count(NoticeKind.UNREADABLE) == 1

    # Readable again: the streak ends, the news is applied, it rejoins the chunks.
    fake.refuse.clear()
    fake.statuses[bad.provider_order_id] = "Matched"
    clock.now += RETRY
    await poller.run_cycle()
    assert (await states(repo, [bad])) == [OrderState.MATCHED]
    assert (await repo.watches([bad.id]))[bad.id].failures == 0


async def test_a_transient_failure_skips_only_its_chunk(repo: Repository) -> None:
    clock = Clock(2_000_000.0)
    fake = PickyProvider(clock=clock, track_batch=3)
    svc, poller = make(repo, clock, fake)
    first = await submit(svc)
    second = await submit(svc)
    fake.flaky.add(first[0].provider_order_id)
    match_all(fake)
    report = await poller.run_cycle()
    assert await states(repo, first) == [OrderState.PENDING] * 3
    assert await states(repo, second) == [OrderState.MATCHED] * 3
    assert report.errors == {"tronsave": "HTTP_502"}
    assert report.skipped == 3
    # A transient failure says nothing about the orders: no failure is counted.
    assert await repo.watches([o.id for o in first]) == {}
    fake.flaky.clear()
    await poller.run_cycle()
    assert await states(repo, first) == [OrderState.MATCHED] * 3


async def test_transient_answers_for_single_orders_are_not_counted(repo: Repository) -> None:
    clock = Clock(2_000_000.0)
    fake = FakeProvider(clock=clock)
    svc, poller = make(repo, clock, fake)
    orders = await submit(svc)
    match_all(fake)
    real_track = fake.track

    async def partly(batch: Sequence[TrackedOrder]) -> list[StatusUpdate | Unreadable]:
        answers: list[StatusUpdate | Unreadable] = list(await real_track(batch[1:]))
        return [Unreadable(batch[0].provider_order_id, "HTTP_429", transient=True), *answers]

    fake.track = partly  # type: ignore[assignment,method-assign]
    report = await poller.run_cycle()
    assert await states(repo, orders) == [OrderState.PENDING] + [OrderState.MATCHED] * 2
    assert (report.skipped, report.unreadable) == (1, 0)
    assert await repo.watches([orders[0].id]) == {}


async def test_a_refused_key_stops_that_provider_for_the_cycle_only(repo: Repository) -> None:
    clock = Clock(2_000_000.0)
    fake = PickyProvider(clock=clock, track_batch=3, auth_fails=True)
    svc, poller = make(repo, clock, fake)
    await submit(svc)
    await submit(svc)
    report = await poller.run_cycle()
    assert report.errors == {"tronsave": "INVALID_API_KEY"}
    assert len(fake.batches) == 1  # the second chunk would be refused alike
    assert await repo.watches([1, 2, 3, 4, 5, 6]) == {}  # the orders are not to blame


# -- item 10: an undocumented status is shown as it is ---------------------------------


async def test_an_undocumented_status_past_the_deadline_is_not_a_refund(
    repo: Repository,
) -> None:
    clock = Clock(2_000_000.0)
    fake = FakeProvider(clock=clock)
    svc, poller = make(repo, clock, fake)
    orders = await submit(svc)
    fake.statuses[orders[0].provider_order_id] = "Reclaiming"
    clock.now += 300 + 61  # past deadline and grace
    await poller.run_cycle()
    first, *rest = await repo.orders_by_ids([o.id for o in orders])
    assert (first.state, first.raw_status) == (OrderState.UNKNOWN, "Reclaiming")
    assert {o.state for o in rest} == {OrderState.EXPIRED}  # documented: refunded
    assert sorted(map(str, await kinds(repo))) == sorted([NoticeKind.STATUS, NoticeKind.EXPIRED])


# -- item 9: each order with its own key -------------------------------------------------


async def test_orders_are_tracked_only_with_the_key_they_were_placed_with(
    repo: Repository,
) -> None:
    clock = Clock(2_000_000.0)
    old_key = FakeProvider(clock=clock, key_id="key-a")
    svc, _ = make(repo, clock, old_key)
    orders = await submit(svc, chat_id=5)
    match_all(old_key)

    # The operator swaps the key: the new one must never be asked about these orders.
    new_key = FakeProvider(clock=clock, key_id="key-b", statuses=dict(old_key.statuses))
    _, poller = make(repo, clock, new_key)
    await poller.run_cycle()
    await poller.run_cycle()
    assert not any(c.startswith("track") for c in new_key.calls)
    assert await states(repo, orders) == [OrderState.PENDING] * 3
    notes = await repo.unsent_notifications()
    assert [(n.chat_id, n.kind, payload_of(n).order_ids) for n in notes] == [
        (5, NoticeKind.KEY_MISSING, tuple(o.id for o in orders))
    ]

    # The key comes back: tracked again with it.
    _, poller = make(repo, clock, old_key)
    await poller.run_cycle()
    assert await states(repo, orders) == [OrderState.MATCHED] * 3


async def test_a_key_removed_again_is_reported_again(repo: Repository) -> None:
    clock = Clock(2_000_000.0)
    key_a = FakeProvider(clock=clock, key_id="key-a")
    svc, poller_a = make(repo, clock, key_a)
    await submit(svc)
    _, poller_b = make(repo, clock, FakeProvider(clock=clock, key_id="key-b"))
    await poller_b.run_cycle()
    await poller_a.run_cycle()  # back
    await poller_b.run_cycle()  # gone again
    assert await kinds(repo) == [NoticeKind.KEY_MISSING, NoticeKind.KEY_MISSING]


async def test_orders_of_a_provider_no_longer_configured_are_reported(
    repo: Repository,
) -> None:
    clock = Clock(2_000_000.0)
    feee = FakeProvider(name=ProviderName.FEEE, clock=clock, key_id="feee-key")
    svc = OrderService(repo, {feee.name: feee}, clock=clock)
    outcome = await svc.submit(chat_id=9, user_id=20, provider=ProviderName.FEEE, request=REQUEST)
    tronsave_only = FakeProvider(clock=clock)
    _, poller = make(repo, clock, tronsave_only)
    await poller.run_cycle()
    notes = await repo.unsent_notifications()
    assert [(n.chat_id, n.kind) for n in notes] == [(9, NoticeKind.KEY_MISSING)]
    assert payload_of(notes[0]).order_ids == tuple(o.id for o in outcome.orders)


async def test_a_long_one_off_notice_is_split(repo: Repository) -> None:
    clock = Clock(2_000_000.0)
    many = OrderRequest(
        65_000, 900, 70, tuple(address_from_bytes(bytes([i, 7]) * 10) for i in range(45)), 300
    )
    key_a = FakeProvider(clock=clock, key_id="key-a")
    svc, _ = make(repo, clock, key_a)
    await svc.submit(chat_id=3, user_id=20, provider=ProviderName.TRONSAVE, request=many)
    _, poller = make(repo, clock, FakeProvider(clock=clock, key_id="key-b"))
    await poller.run_cycle()
    notes = await repo.unsent_notifications()
    assert [len(payload_of(n).order_ids or ()) for n in notes] == [20, 20, 5]


async def test_two_refused_orders_in_one_chunk_are_both_found(repo: Repository) -> None:
    clock = Clock(2_000_000.0)
    fake = PickyProvider(clock=clock)
    svc, poller = make(repo, clock, fake)
    orders = await submit(svc) + await submit(svc)
    fake.refuse.update({orders[0].provider_order_id, orders[5].provider_order_id})
    match_all(fake)
    report = await poller.run_cycle()
    assert report.unreadable == 2
    assert await states(repo, orders[1:5]) == [OrderState.MATCHED] * 4


async def test_a_provider_refusing_everything_costs_a_bounded_number_of_requests(
    repo: Repository,
) -> None:
    clock = Clock(2_000_000.0)
    fake = PickyProvider(clock=clock)
    svc, poller = make(repo, clock, fake)
    many = OrderRequest(
        65_000, 900, 70, tuple(address_from_bytes(bytes([i, 3]) * 10) for i in range(64)), 300
    )
    await svc.submit(chat_id=1, user_id=20, provider=ProviderName.TRONSAVE, request=many)
    fake.refuse.update(fake.statuses)
    report = await poller.run_cycle()
    splits = 2 * 6 + 1  # 2 * log2(64) + 1
    assert len(fake.batches) <= 2 * splits + 1  # not the 127 of a full bisection
    assert report.skipped > 0
    assert 0 < report.unreadable < 64


async def test_a_cycle_stops_between_chunks_once_the_bot_is_stopping(repo: Repository) -> None:
    # A long cycle (many chunks at the provider's pace) must not hold up a shutdown: it
    # checks between requests and leaves the rest for the next run of the bot.
    clock = Clock(1_000_000.0)
    fake = PickyProvider(clock=clock)
    fake.track_batch = 3  # one submission of three receivers per chunk
    svc, poller = make(repo, clock, fake)
    for chat in range(4):
        await submit(svc, chat_id=chat)
    report = await poller.run_cycle(keep_going=lambda: not fake.batches)
    assert len(fake.batches) == 1  # four chunks were due; the stop came after the first
    assert report.errors.get("stopped") == "SHUTDOWN"
    full = await poller.run_cycle()
    assert len(fake.batches) == 1 + 4
    assert "stopped" not in full.errors


async def test_many_refused_orders_are_asked_about_a_few_per_cycle(repo: Repository) -> None:
    """Each order asked about alone costs a request at the provider's pace: a provider
    refusing many of them must not hold up tracking the others for minutes."""
    clock = Clock(1_000_000.0)
    fake = PickyProvider(clock=clock)
    svc, poller = make(repo, clock, fake)
    orders = [o for _ in range(8) for o in await submit(svc)]  # 24 orders, 8 submissions
    bad = orders[:12]
    fake.refuse = {o.provider_order_id for o in bad}
    for order in bad:  # each refused once before: asked about alone from now on
        await repo.record_unreadable(order.id, error="INVALID_PARAMS", next_poll_at=None)
    fake.batches.clear()
    await poller.run_cycle()
    alone = [b for b in fake.batches if len(b) == 1]
    assert len(alone) == SUSPECTS_PER_CYCLE
    healthy = {o.provider_order_id for o in orders[12:]}
    assert healthy <= {i for b in fake.batches for i in b}
    # The others are asked about in the next cycles, none left out.
    for _ in range(3):
        await poller.run_cycle()
    asked = {b[0] for b in fake.batches if len(b) == 1}
    assert asked == {o.provider_order_id for o in bad}
