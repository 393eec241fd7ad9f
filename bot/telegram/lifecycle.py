"""`BotServices`: everything the bot runs beside PTB itself (the services, the outbox
dispatcher, the jobs), built in `bot.app.build_application`. The application's
`post_init` calls `start()` and its `post_shutdown` calls `stop()`; nothing else is
opened, wired or closed there."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from telegram.error import TelegramError
from telegram.ext import Application

from bot.healthcheck import last_cycle_seconds, write_heartbeat
from bot.services.runtime import Runtime
from bot.telegram import (
    auto_confirm_job,
    error_alerts,
    housekeeping_job,
    menus,
    operator_job,
    poll_job,
    settle_job,
    watch_job,
    watchdog,
)
from bot.telegram.error_alerts import ErrorAlertHandler
from bot.telegram.handlers import basic
from bot.telegram.outbox import OutboxDispatcher

log = logging.getLogger(__name__)


@dataclass
class BotServices:
    runtime: Runtime
    dispatcher: OutboxDispatcher
    poll: poll_job.PollSchedule
    housekeeping: housekeeping_job.HousekeepingSchedule
    after_match: auto_confirm_job.AfterMatchSchedule | None = None
    # Errors the bot logs, alerted to the operator chat; None without one.
    error_alerts: ErrorAlertHandler | None = None
    webhook: bool = False  # updates come by webhook: the watchdog asks getMe
    watch: watch_job.WatchSchedule | None = None  # None: watched addresses not checked
    _stopped: bool = False

    async def start(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await self.runtime.start()
        if self.error_alerts is not None:
            error_alerts.install(self.error_alerts)
        self.dispatcher.start()
        # Gives the first cycle the allowance of any other; from then on only a finished
        # cycle writes it. A failed write is logged and never stops the bot.
        heartbeat = self.poll.heartbeat
        write_heartbeat(heartbeat, cycle_seconds=last_cycle_seconds(heartbeat))
        if app.job_queue is not None:
            poll_job.schedule_poll(app.job_queue, self.poll, delay=1.0)
            housekeeping_job.schedule_housekeeping(app.job_queue, self.housekeeping)
            watchdog.schedule_watchdog(app.job_queue, webhook=self.webhook)
            if self.runtime.operator is not None:
                operator_job.schedule_operator_alerts(app.job_queue)
            if self.after_match is not None and self.runtime.after_match is not None:
                auto_confirm_job.schedule_after_match(app.job_queue, self.after_match, delay=2.0)
            settle_job.schedule_settlements(app.job_queue)
            if self.watch is not None and self.runtime.watcher is not None:
                watch_job.schedule_watch(app.job_queue, self.watch, self.watch.interval)
        await _set_commands(app)
        await menus.set_admin_menus(app, self.runtime)
        log.info(
            "bot ready: providers %s, %d allowed users",
            ", ".join(self.runtime.orders.provider_names()) or "none",
            len(self.runtime.allowed_user_ids),
        )

    async def stop(self) -> None:
        """Stops what `start` started, in reverse order, and closes the providers' clients
        even if `start` failed or never ran; a second call does nothing."""
        if self._stopped:
            return
        self._stopped = True
        if self.error_alerts is not None:
            error_alerts.uninstall(self.error_alerts)
        try:
            await self.dispatcher.stop()
        finally:
            await self.runtime.stop()


async def _set_commands(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Command menu in both languages. A failure here must not stop the bot."""
    try:
        await app.bot.set_my_commands(basic.command_list("en"))
        await app.bot.set_my_commands(basic.command_list("zh"), language_code="zh")
    except TelegramError as exc:
        log.warning("could not set the command menu: %s", exc)
