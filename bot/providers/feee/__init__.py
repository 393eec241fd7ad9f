"""Feee.io: client, models, durations, status and code mapping, adapter, settings.

`build` is the one way in: it makes the configured adapter with Feee's pacing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from bot.net.pacing import Pacer
from bot.providers.feee.adapter import FeeeProvider
from bot.providers.feee.client import FeeeClient
from bot.providers.feee.reasons import reason_of
from bot.providers.feee.settings import FeeeSettings
from bot.providers.port import EnergyProvider

__all__ = ["FeeeSettings", "build", "reason_of"]

# A little slack keeps request bursts clear of Feee's one-second window.
_SLACK_SECONDS = 0.02


def build(
    settings: FeeeSettings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], float] = time.time,
) -> EnergyProvider | None:
    """The Feee adapter, or None without an API key."""
    if settings.feee_api_key is None:
        return None
    client = FeeeClient(
        api_key=settings.feee_api_key,
        base_url=settings.feee_base_url,
        user_agent=settings.feee_user_agent,
        pacer=Pacer(1.0 / settings.feee_requests_per_second + _SLACK_SECONDS, hold=False),
        timeout=settings.http_timeout_seconds,
        transport=transport,
    )
    return FeeeProvider(client, clock=clock)
