"""Each finished poll cycle leaves one record line the benchmark reads: what was tracked,
what changed, how many track calls it made and how long it took."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pytest

from bot.services.poller import CycleReport
from bot.storage.repository import Repository
from bot.telegram import poll_job as jobs
from bot.telegram.context import Context
from tests.support.clock import Clock
from tests.unit.test_heartbeat import SlowPoller, context_for
from tests.unit.test_poller import setup, submit

RECORD = re.compile(
    r"poll cycle done tracked=(\d+) changed=(\d+) track_calls=(\d+) unreadable=(\d+) "
    r"skipped=(\d+) errors=(\S+) seconds=([0-9.]+)$"
)


class ReportingPoller:
    async def run_cycle(self, *, keep_going: Callable[[], bool] = lambda: True) -> CycleReport:
        return CycleReport(
            tracked=7, changed=2, track_calls=3, skipped=1, errors={"tronsave": "RATE_LIMITED"}
        )


async def test_a_finished_cycle_logs_one_record(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ctx, _ = context_for(ReportingPoller(), tmp_path / "heartbeat")
    with caplog.at_level(logging.INFO, logger=jobs.__name__):
        await jobs.poll_orders(cast(Context, ctx))
    records = [m for m in caplog.messages if m.startswith("poll cycle done")]
    assert len(records) == 1
    found = RECORD.match(records[0])
    assert found is not None, records[0]
    assert found.groups()[:6] == ("7", "2", "3", "0", "1", "tronsave:RATE_LIMITED")
    assert float(found[7]) >= 0


async def test_a_failed_cycle_logs_no_record(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ctx, _ = context_for(SlowPoller(fail=True), tmp_path / "heartbeat")
    with caplog.at_level(logging.INFO, logger=jobs.__name__):
        await jobs.poll_orders(cast(Context, ctx))
    assert not [m for m in caplog.messages if m.startswith("poll cycle done")]


async def test_the_cycle_counts_its_track_calls(repo: Repository) -> None:
    clock = Clock(2_000_000.0)
    svc, poller, fake = setup(repo, clock)
    fake.track_batch = 3  # one submission (3 receivers) per call
    for chat in (10, 11):
        await submit(svc, chat_id=chat)
    report = await poller.run_cycle()
    calls = [c for c in fake.calls if c.startswith("track:")]
    assert calls == ["track:3", "track:3"]
    assert report.track_calls == 2
    assert report.tracked == 6
