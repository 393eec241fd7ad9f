"""Stop the bot when Telegram rejects its token while it runs (token revoked in
@BotFather): PTB's polling task then ends with `InvalidToken` and the bot would go on
deaf, its poll job keeping the health check green.

PTB has no hook for that, so a job looks for the polling task by the name PTB gives it
and, once it has failed that way, stops the updater itself (where the `InvalidToken` is
re-raised and caught here: left to `run_polling`, it would skip the application's
shutdown and leave the database threads running), marks the application and stops it.
`bot.__main__` then reports it in one line with its exit code, as at start-up.

In webhook mode there is no polling task, and a revoked token only shows in the bot's
own calls (Telegram stops posting updates): so the job asks `getMe` every
TOKEN_CHECK_INTERVAL seconds (far fewer calls than long polling makes), and a
rejection stops the bot the same way. Any other failure of that call (the network, a
timeout) proves nothing and is left to the next check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from telegram import Bot
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application, JobQueue

from bot.telegram.context import Context

log = logging.getLogger(__name__)
WATCHDOG_JOB = "polling-watchdog"
WATCHDOG_INTERVAL = 2.0
TOKEN_CHECK_INTERVAL = 10.0  # webhook mode: getMe at most this often
POLLING_TASK = "Updater:start_polling:polling_task"  # PTB 22's name for it
REFUSED_FLAG = "polling_refused"  # bot_data flag read by bot.__main__


def token_rejected(app: Application[Any, Any, Any, Any, Any, Any]) -> bool:
    return bool(app.bot_data.get(REFUSED_FLAG))


class PollingWatch:
    """Holds on to PTB's polling task: `asyncio.all_tasks()` lists only tasks still
    running, so the task is found while it polls and checked again once it is done."""

    def __init__(self) -> None:
        self.task: asyncio.Task[Any] | None = None

    def failed_on_token(self) -> bool:
        if self.task is None or self.task.done():
            running = [t for t in asyncio.all_tasks() if t.get_name() == POLLING_TASK]
            if running:  # a new polling task (PTB restarted polling): watch that one
                self.task = running[0]
        task = self.task
        if task is None or not task.done() or task.cancelled():
            return False
        return isinstance(task.exception(), InvalidToken)


class WebhookWatch:
    """Webhook mode: whether Telegram still takes the token, asked now and then."""

    def __init__(self, interval: float = TOKEN_CHECK_INTERVAL) -> None:
        self.interval = interval
        self._next = 0.0

    async def failed_on_token(self, bot: Bot) -> bool:
        now = time.monotonic()
        if now < self._next:
            return False
        self._next = now + self.interval
        try:
            await bot.get_me()
        except InvalidToken:
            return True
        except TelegramError as exc:
            log.debug("token check inconclusive: %s", type(exc).__name__)
        return False


def schedule_watchdog(job_queue: JobQueue[Any], *, webhook: bool = False) -> None:
    job_queue.run_repeating(
        watch_polling,
        interval=WATCHDOG_INTERVAL,
        first=0.5,
        name=WATCHDOG_JOB,
        data=WebhookWatch() if webhook else PollingWatch(),
    )


async def watch_polling(context: Context) -> None:
    watch = context.job.data if context.job is not None else None
    app = context.application
    if isinstance(watch, WebhookWatch):
        if not await watch.failed_on_token(app.bot):
            return
        log.debug("Telegram refused the token in webhook mode; stopping")
    elif not isinstance(watch, PollingWatch) or not watch.failed_on_token():
        return
    else:
        log.debug("the polling task ended on a rejected token; stopping")
    app.bot_data[REFUSED_FLAG] = True
    if app.updater is not None and app.updater.running:
        with contextlib.suppress(InvalidToken):
            await app.updater.stop()
    app.stop_running()
