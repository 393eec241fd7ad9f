"""The after-match job: automatic confirmation of used rentals and rental-ending notices.

Like the poll job, each cycle schedules the next when it ends (no overlaps: an order is
never looked at by two cycles at once), AUTO_CONFIRM_INTERVAL_SECONDS apart, and the next
cycle is scheduled whatever happened in this one. The chain is read at the client's pace,
every call within its own timeout (see `bot.services.after_match`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from telegram.ext import JobQueue

from bot.telegram.context import Context

log = logging.getLogger(__name__)
AFTER_MATCH_JOB = "after-match"


@dataclass(frozen=True)
class AfterMatchSchedule:
    interval: float


def schedule_after_match(
    job_queue: JobQueue[Any], schedule: AfterMatchSchedule, delay: float
) -> None:
    job_queue.run_once(after_match_cycle, when=delay, name=AFTER_MATCH_JOB, data=schedule)


async def after_match_cycle(context: Context) -> None:
    rt = context.services
    job = context.job
    schedule = job.data if job is not None and isinstance(job.data, AfterMatchSchedule) else None
    started = time.monotonic()
    try:
        if rt.after_match is not None:
            report = await rt.after_match.run_cycle()
            log.info(
                "after-match cycle done checked=%d confirmed=%d failed=%d endings=%d "
                "errors=%s seconds=%.3f",
                report.checked,
                report.confirmed,
                report.failed,
                report.endings,
                ",".join(report.errors) or "none",
                time.monotonic() - started,
            )
    except Exception:
        log.exception("after-match cycle failed")
    finally:
        rt.outbox_ready.set()
        if schedule is not None and context.job_queue is not None:
            schedule_after_match(context.job_queue, schedule, schedule.interval)
