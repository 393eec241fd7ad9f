"""`build_application(settings)`: the one place that wires the bot together.

Every service is built here, before the application runs; `post_init` only starts the
one `BotServices` object (database, outbox dispatcher, jobs) and `post_shutdown` only
stops it.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import Callable
from typing import Any, cast

import httpx
from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
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

from bot.chain.client import TronNodeClient
from bot.chain.port import ChainReader
from bot.config import Settings
from bot.domain import ProviderName
from bot.money import trx_to_sun
from bot.providers.registry import build_providers
from bot.services.access import AccessService
from bot.services.after_match import AfterMatch, UserSettings
from bot.services.alerts_operator import OperatorAlerts, OperatorSettings
from bot.services.chats import ChatService
from bot.services.energy_need import EnergyNeedService
from bot.services.history import HistoryService
from bot.services.housekeeping import DAY, Retention
from bot.services.notices import NoticeService
from bot.services.orders import OrderService, SpendLimits
from bot.services.poller import Poller
from bot.services.runtime import Runtime
from bot.services.savings import SavingsService
from bot.services.sizing import SizingService
from bot.services.watch import WatchService
from bot.services.watch_book import WatchBook
from bot.storage.persistence import SqlitePersistence
from bot.storage.repository import Repository
from bot.telegram import outbox
from bot.telegram.auto_confirm_job import AfterMatchSchedule
from bot.telegram.callback_data import (
    HistoryButton,
    LanguageChoice,
    OrderAction,
    PageButton,
    SettingsButton,
    WatchButton,
    secret_from_token,
    wizard_pattern,
)
from bot.telegram.context import CONTEXT_TYPES, SERVICES_KEY, Context
from bot.telegram.error_alerts import ErrorAlertHandler
from bot.telegram.handlers import admin, basic, history, new_order, orders, watch
from bot.telegram.handlers import settings as user_settings
from bot.telegram.housekeeping_job import HousekeepingSchedule
from bot.telegram.lifecycle import BotServices
from bot.telegram.outbox import OutboxDispatcher
from bot.telegram.poll_job import PollSchedule
from bot.telegram.send_pacing import PacedRateLimiter, SendLimits, SendPacer
from bot.telegram.update_processor import PerChatUpdateProcessor
from bot.telegram.watch_job import WatchSchedule

log = logging.getLogger(__name__)

BotApp = Application[
    ExtBot[None], Context, dict[Any, Any], dict[Any, Any], dict[Any, Any], JobQueue[Context]
]
LIFECYCLE_KEY = "lifecycle"  # bot_data: the BotServices that post_init starts

# The wizard mixes typed answers and buttons in one conversation on purpose.
warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)


def _retention(settings: Settings) -> Retention:
    return Retention(
        outbox_seconds=settings.outbox_retention_days * DAY,
        order_seconds=settings.order_retention_days * DAY,
    )


def _operator_settings(settings: Settings) -> OperatorSettings | None:
    if settings.operator_chat_id is None:
        return None
    thresholds = {
        ProviderName.TRONSAVE: settings.tronsave_low_balance_trx,
        ProviderName.FEEE: settings.feee_low_balance_trx,
    }
    return OperatorSettings(
        chat_id=settings.operator_chat_id,
        low_balance_sun={p: trx_to_sun(v) for p, v in thresholds.items() if v is not None},
    )


def secret_values(settings: Settings) -> list[str]:
    """Every secret setting's value, for masking."""
    secrets = (
        settings.telegram_bot_token,
        settings.tronsave_api_key,
        settings.feee_api_key,
        settings.trongrid_api_key,
        settings.webhook_secret_token,
    )
    return [s.get_secret_value() for s in secrets if s is not None]


def _error_alerts(runtime: Runtime, settings: Settings) -> ErrorAlertHandler | None:
    """Caught errors go to the operator chat, when there is one."""
    if runtime.operator is None:
        return None
    return ErrorAlertHandler(runtime.operator.errors, secret_values(settings))


def spend_limits(settings: Settings) -> SpendLimits:
    """The operator's limits, TRX at the edge, SUN inside."""
    daily, per_order = settings.daily_spend_limit_trx, settings.max_order_trx
    return SpendLimits(
        max_order_sun=None if per_order is None else trx_to_sun(per_order),
        daily_sun=None if daily is None else trx_to_sun(daily),
    )


def build_chain(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
) -> ChainReader | None:
    """The TRON node client, or None when chain reads are turned off."""
    if not settings.tron_chain_reads:
        return None
    return TronNodeClient.from_settings(settings, settings.make_pacer(), transport=transport)


