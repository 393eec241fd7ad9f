"""`build_application(settings)`: the one place that wires the bot together.

`post_init` opens the database and provider clients and starts the outbox dispatcher
and the poll job; `post_shutdown` closes them in reverse order.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable
from typing import Any, cast

import httpx
from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    ExtBot,
    JobQueue,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest
from telegram.warnings import PTBUserWarning

from bot.config import Settings
from bot.domain import ProviderName
from bot.healthcheck import last_cycle_seconds, write_heartbeat
from bot.providers.registry import build_providers
from bot.services.housekeeping import DAY, Retention
from bot.services.orders import OrderService
from bot.services.poller import Poller
from bot.services.runtime import Runtime
from bot.storage.persistence import SqlitePersistence
from bot.storage.repository import Repository
from bot.telegram import housekeeping_job as housekeeping
from bot.telegram import outbox as push
from bot.telegram import poll_job as jobs
from bot.telegram import watchdog
from bot.telegram.callback_data import secret_from_token
from bot.telegram.context import RUNTIME_KEY, Context
from bot.telegram.handlers import basic, new_order, orders
from bot.telegram.outbox import OutboxDispatcher
from bot.telegram.update_processor import PerChatUpdateProcessor

log = logging.getLogger(__name__)

BotApp = Application[
    ExtBot[None], Context, dict[Any, Any], dict[Any, Any], dict[Any, Any], JobQueue[Context]
]
_DISPATCHER_KEY = "outbox_dispatcher"

# The wizard mixes typed answers and buttons in one conversation on purpose.
warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)


def _retention(settings: Settings) -> Retention:
    return Retention(
        outbox_seconds=settings.outbox_retention_days * DAY,
        order_seconds=settings.order_retention_days * DAY,
    )


def build_application(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    transports: dict[ProviderName, httpx.AsyncBaseTransport] | None = None,
    clock: Callable[[], float] = time.time,
) -> BotApp:
    """Wire the bot. The keyword arguments exist for tests (fake Bot API, fake providers)."""
    token = settings.telegram_bot_token.get_secret_value()

    async def post_init(app: BotApp) -> None:
        repo = await Repository.open(settings.database_path)
        providers = build_providers(settings, transports=transports, clock=clock)
        order_service = OrderService(
            repo, providers, clock=clock, recovery_window=settings.recovery_window_seconds
        )
        rt = Runtime(
            repo=repo,
            orders=order_service,
            poller=Poller(
                order_service, deadline_grace=settings.deadline_grace_seconds, clock=clock
            ),
            allowed_user_ids=settings.allowed_user_ids,
            default_deadline=settings.default_deadline_seconds,
            callback_secret=secret_from_token(token),
        )
        rt.poller.on_notices = rt.outbox_ready.set
        app.bot_data[RUNTIME_KEY] = rt
        dispatcher = OutboxDispatcher(rt, app.bot)
        app.bot_data[_DISPATCHER_KEY] = dispatcher
        dispatcher.start()
        heartbeat = settings.effective_heartbeat_path
        # Gives the first cycle the allowance of any other; from then on only a finished
        # cycle writes it. A failed write is logged and never stops the bot.
        write_heartbeat(heartbeat, cycle_seconds=last_cycle_seconds(heartbeat))
        if app.job_queue is not None:
            schedule = jobs.PollSchedule(settings.poll_interval_seconds, heartbeat)
            jobs.schedule_poll(app.job_queue, schedule, delay=1.0)
        if app.job_queue is not None:
            housekeeping.schedule_housekeeping(
                app.job_queue, housekeeping.HousekeepingSchedule(_retention(settings), clock)
            )
            watchdog.schedule_watchdog(app.job_queue)
        await _set_commands(app)
        log.info(
            "bot ready: providers %s, %d allowed users",
            ", ".join(providers) or "none",
            len(settings.allowed_user_ids),
        )

    async def post_shutdown(app: BotApp) -> None:
        dispatcher = app.bot_data.pop(_DISPATCHER_KEY, None)
        if isinstance(dispatcher, OutboxDispatcher):
            await dispatcher.stop()
        rt = app.bot_data.pop(RUNTIME_KEY, None)
        if isinstance(rt, Runtime):
            for adapter in rt.orders.providers.values():
                await adapter.aclose()
            await rt.repo.close()

    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_base_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .rate_limiter(AIORateLimiter(max_retries=3))
        .persistence(SqlitePersistence(settings.database_path))
        # One chat at a time (ConversationHandler needs it), chats side by side.
        .concurrent_updates(PerChatUpdateProcessor())
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    app = cast(BotApp, builder.build())
    register_handlers(app)
    return app


def register_handlers(app: BotApp) -> None:
    private_text = filters.ChatType.PRIVATE & filters.TEXT
    app.add_handler(TypeHandler(Update, basic.limit_strangers), group=-2)
    app.add_handler(TypeHandler(Update, basic.note_chat_alive), group=-1)
    app.add_handler(new_order.conversation())
    app.add_handler(CommandHandler("start", basic.start))
    app.add_handler(CommandHandler("help", basic.help_command))
    app.add_handler(CommandHandler("language", basic.language))
    app.add_handler(CommandHandler("balance", basic.balance))
    app.add_handler(CommandHandler("orders", orders.list_orders))
    app.add_handler(CommandHandler("cancel", basic.cancel_outside))
    app.add_handler(CallbackQueryHandler(orders.order_action, pattern=r"^a:"))
    app.add_handler(CallbackQueryHandler(orders.turn_page, pattern=r"^l:"))
    app.add_handler(CallbackQueryHandler(basic.set_language, pattern=r"^lang:"))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, push.on_chat_migrated))
    app.add_handler(CallbackQueryHandler(new_order.stale_button, pattern=r"^w:"))
    app.add_handler(MessageHandler(private_text, basic.stray_text))
    app.add_error_handler(basic.on_error)


async def _set_commands(app: BotApp) -> None:
    """Command menu in both languages. A failure here must not stop the bot."""
    try:
        await app.bot.set_my_commands(basic.command_list("en"))
        await app.bot.set_my_commands(basic.command_list("zh"), language_code="zh")
    except TelegramError as exc:
        log.warning("could not set the command menu: %s", exc)
