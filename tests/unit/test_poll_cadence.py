"""Tracking at the provider's pace, not on a timer: while an order is open the next cycle
starts at once and its request goes out as soon as the provider's pacing allows;
POLL_INTERVAL_SECONDS only spaces idle checks (and cycles whose requests all failed)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from bot.net.pacing import Pacer
from bot.providers.errors import ProviderUnavailable
from bot.providers.port import StatusUpdate, TrackedOrder, Unreadable
from bot.services.poller import CycleReport, poll_delay
from bot.storage.repository import Repository
from bot.telegram import poll_job
from bot.telegram.context import Context
from tests.support.clock import Clock
from tests.support.fake_provider import FakeProvider
from tests.unit.test_heartbeat import FakeContext, FakeJob, FakeJobQueue, FakeRuntime
from tests.unit.test_poller import setup, submit

PACE = 2.0  # TronSave: one tracking request per 2 s
IDLE = 10.0


@dataclass
class PacedProvider(FakeProvider):
    """A fake whose tracking requests go through the client's pacer, on the fake clock."""

    pacer: Pacer | None = None
    sent_at: list[float] = field(default_factory=list)
    down: bool = False

    async def track(self, orders: Sequence[TrackedOrder]) -> list[StatusUpdate | Unreadable]:
        assert self.pacer is not None
        async with self.pacer.slot("track"):
            self.sent_at.append(self.clock())
            if self.down:
                raise ProviderUnavailable("tronsave", "TIMEOUT", outcome_unknown=False)
            return await super().track(orders)


def paced(clock: Clock) -> PacedProvider:
    async def sleep(seconds: float) -> None:
        clock.now += seconds  # nothing really waits

    pacer = Pacer(PACE, hold=True, clock=clock, sleep=sleep)
    return PacedProvider(clock=clock, pacer=pacer)


async def test_while_orders_are_open_requests_follow_the_provider_pace(repo: Repository) -> None:
    clock = Clock(2_000_000.0)
    fake = paced(clock)
    svc, poller, _ = setup(repo, clock, fake)
    await submit(svc)
    start = clock.now
    for _ in range(5):
        report = await poller.run_cycle()
        clock.now += poll_delay(report, idle=IDLE, busy=0.0)
    gaps = [b - a for a, b in itertools.pairwise(fake.sent_at)]
    assert fake.sent_at[0] == start
    assert gaps == [PACE] * 4  # not POLL_INTERVAL_SECONDS apart


async def test_once_nothing_is_pending_cycles_wait_the_idle_interval(repo: Repository) -> None:
    clock = Clock(2_000_000.0)
    fake = paced(clock)
    svc, poller, _ = setup(repo, clock, fake)
    await submit(svc)
    for oid in fake.statuses:
        fake.statuses[oid] = "Matched"
    starts: list[float] = []
    for _ in range(4):
        starts.append(clock.now)
        report = await poller.run_cycle()
        clock.now += poll_delay(report, idle=IDLE, busy=0.0)
    assert len(fake.sent_at) == 1  # the match; the running rentals need no request
    assert [b - a for a, b in itertools.pairwise(starts[1:])] == [IDLE, IDLE]


async def test_a_cycle_whose_requests_all_failed_waits_the_idle_interval(
    repo: Repository,
) -> None:
    clock = Clock(2_000_000.0)
    fake = paced(clock)
    svc, poller, _ = setup(repo, clock, fake)
    await submit(svc)
    fake.down = True
    report = await poller.run_cycle()
    assert report.skipped == report.tracked == 3
    assert poll_delay(report, idle=IDLE, busy=0.0) == IDLE


def test_the_delay_is_busy_only_when_some_order_was_asked_about_and_answered() -> None:
    assert poll_delay(CycleReport(), idle=IDLE, busy=0.0) == IDLE
    assert poll_delay(CycleReport(tracked=5), idle=IDLE, busy=0.0) == 0.0
    assert poll_delay(CycleReport(tracked=5, skipped=2), idle=IDLE, busy=1.5) == 1.5
    assert poll_delay(CycleReport(tracked=5, skipped=5), idle=IDLE, busy=0.0) == IDLE


async def test_the_poll_job_schedules_the_next_cycle_at_once_while_busy(tmp_path: Path) -> None:
    class BusyPoller:
        async def run_cycle(self, **_: object) -> CycleReport:
            return CycleReport(tracked=3, track_calls=1)

    schedule = poll_job.PollSchedule(interval=IDLE, heartbeat=tmp_path / "hb", busy_interval=0.0)
    ctx = FakeContext(FakeRuntime(BusyPoller()), FakeJob(schedule), FakeJobQueue())
    await poll_job.poll_orders(cast(Context, ctx))
    assert ctx.job_queue.scheduled == [(0.0, schedule)]