def build_runtime(
    settings: Settings,
    *,
    transports: dict[ProviderName, httpx.AsyncBaseTransport] | None = None,
    chain_transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], float] = time.time,
) -> Runtime:
    """The services, wired; nothing is opened until `Runtime.start()`."""
    repo = Repository.at(settings.database_path)
    providers = build_providers(settings, transports=transports, clock=clock)
    orders = OrderService(
        repo,
        providers,
        clock=clock,
        recovery_window=settings.recovery_window_seconds,
        limits=spend_limits(settings),
        share_quotes=settings.quote_sharing,
    )
    outbox_ready = asyncio.Event()
    poller = Poller(
        orders,
        deadline_grace=settings.deadline_grace_seconds,
        clock=clock,
        on_notices=outbox_ready.set,
    )
    operator = _operator_settings(settings)
    chain = build_chain(settings, transport=chain_transport)
    after_match = AfterMatch(
        repo,
        orders,
        chain,
        ending_lead_seconds=settings.rental_ending_notice_seconds,
        clock=clock,
        call_timeout=settings.tron_timeout_seconds + 1,
        on_notices=outbox_ready.set,
    )
    energy_need = EnergyNeedService(chain) if chain is not None else None
    savings = SavingsService(chain) if chain is not None else None
    watches = WatchBook(
        repo,
        orders,
        max_per_user=settings.watch_max_per_user,
        deadline_sec=settings.default_deadline_seconds,
        pause_seconds=settings.auto_rent_pause_seconds,
        clock=clock,
    )
    runtime = Runtime(
        repo=repo,
        orders=orders,
        poller=poller,
        chats=ChatService(repo),
        history=HistoryService(repo, providers=providers, clock=clock),
        notices=NoticeService(repo),
        allowed_user_ids=settings.allowed_user_ids,
        default_deadline=settings.default_deadline_seconds,
        callback_secret=secret_from_token(settings.telegram_bot_token.get_secret_value()),
        outbox_ready=outbox_ready,
        operator=OperatorAlerts(repo, orders, operator, clock=clock) if operator else None,
        access=AccessService(
            repo,
            orders.limits,
            allowed=settings.allowed_user_ids,
            admins=settings.admin_user_ids,
            clock=clock,
        ),
        chain=chain,
        after_match=after_match,
        user_settings=UserSettings(repo, clock=clock),
        energy_need=energy_need,
        savings=savings,
        sizing=SizingService(chain, repo, need=energy_need, savings=savings),
        watches=watches,
    )
    if chain is not None:
        runtime.watcher = build_watcher(settings, chain, watches, runtime.may_spend, clock)
    return runtime


def build_watcher(
    settings: Settings,
    chain: ChainReader,
    watches: WatchBook,
    may_spend: Callable[[int], bool],
    clock: Callable[[], float],
) -> WatchService:
    """The watched-address checks: a few addresses per check at the node's pace, each
    reading bounded a little beyond the client's own timeout (its retries included)."""
    return WatchService(
        chain,
        watches,
        place=watches.place,
        allowed=may_spend,
        clock=clock,
        provider_balance=watches.provider_balance,
        addresses_per_cycle=settings.watch_addresses_per_check,
        call_timeout=settings.tron_timeout_seconds + 5.0,
    )


def build_application(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    transports: dict[ProviderName, httpx.AsyncBaseTransport] | None = None,
    chain_transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], float] = time.time,
    send_limits: SendLimits | None = None,
) -> BotApp:
    """Wire the bot. The keyword arguments exist for tests (fake Bot API, fake providers,
    a fake Bot API that enforces no limits and need not be paced for them)."""
    runtime = build_runtime(
        settings, transports=transports, chain_transport=chain_transport, clock=clock
    )

    async def post_init(app: BotApp) -> None:
        await services.start(app)

    async def post_shutdown(app: BotApp) -> None:
        await services.stop()

    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .context_types(CONTEXT_TYPES)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .rate_limiter(PacedRateLimiter(SendPacer(send_limits), max_retries=3))
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
    services = BotServices(
        runtime,
        OutboxDispatcher(runtime, app.bot),
        poll=PollSchedule(
            settings.poll_interval_seconds,
            settings.effective_heartbeat_path,
            busy_interval=settings.poll_busy_interval_seconds,
        ),
        housekeeping=HousekeepingSchedule(_retention(settings), clock),
        after_match=AfterMatchSchedule(settings.auto_confirm_interval_seconds),
        error_alerts=_error_alerts(runtime, settings),
        webhook=settings.telegram_webhook_url is not None,
        watch=WatchSchedule(settings.watch_interval_seconds),
    )
    app.bot_data[SERVICES_KEY] = runtime
    app.bot_data[LIFECYCLE_KEY] = services
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
    app.add_handler(CommandHandler("history", history.show_history))
    app.add_handler(CommandHandler("cancel", basic.cancel_outside))
    app.add_handler(CommandHandler("settings", user_settings.show_settings))
    for name, callback in admin.COMMANDS.items():
        app.add_handler(CommandHandler(name, callback))
    for name, callback in watch.COMMANDS.items():
        app.add_handler(CommandHandler(name, callback))
    app.add_handler(CallbackQueryHandler(watch.watch_button, pattern=WatchButton.pattern()))
    app.add_handler(CallbackQueryHandler(orders.order_action, pattern=OrderAction.pattern()))
    app.add_handler(CallbackQueryHandler(orders.turn_page, pattern=PageButton.pattern()))
    app.add_handler(CallbackQueryHandler(history.history_button, pattern=HistoryButton.pattern()))
    app.add_handler(CallbackQueryHandler(basic.set_language, pattern=LanguageChoice.pattern()))
    app.add_handler(
        CallbackQueryHandler(user_settings.settings_button, pattern=SettingsButton.pattern())
    )
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, outbox.on_chat_migrated))
    app.add_handler(CallbackQueryHandler(new_order.stale_button, pattern=wizard_pattern()))
    app.add_handler(MessageHandler(private_text, basic.stray_text))
    app.add_error_handler(basic.on_error)
