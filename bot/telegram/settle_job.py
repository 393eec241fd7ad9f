"""The settling job: every few minutes, asks the providers' records for the charge and
refund that closed orders still lack (`HistoryService.settle_missing`), so /history and
its CSV read stored figures only and never wait on a provider."""

from __future__ import annotations

import logging
from typing import Any, Final

from telegram.ext import JobQueue

from bot.telegram.context import Context

log = logging.getLogger(__name__)
SETTLE_JOB = "settle-figures"
SETTLE_INTERVAL: Final = 300.0


def schedule_settlements(job_queue: JobQueue[Any], *, first: float = 60.0) -> None:
    job_queue.run_repeating(settle_figures, interval=SETTLE_INTERVAL, first=first, name=SETTLE_JOB)


async def settle_figures(context: Context) -> None:
    try:
        asked = await context.services.history.settle_missing()
    except Exception:
        # Nothing is lost: the figures stay pending and the next run asks again.
        log.exception("settling order figures failed")
        return
    if asked:
        log.info("asked the providers for the figures of %d closed orders", asked)
