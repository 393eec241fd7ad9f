"""The after-match job: one record per cycle, and the next cycle scheduled whatever
happened in this one (a failed cycle never stops automatic confirmation for good)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from bot.services.after_match import AfterMatchReport
from bot.telegram import auto_confirm_job as jobs
from bot.telegram.context import Context
from tests.unit.test_heartbeat import FakeEvent, FakeJob, FakeJobQueue


@dataclass
class Runner:
    fail: bool = False
    cycles: int = 0

    async def run_cycle(self) -> AfterMatchReport:
        self.cycles += 1
        if self.fail:
            raise RuntimeError("a bug deep inside the cycle")
        return AfterMatchReport(checked=3, confirmed=1, endings=2, errors=["endings:OSError"])


@dataclass
class Services:
    after_match: Any
    outbox_ready: FakeEvent = field(default_factory=FakeEvent)


@dataclass
class Ctx:
    services: Services
    job: FakeJob
    job_queue: FakeJobQueue


def context_for(runner: object) -> tuple[Ctx, jobs.AfterMatchSchedule]:
    schedule = jobs.AfterMatchSchedule(interval=30.0)
    return Ctx(Services(runner), FakeJob(schedule), FakeJobQueue()), schedule


async def test_a_cycle_logs_its_record_and_schedules_the_next(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ctx, schedule = context_for(Runner())
    with caplog.at_level(logging.INFO, logger=jobs.__name__):
        await jobs.after_match_cycle(cast(Context, ctx))
    (record,) = [m for m in caplog.messages if m.startswith("after-match cycle done")]
    assert "checked=3 confirmed=1 failed=0 endings=2 errors=endings:OSError" in record
    assert ctx.job_queue.scheduled == [(30.0, schedule)]
    assert ctx.services.outbox_ready.set_calls == 1


async def test_a_failed_cycle_still_schedules_the_next(caplog: pytest.LogCaptureFixture) -> None:
    ctx, schedule = context_for(Runner(fail=True))
    await jobs.after_match_cycle(cast(Context, ctx))
    assert "after-match cycle failed" in caplog.text
    assert ctx.job_queue.scheduled == [(30.0, schedule)]


async def test_without_the_service_the_job_idles() -> None:
    ctx, schedule = context_for(None)
    await jobs.after_match_cycle(cast(Context, ctx))
    assert ctx.job_queue.scheduled == [(30.0, schedule)]
