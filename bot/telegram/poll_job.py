"""The poll job. Each cycle schedules the next one when it ends, so a long cycle (many
open orders at the providers' pace) delays the next instead of overlapping or being
skipped. While orders are open the next cycle starts after POLL_BUSY_INTERVAL_SECONDS
(0: at once, its requests paced only by the providers' limits); POLL_INTERVAL_SECONDS
spaces the idle checks (see `poller.poll_delay`).

The heartbeat is written only when a cycle finished, with the cycle's length (see
`bot.healthcheck`). Whatever happens inside (a failed cycle, a heartbeat that cannot be
written), the next cycle is always scheduled.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram.ext import JobQueue

from bot.healthcheck import write_heartbeat
from bot.services.poller import poll_delay
from bot.telegram.context import Context, until_shutdown

log = logging.getLogger(__name__)
POLL_JOB = "order-poller"


@dataclass(frozen=True)
class PollSchedule:
    interval: float  # between idle cycles
    heartbeat: Path
    busy_interval: float = 0.0  # between cycles while orders are open


def schedule_poll(job_queue: JobQueue[Any], schedule: PollSchedule, delay: float) -> None:
    job_queue.run_once(poll_orders, when=delay, name=POLL_JOB, data=schedule)


async def poll_orders(context: Context) -> None:
    rt = context.services
    job = context.job
    schedule = job.data if job is not None and isinstance(job.data, PollSchedule) else None
    started = time.monotonic()
    delay = schedule.interval if schedule is not None else 0.0
    try:
        report = await rt.poller.run_cycle(keep_going=until_shutdown(context))
    except Exception:
        # Not a finished cycle: no heartbeat, so a cycle failing every time turns the
        # healthcheck red instead of hiding behind it.
        log.exception("poll cycle failed")
    else:
        # One record per finished cycle, in a fixed key=value shape the benchmark reads.
        log.info(
            "poll cycle done tracked=%d changed=%d track_calls=%d unreadable=%d skipped=%d "
            "errors=%s seconds=%.3f",
            report.tracked,
            report.changed,
            report.track_calls,
            report.unreadable,
            report.skipped,
            ",".join(f"{k}:{v}" for k, v in sorted(report.errors.items())) or "none",
            time.monotonic() - started,
        )
        if schedule is not None:
            write_heartbeat(schedule.heartbeat, cycle_seconds=time.monotonic() - started)
            delay = poll_delay(report, idle=schedule.interval, busy=schedule.busy_interval)
        if rt.operator is not None:
            try:
                await rt.operator.note_cycle(report.errors)
            except Exception:
                log.exception("counting provider failures for the operator failed")
    finally:
        rt.outbox_ready.set()
        if schedule is not None and context.job_queue is not None:
            schedule_poll(context.job_queue, schedule, delay)
