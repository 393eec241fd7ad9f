"""The operator-alert job: checks what the operator is alerted about (bot/services/
alerts_operator.py) every few minutes and wakes the outbox for what it queued."""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import JobQueue

from bot.services.alerts_operator import BALANCE_CHECK_INTERVAL
from bot.telegram.context import Context

log = logging.getLogger(__name__)
OPERATOR_JOB = "operator-alerts"


def schedule_operator_alerts(job_queue: JobQueue[Any], *, first: float = 30.0) -> None:
    job_queue.run_repeating(
        check_operator_alerts, interval=BALANCE_CHECK_INTERVAL, first=first, name=OPERATOR_JOB
    )


async def check_operator_alerts(context: Context) -> None:
    alerts = context.services.operator
    if alerts is None:
        return
    try:
        queued = await alerts.check_balances()
    except Exception:
        # A failed check alerts nothing; the next run tries again.
        log.exception("operator alert check failed")
        return
    if queued:
        context.services.outbox_ready.set()
