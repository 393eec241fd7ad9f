"""The housekeeping job: database retention (bot/services/housekeeping.py) plus the
in-memory state PTB keeps for every user and chat it has seen."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from telegram.ext import Application, JobQueue

from bot.services.housekeeping import Retention
from bot.services.runtime import Runtime
from bot.telegram.context import Context

log = logging.getLogger(__name__)
HOUSEKEEPING_JOB = "housekeeping"
HOUSEKEEPING_INTERVAL = 3600.0


@dataclass(frozen=True)
class HousekeepingSchedule:
    retention: Retention
    clock: Callable[[], float]


def schedule_housekeeping(
    job_queue: JobQueue[Any], schedule: HousekeepingSchedule, *, first: float = 60.0
) -> None:
    job_queue.run_repeating(
        housekeep,
        interval=HOUSEKEEPING_INTERVAL,
        first=first,
        name=HOUSEKEEPING_JOB,
        data=schedule,
    )


def forget_idle_memory(app: Application[Any, Any, Any, Any, Any, Any], rt: Runtime) -> int:
    """PTB keeps a chat_data and a user_data dict for every chat and user it has seen,
    empty or not. The bot never uses chat_data, and a user who may not spend never gets
    a draft (the wizard refuses them first), so those empty dicts can go; an allowed
    user's are few and may be in use by a running update."""
    dropped = 0
    for chat_id, chat_data in list(app.chat_data.items()):
        if not chat_data:
            app.drop_chat_data(chat_id)
            dropped += 1
    for user_id, user_data in list(app.user_data.items()):
        if not user_data and not rt.may_spend(user_id):
            app.drop_user_data(user_id)
            dropped += 1
    return dropped


async def housekeep(context: Context) -> None:
    rt = context.services
    job = context.job
    schedule = job.data if job is not None else None
    if not isinstance(schedule, HousekeepingSchedule):
        return
    try:
        report = await rt.prune(schedule.retention, schedule.clock())
    except Exception:
        # A failed run deletes nothing more; the next one tries again.
        log.exception("housekeeping failed")
        return
    app = context.application
    for chat_id in report.left_chats:
        app.drop_chat_data(chat_id)
        if chat_id > 0:  # a private chat: its user's drafts too
            app.drop_user_data(chat_id)
    forgotten = forget_idle_memory(app, rt)
    if report.total or forgotten:
        log.info(
            "housekeeping: deleted %d pushes, %d orders/submissions, %d user rows, %d chats;"
            " dropped the state of %d chats that left and %d idle in-memory entries",
            report.outbox,
            report.orders,
            report.users,
            report.chats,
            len(report.left_chats),
            forgotten,
        )
