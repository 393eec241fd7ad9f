"""The poll job. Each cycle schedules the next one when it ends, so a long cycle (many
open orders at the providers' pace) delays the next instead of overlapping or being
skipped, and POLL_INTERVAL_SECONDS is the pause between cycles."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram.ext import JobQueue

from bot.handlers.common import Context, runtime
from bot.healthcheck import touch_heartbeat

log = logging.getLogger(__name__)
POLL_JOB = "order-poller"


@dataclass(frozen=True)
class PollSchedule:
    interval: float
    heartbeat: Path


def schedule_poll(job_queue: JobQueue[Any], schedule: PollSchedule, delay: float) -> None:
    job_queue.run_once(poll_orders, when=delay, name=POLL_JOB, data=schedule)


async def poll_orders(context: Context) -> None:
    rt = runtime(context)
    job = context.job
    schedule = job.data if job is not None and isinstance(job.data, PollSchedule) else None
    try:
        report = await rt.poller.run_cycle()
        if report.changed or report.errors:
            log.info(
                "poll: %d tracked, %d changed, errors %s",
                report.tracked,
                report.changed,
                report.errors or "none",
            )
    finally:
        rt.outbox_ready.set()
        if schedule is not None:
            touch_heartbeat(schedule.heartbeat)
            if context.job_queue is not None:
                schedule_poll(context.job_queue, schedule, schedule.interval)
