"""Everything the handlers and jobs need at run time, built once in `bot.app` before the
application starts; `start()` opens the database, `stop()` closes it and the providers'
HTTP clients."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.bounded import KeyedRateLimit
from bot.chain.port import ChainReader
from bot.services.access import AccessService
from bot.services.after_match import AfterMatch, UserSettings
from bot.services.alerts_operator import OperatorAlerts
from bot.services.chats import ChatService
from bot.services.energy_need import EnergyNeedService
from bot.services.history import HistoryService
from bot.services.housekeeping import PruneReport, Retention, prune
from bot.services.notices import NoticeService
from bot.services.orders import OrderService
from bot.services.poller import Poller
from bot.services.savings import SavingsService
from bot.services.sizing import SizingService
from bot.services.watch import WatchService
from bot.services.watch_book import WatchBook
from bot.storage.repository import Repository

# Replies share Telegram's ~30 messages/s with the pushes that announce orders, so
# users who may not spend get few: 5 answered updates per user per 10 minutes, and
# 10 per 10 seconds for all of them together; the rest is ignored without a reply.
STRANGER_UPDATES_PER_USER = 5
STRANGER_USER_WINDOW = 600.0
STRANGER_UPDATES_OVERALL = 10
STRANGER_OVERALL_WINDOW = 10.0


def stranger_limit() -> KeyedRateLimit[int]:
    return KeyedRateLimit(
        per_key=STRANGER_UPDATES_PER_USER,
        window=STRANGER_USER_WINDOW,
        overall=STRANGER_UPDATES_OVERALL,
        overall_window=STRANGER_OVERALL_WINDOW,
    )


@dataclass
class Runtime:
    repo: Repository
    orders: OrderService
    poller: Poller
    chats: ChatService
    history: HistoryService
    notices: NoticeService
    allowed_user_ids: frozenset[int]
    default_deadline: int
    callback_secret: bytes
    # Set when the outbox has something new; the dispatcher waits on it (and the
    # poller sets it through its `on_notices`).
    outbox_ready: asyncio.Event = field(default_factory=asyncio.Event)
    # Updates from users who may not spend that get an answer at all (see stranger_limit).
    strangers: KeyedRateLimit[int] = field(default_factory=stranger_limit)
    # Alerts to OPERATOR_CHAT_ID; None when it is not set.
    operator: OperatorAlerts | None = None
    # Grants and withdrawals by admins in chat; None: ALLOWED_USER_IDS alone decides.
    access: AccessService | None = None
    # Read-only TRON network access; None when TRON_CHAIN_READS is off.
    chain: ChainReader | None = None
    # Automatic confirmation and rental-ending notices (their job), and /settings.
    after_match: AfterMatch | None = None
    user_settings: UserSettings | None = None
    # Sizing an order to its transfers, and what renting saves; None without chain reads
    # (`sizing` then says so, so the summary can tell what it did not check).
    energy_need: EnergyNeedService | None = None
    savings: SavingsService | None = None
    sizing: SizingService | None = None
    # Watched addresses as users set them up (/watch, /autorent) ...
    watches: WatchBook | None = None
    # ... and the service that checks them (None without chain reads: nothing checked).
    watcher: WatchService | None = None

    def may_spend(self, user_id: int | None) -> bool:
        if self.access is not None:
            return self.access.may_spend(user_id)
        return user_id is not None and user_id in self.allowed_user_ids

    async def start(self) -> None:
        await self.repo.start()
        if self.access is not None:
            await self.access.load()

    async def stop(self) -> None:
        try:
            await self.orders.aclose()
            if self.chain is not None:
                await self.chain.aclose()
        finally:
            await self.repo.close()

    async def prune(self, retention: Retention, now: float) -> PruneReport:
        """Database retention (see bot.services.housekeeping)."""
        return await prune(self.repo, retention, now)
