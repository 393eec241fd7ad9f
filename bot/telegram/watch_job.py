"""The watched-address job: one check of the watched addresses (bot/services/watch.py),
then the next one scheduled when it ends, so a slow node delays checks instead of
piling them up. Each check reads a few addresses in turn at the node's pace (the shared
pacer), within a time budget and a timeout per reading; what it queued (alerts,
automatic actions, in the outbox) wakes the dispatcher. Nothing that goes wrong inside
stops the next check.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from telegram.ext import JobQueue

from bot.services.watch import WatchService
from bot.telegram.context import Context

log = logging.getLogger(__name__)
WATCH_JOB = "watched-addresses"


@dataclass(frozen=True)
class WatchSchedule:
    interval: float


def schedule_watch(job_queue: JobQueue[Any], schedule: WatchSchedule, delay: float) -> None:
    job_queue.run_once(check_watches, when=delay, name=WATCH_JOB, data=schedule)


async def run_check(watcher: WatchService) -> int:
    """One check; returns how many pushes it queued (0 when it failed as a whole)."""
    try:
        actions = await watcher.cycle()
    except Exception:
        # E.g. the database could not be read: nothing told, the next check tries again.
        log.exception("watch check failed")
        return 0
    if actions:
        log.info("watch check: %d pushes queued", len(actions))
    return len(actions)


async def check_watches(context: Context) -> None:
    rt = context.services
    job = context.job
    schedule = job.data if job is not None and isinstance(job.data, WatchSchedule) else None
    try:
        if rt.watcher is not None and await run_check(rt.watcher):
            rt.outbox_ready.set()
    finally:
        if schedule is not None and context.job_queue is not None:
            schedule_watch(context.job_queue, schedule, schedule.interval)
