"""The operator-alert jobs: every few minutes, what the operator is alerted about
(bot/services/alerts_operator.py: balances; alerts_reports.py: unknown outcomes and the
daily summary), and every half minute the errors the bot caught (alerts_errors.py).
Each wakes the outbox for what it queued; one check failing never stops the others."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final

from telegram.ext import JobQueue

from bot.services.alerts_operator import BALANCE_CHECK_INTERVAL
from bot.telegram.context import Context

log = logging.getLogger(__name__)
OPERATOR_JOB = "operator-alerts"
ERROR_JOB = "operator-error-alerts"
ERROR_FLUSH_INTERVAL: Final = 30.0


def schedule_operator_alerts(job_queue: JobQueue[Any], *, first: float = 30.0) -> None:
    job_queue.run_repeating(
        check_operator_alerts, interval=BALANCE_CHECK_INTERVAL, first=first, name=OPERATOR_JOB
    )
    job_queue.run_repeating(
        flush_error_alerts, interval=ERROR_FLUSH_INTERVAL, first=first, name=ERROR_JOB
    )


async def _checked(name: str, check: Callable[[], Awaitable[int | bool]]) -> bool:
    try:
        return bool(await check())
    except Exception:
        # A failed check alerts nothing; the next run tries again. Logged at WARNING: an
        # ERROR here would be alerted as a caught error, about the alerts themselves.
        log.warning("operator alert check %s failed", name, exc_info=True)
        return False


async def check_operator_alerts(context: Context) -> None:
    alerts = context.services.operator
    if alerts is None:
        return
    queued = [
        await _checked("balances", alerts.check_balances),
        await _checked("unknown outcomes", alerts.reports.check_unknown),
        await _checked("daily summary", alerts.reports.check_daily_summary),
    ]
    if any(queued):
        context.services.outbox_ready.set()


async def flush_error_alerts(context: Context) -> None:
    alerts = context.services.operator
    if alerts is None:
        return
    if await _checked("errors", alerts.errors.flush):
        context.services.outbox_ready.set()
