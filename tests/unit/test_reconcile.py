"""Reconciling lost submissions over several poll cycles: partial finds, the window's end,
searches that cannot finish, and the per-cycle time budget."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import pytest

from bot.domain import NoticeKind, PlacedOrder, ProviderName, SubmissionState
from bot.providers.errors import ProviderUnavailable
from bot.providers.port import OrderRequest, SubmissionQuery
from bot.services.orders import OrderService, SubmitStatus
from bot.services.poller import Poller
from bot.storage.repository import Repository, Submission
from bot.tron_address import address_from_bytes
from tests.support.clock import Clock
from tests.support.fake_provider import FakeProvider
from tests.support.storage import payload_of

A1, A2, A3 = (address_from_bytes(bytes([n]) * 20) for n in (1, 2, 3))
REQUEST = OrderRequest(65_000, 900, 70, (A1, A2, A3), 300)
LOST = ProviderUnavailable("tronsave", "TIMEOUT", outcome_unknown=True)


def _row(pid: str, receiver: str, request_id: str | None = "req-own") -> PlacedOrder:
    return PlacedOrder(pid, receiver, 65_000, 900, raw_status="Pending", request_id=request_id)


async def _lost_submission(
    repo: Repository, clock: Clock
) -> tuple[OrderService, FakeProvider, Submission]:
    fake = FakeProvider(submit_error=LOST)
    svc = OrderService(repo, {fake.name: fake}, clock=clock, recovery_window=600)
    outcome = await svc.submit(
        chat_id=10, user_id=20, provider=ProviderName.TRONSAVE, request=REQUEST
    )
    assert outcome.status is SubmitStatus.UNCERTAIN
    return svc, fake, outcome.submission


async def _state(repo: Repository, sub: Submission) -> SubmissionState:
    fresh = await repo.get_submission(sub.id)
    assert fresh is not None
    return fresh.state


async def test_orders_shown_one_by_one_are_all_adopted_with_a_push_per_batch(
    repo: Repository,
) -> None:
    clock = Clock()
    svc, fake, sub = await _lost_submission(repo, clock)
    fake.history.append(_row("p1", A1))
    clock.now += 10
    await svc.reconcile_submissions()
    assert [o.provider_order_id for o in await repo.orders_of_submission(sub.id)] == ["p1"]
    assert await _state(repo, sub) is SubmissionState.UNCERTAIN  # still looking for two
    fake.history += [_row("p2", A2), _row("p3", A3)]
    clock.now += 10
    await svc.reconcile_submissions()
    await svc.reconcile_submissions()  # nothing new: no second push
    orders = await repo.orders_of_submission(sub.id)
    assert sorted(o.provider_order_id for o in orders) == ["p1", "p2", "p3"]
    assert await _state(repo, sub) is SubmissionState.SUBMITTED
    notes = await repo.unsent_notifications()
    assert [n.kind for n in notes] == [NoticeKind.RECOVERED, NoticeKind.RECOVERED]
    ids = {o.provider_order_id: o.id for o in orders}
    assert payload_of(notes[0]).order_ids == (ids["p1"],)
    assert sorted(payload_of(notes[1]).order_ids or ()) == sorted([ids["p2"], ids["p3"]])


async def test_window_end_with_some_found_names_found_and_missing_receivers(
    repo: Repository,
) -> None:
    clock = Clock()
    svc, fake, sub = await _lost_submission(repo, clock)
    fake.history.append(_row("p1", A1))
    clock.now += 10
    await svc.reconcile_submissions()
    clock.now += 600
    await svc.reconcile_submissions()
    assert await _state(repo, sub) is SubmissionState.SUBMITTED  # its one order is tracked
    kinds = [n.kind for n in await repo.unsent_notifications()]
    assert kinds == [NoticeKind.RECOVERED, NoticeKind.RECOVERY_PARTIAL]
    closing = (await repo.unsent_notifications())[-1]
    assert payload_of(closing).found == (A1,)
    assert payload_of(closing).missing == tuple(sorted([A2, A3]))


async def test_a_search_that_cannot_finish_never_says_nothing_was_created(
    repo: Repository,
) -> None:
    clock = Clock()
    svc, fake, sub = await _lost_submission(repo, clock)
    failing = ProviderUnavailable("tronsave", "HISTORY_INCOMPLETE", outcome_unknown=False)

    async def recover(submission: SubmissionQuery) -> list[PlacedOrder] | None:
        raise failing

    fake.recover = recover  # type: ignore[method-assign]
    clock.now += 10
    await svc.reconcile_submissions()
    assert await repo.unsent_notifications() == []  # window still open: keep trying
    clock.now += 600
    await svc.reconcile_submissions()
    assert await _state(repo, sub) is SubmissionState.UNRESOLVED
    [note] = await repo.unsent_notifications()
    assert note.kind == NoticeKind.RECOVERY_UNKNOWN
    assert payload_of(note).missing == tuple(sorted([A1, A2, A3]))
    await svc.reconcile_submissions()
    assert len(await repo.unsent_notifications()) == 1


async def test_once_an_order_is_known_only_its_requests_orders_are_taken(
    repo: Repository,
) -> None:
    clock = Clock()
    svc, fake, sub = await _lost_submission(repo, clock)
    fake.history.append(_row("p1", A1))
    await svc.reconcile_submissions()
    # Another request's order for A2 is older in the list than this request's own.
    fake.history += [_row("x2", A2, "req-other"), _row("p2", A2), _row("p3", A3)]
    await svc.reconcile_submissions()
    orders = await repo.orders_of_submission(sub.id)
    assert sorted(o.provider_order_id for o in orders) == ["p1", "p2", "p3"]


@dataclass
class SlowProvider(FakeProvider):
    """Each history search takes `search_time` real seconds."""

    search_time: float = 0.25
    searched: list[float] = field(default_factory=list)  # each search's created_at

    async def recover(self, submission: SubmissionQuery) -> list[PlacedOrder] | None:
        self.searched.append(submission.created_at)
        await asyncio.sleep(self.search_time)
        return []


async def test_reconciling_stays_within_its_budget_and_takes_turns(repo: Repository) -> None:
    clock = Clock()
    slow = SlowProvider(submit_error=LOST, search_time=0.25)
    svc = OrderService(
        repo, {slow.name: slow}, clock=clock, recovery_window=600, reconcile_budget=1.0
    )
    subs = []
    for _ in range(8):
        clock.now += 0.001  # the port sees no ids: the creation time tells them apart
        outcome = await svc.submit(
            chat_id=10, user_id=20, provider=ProviderName.TRONSAVE, request=REQUEST
        )
        subs.append(outcome.submission.created_at)
    slow.searched.clear()
    started = time.monotonic()
    await svc.reconcile_submissions()
    took = time.monotonic() - started
    first = list(slow.searched)
    assert took < 1.5  # eight searches would take two seconds
    assert 0 < len(first) < len(subs)
    slow.searched.clear()
    await svc.reconcile_submissions()
    # The ones the first cycle did not reach go first now.
    not_reached = [s for s in subs if s not in first]
    assert slow.searched[: len(not_reached)] == not_reached[: len(slow.searched)]
    assert slow.searched[0] == not_reached[0]


@pytest.mark.parametrize("budget", [0.3])
async def test_a_search_cut_by_the_budget_is_continued_next_cycle(
    repo: Repository, budget: float
) -> None:
    clock = Clock()
    slow = SlowProvider(submit_error=LOST, search_time=budget * 2)
    svc = OrderService(
        repo, {slow.name: slow}, clock=clock, recovery_window=600, reconcile_budget=budget
    )
    outcome = await svc.submit(
        chat_id=10, user_id=20, provider=ProviderName.TRONSAVE, request=REQUEST
    )
    started = time.monotonic()
    await svc.reconcile_submissions()
    assert time.monotonic() - started < budget * 1.8
    assert await _state(repo, outcome.submission) is SubmissionState.UNCERTAIN
    assert await repo.unsent_notifications() == []


@dataclass
class GatedProvider(FakeProvider):
    """The first history search waits until the test opens the gate."""

    gate: asyncio.Event = field(default_factory=asyncio.Event)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    searches: int = 0

    async def recover(self, submission: SubmissionQuery) -> list[PlacedOrder] | None:
        self.searches += 1
        if self.searches == 1:
            self.started.set()
            await self.gate.wait()
        return [_row(f"p{n}", r) for n, r in enumerate(submission.receivers)]


async def test_the_poller_leaves_a_submission_alone_while_its_handler_searches(
    repo: Repository,
) -> None:
    clock = Clock()
    gated = GatedProvider(submit_error=LOST)
    svc = OrderService(repo, {gated.name: gated}, clock=clock, recovery_window=600)
    submitting = asyncio.create_task(
        svc.submit(chat_id=10, user_id=20, provider=ProviderName.TRONSAVE, request=REQUEST)
    )
    await gated.started.wait()
    await svc.reconcile_submissions()  # a poll cycle while the handler is still searching
    assert gated.searches == 1
    gated.gate.set()
    outcome = await submitting
    # The reply names the orders; no push repeats them.
    assert outcome.status is SubmitStatus.RECOVERED
    assert len(outcome.orders) == 3
    assert await repo.unsent_notifications() == []


async def test_a_failure_in_reconciling_does_not_stop_tracking(repo: Repository) -> None:
    clock = Clock()
    fake = FakeProvider(submit_error=LOST)
    svc = OrderService(repo, {fake.name: fake}, clock=clock, recovery_window=600)
    await svc.submit(chat_id=10, user_id=20, provider=ProviderName.TRONSAVE, request=REQUEST)

    async def broken(submission: SubmissionQuery) -> list[PlacedOrder] | None:
        raise RuntimeError("a bug in one search")

    fake.recover = broken  # type: ignore[method-assign]
    fake.submit_error = None
    tracked = await svc.submit(
        chat_id=10, user_id=20, provider=ProviderName.TRONSAVE, request=REQUEST
    )
    for order in tracked.orders:
        fake.statuses[order.provider_order_id] = "Matched"
    report = await Poller(svc, deadline_grace=60, clock=clock).run_cycle()
    assert report.errors.get("reconcile") == "INTERNAL"
    assert report.changed == 3  # the other submission's orders were still tracked
