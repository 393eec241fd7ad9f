"""The after-match cycle: automatic confirmation (once, never before the first transfer,
never twice across a race with the button or a restart), hung and failing orders, the
per-user and per-order switches, and rental-ending notices."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from bot.chain.models import AccountResources, Trc20Transfer
from bot.domain import NoticeKind, OrderState, ProviderName
from bot.providers.errors import ProviderUnavailable
from bot.providers.port import ActionOutcome, OrderRequest, TrackedOrder
from bot.sandbox.base import derive_address
from bot.services.after_match import (
    UNFINISHED_GRACE_SECONDS,
    AfterMatch,
    AfterMatchReport,
    UserSettings,
    delegated_since,
)
from bot.services.orders import ActionReport, ActionStatus, OrderService
from bot.storage.repository import Order, OrderChanges, Repository, Transition
from tests.support.clock import Clock
from tests.support.fake_chain import FakeChain
from tests.support.fake_provider import FakeProvider
from tests.support.storage import payload_of, stored_order

R1, R2, R3 = (derive_address(f"after-match:{i}") for i in range(1, 4))
PAYEE = derive_address("after-match:payee")
CHAT, USER = 10, 20
T0 = 1_000_000.0


@dataclass
class SlowProvider(FakeProvider):
    """Confirm waits for `release` (a call in flight), or never answers (`hang`)."""

    release: asyncio.Event = field(default_factory=asyncio.Event)
    sent: asyncio.Event = field(default_factory=asyncio.Event)
    slow: bool = False
    hang: bool = False
    raise_on_confirm: bool = False
    refuse: bool = False

    async def confirm(self, orders: Sequence[TrackedOrder]) -> list[ActionOutcome]:
        self.calls.append(f"confirm:{len(orders)}")
        self.sent.set()
        if self.refuse:
            return [ActionOutcome(o.provider_order_id, False, "ended") for o in orders]
        if self.raise_on_confirm:
            raise ProviderUnavailable("tronsave", "READ_TIMEOUT", outcome_unknown=True)
        if self.hang:
            await asyncio.Event().wait()
        if self.slow:
            await self.release.wait()
        return [ActionOutcome(o.provider_order_id, True, refund_sun=1_000_000) for o in orders]


class HangingChain(FakeChain):
    """A chain whose calls about `hung` never return, and about `broken` raise a bug."""

    def __init__(self, hung: set[str], broken: set[str] | None = None) -> None:
        super().__init__()
        self.hung = hung
        self.broken = broken or set()

    async def outgoing_usdt_transfers(
        self, address: str, since_ms: int, *, max_pages: int = 5
    ) -> list[Trc20Transfer]:
        if address in self.hung:
            await asyncio.Event().wait()
        if address in self.broken:
            raise RuntimeError("unexpected answer")
        return await super().outgoing_usdt_transfers(address, since_ms, max_pages=max_pages)

    async def account_resources(self, address: str) -> AccountResources:
        return await super().account_resources(address)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


async def matched_orders(
    repo: Repository,
    orders: OrderService,
    clock: Clock,
    *receivers: str,
    amount: int = 65_000,
    auto_confirm: bool | None = None,
    user: int = USER,
) -> list[Order]:
    outcome = await orders.submit(
        chat_id=CHAT,
        user_id=user,
        provider=ProviderName.TRONSAVE,
        request=OrderRequest(amount, 3_600, 70, tuple(receivers), 300),
        auto_confirm=auto_confirm,
    )
    changes = OrderChanges(matched_at=clock.now, ends_at=clock.now + 3_600)
    await repo.apply(
        [Transition(o, OrderState.MATCHED, "Matched", changes) for o in outcome.orders],
        now=clock.now,
    )
    return await repo.orders_by_ids([o.id for o in outcome.orders])


def chain_with(*receivers: str, energy: int = 65_000) -> FakeChain:
    chain = FakeChain()
    for receiver in receivers:
        chain.add(receiver, energy_limit=energy, usdt=10)
    return chain


def after_match(
    repo: Repository,
    orders: OrderService,
    chain: FakeChain | None,
    clock: Clock,
    *,
    ending_lead_seconds: float = 0.0,
    call_timeout: float = 15.0,
    confirm_timeout: float = 60.0,
) -> AfterMatch:
    return AfterMatch(
        repo,
        orders,
        chain,
        ending_lead_seconds=ending_lead_seconds,
        clock=clock,
        call_timeout=call_timeout,
        confirm_timeout=confirm_timeout,
    )


async def notices(repo: Repository, kind: NoticeKind) -> list[tuple[int, ...]]:
    return [
        payload_of(n).order_ids or () for n in await repo.unsent_notifications() if n.kind is kind
    ]


def confirm_calls(provider: FakeProvider) -> int:
    return sum(c.startswith("confirm") for c in provider.calls)


async def until_confirm_sent(provider: SlowProvider) -> None:
    await asyncio.wait_for(provider.sent.wait(), timeout=5)


# --- confirming -----------------------------------------------------------------------


async def test_a_used_rental_is_confirmed_once_and_its_result_pushed(
    repo: Repository, clock: Clock
) -> None:
    provider = SlowProvider()
    orders = OrderService(repo, {provider.name: provider}, clock=clock)
    (order,) = await matched_orders(repo, orders, clock, R1)
    chain = chain_with(R1)
    runner = after_match(repo, orders, chain, clock)
    clock.now += 30
    assert (await runner.run_cycle()).confirmed == 0  # no transfer yet
    chain.send(R1, PAYEE, clock.now - 1, energy=64_285)
    report = await runner.run_cycle()
    assert report.confirmed == 1
    assert confirm_calls(provider) == 1
    stored = await stored_order(repo, order.id)
    assert stored is not None
    assert stored.state is OrderState.CONFIRMED
    assert stored.refund_sun == 1_000_000
    assert await notices(repo, NoticeKind.AUTO_CONFIRMED) == [(order.id,)]
    await runner.run_cycle()
    assert confirm_calls(provider) == 1
    assert await repo.auto_confirm_outcome(order.id) == (True, "done")


async def test_a_rental_covering_another_transfer_is_kept(repo: Repository, clock: Clock) -> None:
    provider = SlowProvider()
    orders = OrderService(repo, {provider.name: provider}, clock=clock)
    await matched_orders(repo, orders, clock, R1, amount=130_000)
    chain = chain_with(R1, energy=130_000)
    runner = after_match(repo, orders, chain, clock)
    clock.now += 30
    chain.send(R1, PAYEE, clock.now - 5, energy=64_285)
    assert (await runner.run_cycle()).checked == 1
    assert confirm_calls(provider) == 0
    chain.send(R1, PAYEE, clock.now - 1, energy=64_285)
    assert (await runner.run_cycle()).confirmed == 1


async def test_a_transfer_between_the_delegation_and_the_poll_counts(
    repo: Repository, clock: Clock
) -> None:
    provider = SlowProvider()
    orders = OrderService(repo, {provider.name: provider}, clock=clock)
    (order,) = await matched_orders(repo, orders, clock, R1)
    # The provider says the rental ends 3,600 s after a delegation 20 s before the poll.
    await repo.update_order_details(order.id, OrderChanges(ends_at=clock.now + 3_580))
    fresh = await stored_order(repo, order.id)
    assert fresh is not None
    assert delegated_since(fresh) == clock.now - 20
    chain = chain_with(R1)
    chain.send(R1, PAYEE, clock.now - 10, energy=64_285)
    clock.now += 30
    assert (await after_match(repo, orders, chain, clock).run_cycle()).confirmed == 1


async def test_without_the_chain_nothing_is_confirmed(repo: Repository, clock: Clock) -> None:
    provider = SlowProvider()
    orders = OrderService(repo, {provider.name: provider}, clock=clock)
    await matched_orders(repo, orders, clock, R1)
    report = await after_match(repo, orders, None, clock).run_cycle()
    assert report.checked == 0
    assert confirm_calls(provider) == 0


async def test_an_unreachable_node_confirms_nothing(repo: Repository, clock: Clock) -> None:
    provider = SlowProvider()
    orders = OrderService(repo, {provider.name: provider}, clock=clock)
    await matched_orders(repo, orders, clock, R1)
    chain = chain_with(R1)
    chain.send(R1, PAYEE, clock.now + 1, energy=64_285)
    chain.down = True
    clock.now += 30
    assert (await after_match(repo, orders, chain, clock).run_cycle()).confirmed == 0
    assert confirm_calls(provider) == 0


async def test_a_hung_call_times_out_and_the_others_are_confirmed(
    repo: Repository, clock: Clock
) -> None:
    provider = SlowProvider()
    orders = OrderService(repo, {provider.name: provider}, clock=clock)
    hung, ok = await matched_orders(repo, orders, clock, R1, R2)
    chain = HangingChain(hung={R1})
    for receiver in (R1, R2):
        chain.add(receiver, energy_limit=65_000)
        chain.send(receiver, PAYEE, clock.now + 1, energy=64_285)
    clock.now += 30
    runner = after_match(repo, orders, chain, clock, call_timeout=0.05)
    report = await asyncio.wait_for(runner.run_cycle(), timeout=5)
    assert report.checked == 2
    assert report.confirmed == 1
    assert await notices(repo, NoticeKind.AUTO_CONFIRMED) == [(ok.id,)]
    stored = await stored_order(repo, hung.id)
    assert stored is not None
    assert stored.state is OrderState.MATCHED


async def test_one_failing_order_does_not_stop_the_others(repo: Repository, clock: Clock) -> None:
    provider = SlowProvider()
    orders = OrderService(repo, {provider.name: provider}, clock=clock)
    broken, failing, ok = await matched_orders(repo, orders, clock, R1, R2, R3)
    chain = HangingChain(hung=set(), broken={R1})
    for receiver in (R1, R2, R3):
        chain.add(receiver, energy_limit=65_000)
        chain.send(receiver, PAYEE, clock.now + 1, energy=64_285)
    chain.failing_addresses.add(R2)  # unreachable for this one only
    clock.now += 30
    report = await after_match(repo, orders, chain, clock).run_cycle()
    assert report.confirmed == 1
    assert await notices(repo, NoticeKind.AUTO_CONFIRMED) == [(ok.id,)]
    for order in (broken, failing):
        stored = await stored_order(repo, order.id)
        assert stored is not None
        assert stored.state is OrderState.MATCHED


@pytest.mark.parametrize("first", ["automatic", "button"])
async def test_a_press_at_the_same_moment_confirms_once(
    repo: Repository, clock: Clock, first: str
) -> None:
    provider = SlowProvider(slow=True)
    orders = OrderService(repo, {provider.name: provider}, clock=clock)
    (order,) = await matched_orders(repo, orders, clock, R1)
    chain = chain_with(R1)
    chain.send(R1, PAYEE, clock.now + 1, energy=64_285)
    clock.now += 30
    runner = after_match(repo, orders, chain, clock)

    auto_task: asyncio.Task[AfterMatchReport] | None = None
    press_task: asyncio.Task[list[ActionReport]] | None = None
    if first == "automatic":
        auto_task = asyncio.create_task(runner.run_cycle())
    else:
        press_task = asyncio.create_task(orders.confirm(chat_id=CHAT, order_ids=[order.id]))
    await until_confirm_sent(provider)  # the first holds the chat's lock, mid-call
    if auto_task is None:
        auto_task = asyncio.create_task(runner.run_cycle())
    else:
        press_task = asyncio.create_task(orders.confirm(chat_id=CHAT, order_ids=[order.id]))
    await asyncio.sleep(0.05)  # the second is under way, waiting for the lock
    provider.release.set()
    assert press_task is not None
    report, (pressed,) = await asyncio.gather(auto_task, press_task)
    assert confirm_calls(provider) == 1
    assert report.confirmed == (1 if first == "automatic" else 0)
    assert pressed.status is (ActionStatus.ALREADY if first == "automatic" else ActionStatus.DONE)
    # Only the automatic confirmation's own result is pushed; a press is answered itself.
    pushed = await notices(repo, NoticeKind.AUTO_CONFIRMED)
    assert pushed == ([(order.id,)] if first == "automatic" else [])
    assert await repo.auto_confirm_outcome(order.id) == (
        True,
        "done" if first == "automatic" else "already",
    )


async def test_a_press_before_the_cycle_leaves_it_nothing_to_send(
    repo: Repository, clock: Clock
) -> None:
    provider = SlowProvider()
    orders = OrderService(repo, {provider.name: provider}, clock=clock)
    (order,) = await matched_orders(repo, orders, clock, R1)
    chain = chain_with(R1)
    chain.send(R1, PAYEE, clock.now + 1, energy=64_285)
    clock.now += 30
    await orders.confirm(chat_id=CHAT, order_ids=[order.id])
    report = await after_match(repo, orders, chain, clock).run_cycle()
    assert report.checked == 0  # confirmed already: no longer a candidate
    assert confirm_calls(provider) == 1


async def stopped_mid_confirm(
    repo: Repository, clock: Clock
) -> tuple[SlowProvider, OrderService, FakeChain, Order]:
    """A cycle confirming a used rental, stopped (the process ends) with the confirm call
    in flight at the provider."""
    provider = SlowProvider(slow=True)
    orders = OrderService(repo, {provider.name: provider}, clock=clock)
    (order,) = await matched_orders(repo, orders, clock, R1)
    chain = chain_with(R1)
    chain.send(R1, PAYEE, clock.now + 1, energy=64_285)
    clock.now += 30
    first = asyncio.create_task(after_match(repo, orders, chain, clock).run_cycle())
    await until_confirm_sent(provider)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    return provider, orders, chain, order


async def test_a_stop_mid_call_is_never_sent_again_after_a_restart(
    repo: Repository, clock: Clock
) -> None:
    provider, orders, chain, order = await stopped_mid_confirm(repo, clock)
    assert await repo.auto_confirm_outcome(order.id) == (True, None)

    provider.release.set()
    restarted = after_match(repo, orders, chain, clock)
    assert (await restarted.run_cycle()).confirmed == 0
    assert confirm_calls(provider) == 1  # not sent again
    # The poller then sees what the provider did: the result is pushed once.
    stored = await stored_order(repo, order.id)
    assert stored is not None
    await repo.apply(
        [Transition(stored, OrderState.CONFIRMED, "Completed", OrderChanges(closed_at=T0))],
        now=clock.now,
    )
    assert (await restarted.run_cycle()).confirmed == 1
    assert (await restarted.run_cycle()).confirmed == 0
    assert await notices(repo, NoticeKind.AUTO_CONFIRMED) == [(order.id,)]
    assert confirm_calls(provider) == 1


async def test_an_unanswered_confirmation_is_told_and_not_retried(
    repo: Repository, clock: Clock
) -> None:
    provider = SlowProvider(raise_on_confirm=True)
    orders = OrderService(repo, {provider.name: provider}, clock=clock)
    (order,) = await matched_orders(repo, orders, clock, R1)
    chain = chain_with(R1)
    chain.send(R1, PAYEE, clock.now + 1, energy=64_285)
    clock.now += 30
    runner = after_match(repo, orders, chain, clock)
    assert (await runner.run_cycle()).failed == 1
    await runner.run_cycle()
    assert confirm_calls(provider) == 1
    assert await notices(repo, NoticeKind.AUTO_CONFIRM_FAILED) == [(order.id,)]
    assert await repo.auto_confirm_outcome(order.id) == (True, "unknown")


async def test_a_hung_confirmation_times_out(repo: Repository, clock: Clock) -> None:
    provider = SlowProvider(hang=True)
    orders = OrderService(repo, {provider.name: provider}, clock=clock)
    (order,) = await matched_orders(repo, orders, clock, R1)
    chain = chain_with(R1)
    chain.send(R1, PAYEE, clock.now + 1, energy=64_285)
    clock.now += 30
    runner = after_match(repo, orders, chain, clock, confirm_timeout=0.05)
    report = await asyncio.wait_for(runner.run_cycle(), timeout=5)
    assert report.failed == 1
    assert await repo.auto_confirm_outcome(order.id) == (True, "unknown")


async def test_a_refusal_is_told_and_not_retried(repo: Repository, clock: Clock) -> None:
    provider = SlowProvider(refuse=True)
    orders = OrderService(repo, {provider.name: provider}, clock=clock)
    (order,) = await matched_orders(repo, orders, clock, R1)
    chain = chain_with(R1)
    chain.send(R1, PAYEE, clock.now + 1, energy=64_285)
    clock.now += 30
    runner = after_match(repo, orders, chain, clock)
    assert (await runner.run_cycle()).failed == 1
    await runner.run_cycle()
    assert confirm_calls(provider) == 1
    assert await notices(repo, NoticeKind.AUTO_CONFIRM_FAILED) == [(order.id,)]


# --- the switches ---------------------------------------------------------------------


async def test_the_users_setting_and_the_orders_own_choice(repo: Repository, clock: Clock) -> None:
    provider = SlowProvider()
    orders = OrderService(repo, {provider.name: provider}, clock=clock)
    settings = UserSettings(repo, clock=clock)
    assert await settings.auto_confirm(USER) is True  # on by default
    assert await settings.toggle_auto_confirm(USER) is False
    follows, forced_on = (
        *(await matched_orders(repo, orders, clock, R1)),
        *(await matched_orders(repo, orders, clock, R2, auto_confirm=True)),
    )
    (forced_off,) = await matched_orders(repo, orders, clock, R3, auto_confirm=False, user=21)
    ids = {r.order.id for r in await repo.auto_confirm_orders(ProviderName.TRONSAVE)}
    assert ids == {forced_on.id}
    await settings.set_auto_confirm(USER, True)
    ids = {r.order.id for r in await repo.auto_confirm_orders(ProviderName.TRONSAVE)}
    assert ids == {follows.id, forced_on.id}
    assert forced_off.id not in ids


async def test_a_provider_that_cannot_confirm_is_not_watched(
    repo: Repository, clock: Clock
) -> None:
    provider = SlowProvider(supports_confirm=False)
    orders = OrderService(repo, {provider.name: provider}, clock=clock)
    await matched_orders(repo, orders, clock, R1)
    chain = chain_with(R1)
    chain.send(R1, PAYEE, clock.now + 1, energy=64_285)
    clock.now += 30
    assert (await after_match(repo, orders, chain, clock).run_cycle()).checked == 0
    assert sum(chain.calls.values()) == 0


# --- rentals ending -------------------------------------------------------------------


async def test_an_ending_rental_is_told_once_per_submission(
    repo: Repository, clock: Clock
) -> None:
    provider = SlowProvider()
    orders = OrderService(repo, {provider.name: provider}, clock=clock)
    first = await matched_orders(repo, orders, clock, R1, R2)
    clock.now += 1_000
    await matched_orders(repo, orders, clock, R3)  # ends 1,000 s later
    runner = after_match(repo, orders, None, clock, ending_lead_seconds=600)
    assert (await runner.run_cycle()).endings == 0
    clock.now = T0 + 3_600 - 300
    assert (await runner.run_cycle()).endings == 2
    assert await notices(repo, NoticeKind.RENTAL_ENDING) == [tuple(o.id for o in first)]
    assert (await runner.run_cycle()).endings == 0
    restarted = after_match(repo, orders, None, clock, ending_lead_seconds=600)
    assert (await restarted.run_cycle()).endings == 0


async def test_no_ending_notice_when_the_lead_time_is_zero(repo: Repository, clock: Clock) -> None:
    provider = SlowProvider()
    orders = OrderService(repo, {provider.name: provider}, clock=clock)
    await matched_orders(repo, orders, clock, R1)
    clock.now = T0 + 3_500
    assert (await after_match(repo, orders, None, clock).run_cycle()).endings == 0
    assert await notices(repo, NoticeKind.RENTAL_ENDING) == []


async def test_a_stop_mid_call_left_active_is_told_as_unknown_after_a_while(
    repo: Repository, clock: Clock
) -> None:
    """The provider never saw the call (or the poller never learns it did): the user
    is told once that the automatic confirmation's outcome is unknown, keeps the
    button, and nothing is sent again."""
    provider, orders, chain, order = await stopped_mid_confirm(repo, clock)

    restarted = after_match(repo, orders, chain, clock)
    assert (await restarted.run_cycle()).failed == 0  # the poller may yet see it
    clock.now += UNFINISHED_GRACE_SECONDS + 1
    assert (await restarted.run_cycle()).failed == 1
    assert (await restarted.run_cycle()).failed == 0
    assert await notices(repo, NoticeKind.AUTO_CONFIRM_FAILED) == [(order.id,)]
    assert await repo.auto_confirm_outcome(order.id) == (True, "unknown")
    assert confirm_calls(provider) == 1
