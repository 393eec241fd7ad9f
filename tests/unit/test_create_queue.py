"""The create line: one per key, in press order, each waiter's place and expected wait;
spend limits still checked before any create call."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from bot.domain import ProviderName
from bot.providers.port import Balance, OrderRequest, SubmitProgress, SubmitResult
from bot.services.orders import (
    OrderService,
    Place,
    SpendLimitExceeded,
    SpendLimits,
    SubmitNotSent,
    SubmitStatus,
)
from bot.services.orders.queue import CreateQueue
from bot.storage.repository import Repository
from bot.tron_address import address_from_bytes
from tests.support.fake_provider import FakeProvider

A1 = address_from_bytes(b"\x51" * 20)
REQUEST = OrderRequest(65_000, 900, 70, (A1,), 300)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_places_and_waits_follow_the_press_order() -> None:
    clock = Clock()
    queue = CreateQueue(clock=clock)
    fake = FakeProvider(submit_pace=2.0)
    first, second, third = (queue.join(fake, REQUEST) for _ in range(3))
    assert first.place() is None  # nothing ahead: it goes at once
    assert second.place() == Place(2, 2.0)
    assert third.place() == Place(3, 4.0)


async def test_turns_come_one_at_a_time_in_ticket_order() -> None:
    clock = Clock()
    queue = CreateQueue(clock=clock)
    fake = FakeProvider(submit_pace=2.0)
    tickets = [queue.join(fake, REQUEST) for _ in range(4)]
    order: list[int] = []

    async def go(i: int) -> None:
        await queue.wait_turn(tickets[i])
        order.append(i)
        await asyncio.sleep(0.01)
        queue.done(tickets[i])

    # Started in another order than they joined: they still go in join order.
    await asyncio.gather(*(go(i) for i in (3, 1, 2, 0)))
    assert order == [0, 1, 2, 3]


async def test_the_wait_counts_what_is_left_of_the_one_sending() -> None:
    clock = Clock()
    queue = CreateQueue(clock=clock)
    fake = FakeProvider(submit_pace=2.0)
    sending, waiting = queue.join(fake, REQUEST), queue.join(fake, REQUEST)
    await queue.wait_turn(sending)
    clock.now += 0.5
    assert waiting.place() == Place(2, 1.5)  # one ahead of it: the one sending
    clock.now += 5
    assert waiting.place() == Place(2, 0.0)
    queue.done(sending)
    assert waiting.place() is None


async def test_leaving_moves_the_line_and_wakes_who_follows_it() -> None:
    queue = CreateQueue(clock=Clock())
    fake = FakeProvider()
    first, second, third = (queue.join(fake, REQUEST) for _ in range(3))
    version = third.version
    moved = asyncio.ensure_future(third.moved(version))
    queue.done(second)  # gave up before its turn
    await asyncio.wait_for(moved, 1)
    assert third.place() == Place(2, fake.submit_pace)
    queue.done(second)  # idempotent
    queue.done(first)
    assert third.place() is None


def test_keys_have_lines_of_their_own() -> None:
    queue = CreateQueue(clock=Clock())
    one, other = FakeProvider(key_id="one"), FakeProvider(key_id="two")
    queue.join(one, REQUEST)
    assert queue.join(other, REQUEST).place() is None
    assert queue.join(one, REQUEST).place() == Place(2, one.submit_pace)


@dataclass
class SlowProvider(FakeProvider):
    """Creates that take a while, noting which chat's went out when."""

    sent: list[int] = field(default_factory=list)
    running: int = 0
    most_at_once: int = 0

    async def submit(
        self, request: OrderRequest, progress: SubmitProgress | None = None
    ) -> SubmitResult:
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        self.sent.append(request.amount)  # the amount names the submission here
        await asyncio.sleep(0.02)
        self.running -= 1
        return await super().submit(request, progress)


@pytest.fixture
def service(repo: Repository) -> tuple[OrderService, SlowProvider]:
    fake = SlowProvider()
    return OrderService(repo, {fake.name: fake}), fake


async def test_submissions_go_out_in_press_order_one_at_a_time(
    service: tuple[OrderService, SlowProvider],
) -> None:
    svc, fake = service
    requests = [OrderRequest(40_000 + i, 900, 70, (A1,), 300) for i in range(6)]
    tickets = [svc.join_create_line(ProviderName.TRONSAVE, r) for r in requests]

    async def press(i: int) -> SubmitStatus:
        await asyncio.sleep(0.001 * (6 - i))  # the handlers get here in reverse order
        outcome = await svc.submit(
            chat_id=i,
            user_id=i,
            provider=ProviderName.TRONSAVE,
            request=requests[i],
            ticket=tickets[i],
        )
        return outcome.status

    statuses = await asyncio.gather(*(press(i) for i in range(6)))
    assert statuses == [SubmitStatus.SUBMITTED] * 6
    assert fake.sent == [r.amount for r in requests]
    assert fake.most_at_once == 1


async def test_a_spend_limit_refuses_before_the_line_and_before_any_create(
    repo: Repository,
) -> None:
    fake = SlowProvider()
    svc = OrderService(repo, {fake.name: fake}, limits=SpendLimits(max_order_sun=1_000_000))
    ahead = svc.join_create_line(ProviderName.TRONSAVE, REQUEST)  # holds the line
    with pytest.raises(SpendLimitExceeded):
        await asyncio.wait_for(
            svc.submit(chat_id=1, user_id=1, provider=ProviderName.TRONSAVE, request=REQUEST),
            1,
        )
    svc.leave_create_line(ahead)
    assert fake.sent == []
    assert await repo.get_submission(1) is None  # nothing recorded


async def test_shutdown_while_waiting_sends_and_records_nothing(repo: Repository) -> None:
    fake = SlowProvider()
    svc = OrderService(repo, {fake.name: fake})
    with pytest.raises(SubmitNotSent):
        await svc.submit(
            chat_id=1,
            user_id=1,
            provider=ProviderName.TRONSAVE,
            request=REQUEST,
            keep_going=lambda: False,
        )
    assert fake.sent == []
    assert await repo.get_submission(1) is None  # nothing recorded
    # The line is free again.
    assert svc.join_create_line(ProviderName.TRONSAVE, REQUEST).place() is None


async def test_an_order_drops_the_kept_balance_of_its_key(repo: Repository) -> None:
    balances: list[int] = []

    @dataclass
    class Counting(FakeProvider):
        async def balance(self) -> Balance:
            balances.append(1)
            return await super().balance()

    fake = Counting()
    svc = OrderService(repo, {fake.name: fake})
    await svc.quotes(REQUEST)
    await svc.quotes(REQUEST)  # the kept balance
    assert len(balances) == 1
    await svc.submit(chat_id=1, user_id=1, provider=ProviderName.TRONSAVE, request=REQUEST)
    await svc.quotes(REQUEST)
    assert len(balances) == 2
