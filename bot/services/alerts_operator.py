"""Alerts to the operator's chat (OPERATOR_CHAT_ID): what the operator must act on
before users notice, queued through the outbox so they get its retries and limits.

Low balance: each provider's balance is compared with its threshold; an alert is queued
once when it falls below (or is below when first seen) and once when it is back at or
above it, never again while it stays on one side. The state is stored with the alert,
so a restart neither repeats nor loses one.

A provider failing: the poll cycle's errors per provider (auth errors, 5xx, timeouts,
answers it could not read) are counted over a sliding window; FAILURES_TO_ALERT of them
within FAILURE_WINDOW is one episode, alerted once. The episode ends when the window
holds no failure any more, alerted once too; the next burst is a new one.

Orders whose outcome stayed unknown (bot/services/alerts_reports.py), errors the bot
caught (bot/services/alerts_errors.py) and the daily summary have modules of their own.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from bot.domain import NoticeKind, ProviderName
from bot.money import format_trx
from bot.providers.errors import ProviderError
from bot.services.alerts_errors import ErrorAlerts
from bot.services.alerts_reports import ReportAlerts
from bot.services.orders import OrderService
from bot.storage.repository import NewNotification, NoticePayload, Repository

log = logging.getLogger(__name__)

LOW: Final = "low"
OK: Final = "ok"
BALANCE_CHECK_INTERVAL: Final = 300.0  # seconds between balance checks
FAILING: Final = "failing"
FAILURES_TO_ALERT: Final = 3  # failed poll cycles of one provider ...
FAILURE_WINDOW: Final = 600.0  # ... within this many seconds


@dataclass(frozen=True)
class OperatorSettings:
    chat_id: int
    low_balance_sun: Mapping[ProviderName, int]  # providers without a threshold: absent


def balance_key(provider: ProviderName) -> str:
    return f"balance:{provider.value}"


def failing_key(provider: ProviderName) -> str:
    return f"failing:{provider.value}"


class OperatorAlerts:
    def __init__(
        self,
        repo: Repository,
        orders: OrderService,
        settings: OperatorSettings,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._repo = repo
        self._orders = orders
        self.settings = settings
        self._clock = clock
        self._failures: defaultdict[ProviderName, deque[float]] = defaultdict(deque)
        self._failing: dict[ProviderName, bool] = {}  # as last stored
        self.reports = ReportAlerts(repo, settings.chat_id, clock=clock)
        self.errors = ErrorAlerts(repo, settings.chat_id, clock=clock)

    @property
    def chat_id(self) -> int:
        return self.settings.chat_id

    def _note(self, kind: NoticeKind, alert: dict[str, str]) -> NewNotification:
        return NewNotification(self.chat_id, kind, NoticePayload(submission_id=0, alert=alert))

    async def check_balances(self) -> int:
        """Compare each provider's balance with its threshold; returns how many alerts
        were queued. A provider that does not answer keeps its last state."""
        thresholds = self.settings.low_balance_sun
        if not thresholds:
            return 0
        queued = 0
        for answer in await self._orders.balances():
            if isinstance(answer, ProviderError):
                log.info("balance check: %s did not answer (%s)", answer.provider, answer.code)
                continue
            threshold = thresholds.get(answer.provider)
            if threshold is None:
                continue
            low = answer.balance_sun < threshold
            alert = {
                "provider": answer.provider.value,
                "balance": format_trx(answer.balance_sun),
                "threshold": format_trx(threshold),
            }
            kind = NoticeKind.LOW_BALANCE if low else NoticeKind.BALANCE_RECOVERED
            if await self._repo.change_alert_state(
                balance_key(answer.provider),
                LOW if low else OK,
                self._note(kind, alert),
                now=self._clock(),
                first=low,
            ):
                queued += 1
        return queued

    async def note_cycle(self, errors: Mapping[str, str]) -> int:
        """Count a finished poll cycle's errors (by provider name); returns how many
        alerts were queued (a provider's first failing episode in the window)."""
        now = self._clock()
        queued = 0
        for provider in self._orders.provider_names():
            times = self._failures[provider]
            code = errors.get(provider.value)
            if code is not None:
                times.append(now)
            while times and times[0] <= now - FAILURE_WINDOW:
                times.popleft()
            if len(times) >= FAILURES_TO_ALERT and code is not None:
                failing = True
            elif not times:
                failing = False
            else:
                continue  # between: the episode (or the calm) goes on
            if self._failing.get(provider) == failing:
                continue
            self._failing[provider] = failing
            alert = {
                "provider": provider.value,
                "count": str(len(times)),
                "minutes": str(round(FAILURE_WINDOW / 60)),
                "code": str(code),
            }
            kind = NoticeKind.PROVIDER_FAILING if failing else NoticeKind.PROVIDER_RECOVERED
            # The end of an episode is news only if one was alerted (stored as failing).
            if await self._repo.change_alert_state(
                failing_key(provider),
                FAILING if failing else OK,
                self._note(kind, alert),
                now=now,
                first=failing,
            ):
                queued += 1
        return queued
