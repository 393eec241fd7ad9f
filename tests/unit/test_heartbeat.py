"""The heartbeat means "a poll cycle finished": written after a cycle with its length,
not after a failed one, and a failed write never stops polling."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest

from bot.healthcheck import (
    check,
    last_cycle_seconds,
    read_heartbeat_record,
    touch_heartbeat,
    write_heartbeat,
)
from bot.services.poller import CycleReport
from bot.telegram import poll_job
from bot.telegram.context import Context


@dataclass
class FakeRuntime:
    poller: Any
    outbox_ready: Any = None
    operator: Any = None  # no OPERATOR_CHAT_ID

    def __post_init__(self) -> None:
        self.outbox_ready = FakeEvent()


@dataclass
class FakeEvent:
    set_calls: int = 0

    def set(self) -> None:
        self.set_calls += 1


@dataclass
class FakeJob:
    data: object


@dataclass
class FakeJobQueue:
    scheduled: list[tuple[float, object]] = field(default_factory=list)

    def run_once(self, callback: object, *, when: float, name: str, data: object) -> None:
        self.scheduled.append((when, data))


@dataclass
class FakeApplication:
    running: bool = True


@dataclass
class FakeContext:
    services: FakeRuntime
    job: FakeJob
    job_queue: FakeJobQueue
    application: FakeApplication = field(default_factory=FakeApplication)


class SlowPoller:
    def __init__(self, seconds: float = 0.0, fail: bool = False) -> None:
        self.seconds = seconds
        self.fail = fail

    async def run_cycle(self, *, keep_going: Callable[[], bool] = lambda: True) -> CycleReport:
        if self.fail:
            raise RuntimeError("a bug deep inside the cycle")
        await asyncio.sleep(self.seconds)
        return CycleReport()


def context_for(poller: object, heartbeat: Path) -> tuple[FakeContext, poll_job.PollSchedule]:
    schedule = poll_job.PollSchedule(interval=10.0, heartbeat=heartbeat)
    ctx = FakeContext(FakeRuntime(poller), FakeJob(schedule), FakeJobQueue())
    return ctx, schedule


async def test_a_finished_cycle_writes_the_heartbeat_with_its_length(tmp_path: Path) -> None:
    heartbeat = tmp_path / "heartbeat"
    ctx, schedule = context_for(SlowPoller(0.05), heartbeat)
    await poll_job.poll_orders(cast(Context, ctx))
    stamp, cycle = read_heartbeat_record(heartbeat)
    assert abs(stamp - time.time()) < 5
    assert cycle is not None
    assert cycle >= 0.05
    assert ctx.job_queue.scheduled == [(10.0, schedule)]


async def test_a_failed_cycle_writes_no_heartbeat_but_the_next_one_is_scheduled(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    heartbeat = tmp_path / "heartbeat"
    ctx, schedule = context_for(SlowPoller(fail=True), heartbeat)
    await poll_job.poll_orders(cast(Context, ctx))
    assert not heartbeat.exists()
    assert ctx.job_queue.scheduled == [(10.0, schedule)]
    assert "poll cycle failed" in caplog.text


async def test_a_failed_heartbeat_write_never_stops_polling(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "full"
    blocker.write_text("a file where the heartbeat's directory should be")
    heartbeat = blocker / "heartbeat"  # every write fails with an OSError
    ctx, schedule = context_for(SlowPoller(), heartbeat)
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            await poll_job.poll_orders(cast(Context, ctx))
    assert ctx.job_queue.scheduled == [(10.0, schedule)] * 3
    assert caplog.text.count("could not write the heartbeat") == 1  # once per streak


def test_write_heartbeat_reports_failure_and_recovery(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "dir"
    blocker.write_text("x")
    with caplog.at_level(logging.INFO):
        assert write_heartbeat(blocker / "heartbeat") is False
        blocker.unlink()
        assert write_heartbeat(blocker / "heartbeat") is True
    assert "written again" in caplog.text


@pytest.mark.parametrize(
    ("age", "last_cycle", "healthy"),
    [
        (80, None, True),  # 3 * 10 + 60 = 90 s
        (100, None, False),
        (100, 5.0, False),  # short cycles: the interval bound
        (500, 300.0, True),  # 2 * 300 + 10 + 60 = 670 s
        (700, 300.0, False),
    ],
)
def test_the_allowed_age_follows_the_last_cycle_when_cycles_are_long(
    tmp_path: Path, age: float, last_cycle: float | None, healthy: bool
) -> None:
    path = tmp_path / "heartbeat"
    now = 2_000_000.0
    touch_heartbeat(path, now=now - age, cycle_seconds=last_cycle)
    ok, reason = check({"HEARTBEAT_PATH": str(path), "POLL_INTERVAL_SECONDS": "10"}, now=now)
    assert ok is healthy, reason


@pytest.mark.parametrize("tail", ["abc", "-4", "nan"])
def test_a_senseless_cycle_length_falls_back_to_the_interval_bound(
    tmp_path: Path, tail: str
) -> None:
    path = tmp_path / "heartbeat"
    path.write_text(f"{2_000_000.0 - 100} {tail}\n", encoding="ascii")
    ok, _ = check({"HEARTBEAT_PATH": str(path)}, now=2_000_000.0)
    assert not ok


def test_start_up_carries_the_last_cycle_length_over(tmp_path: Path) -> None:
    path = tmp_path / "heartbeat"
    assert last_cycle_seconds(path) is None
    touch_heartbeat(path, now=1_000.0, cycle_seconds=250.0)
    assert last_cycle_seconds(path) == 250.0
    touch_heartbeat(path, now=1_000.0)
    assert last_cycle_seconds(path) is None
