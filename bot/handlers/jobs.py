"""The repeating poll job: one cycle, then wake the outbox and refresh the heartbeat."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.handlers.common import Context, runtime
from bot.healthcheck import touch_heartbeat

log = logging.getLogger(__name__)
POLL_JOB = "order-poller"


async def poll_orders(context: Context) -> None:
    rt = runtime(context)
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
        heartbeat = context.job.data if context.job is not None else None
        if isinstance(heartbeat, Path):
            touch_heartbeat(heartbeat)
