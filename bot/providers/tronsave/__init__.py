"""TronSave Fast Charge: client, models, status and code mapping, adapter (its history
searches and tracking sizes beside it), settings.

`build` is the one way in: it makes the configured adapter with TronSave's pacing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from bot.net.pacing import Pacer
from bot.providers.port import EnergyProvider
from bot.providers.tronsave.adapter import TronSaveProvider
from bot.providers.tronsave.client import TronSaveClient
from bot.providers.tronsave.reasons import reason_of
from bot.providers.tronsave.settings import TronSaveSettings

__all__ = ["TronSaveSettings", "build", "reason_of"]

USER_INFO_PER_SECOND = 15  # TronSave's documented limit for the v2 endpoints
_SLACK_SECONDS = 0.005


def build(
    settings: TronSaveSettings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], float] = time.time,
) -> EnergyProvider | None:
    """The TronSave adapter, or None without an API key."""
    if settings.tronsave_api_key is None:
        return None
    client = TronSaveClient(
        api_key=settings.tronsave_api_key,
        base_url=settings.tronsave_base_url,
        # Each Fast Charge endpoint allows one request per interval; holding the slot
        # until the answer keeps two requests from reaching it closer than that.
        pacer=Pacer(settings.tronsave_min_interval_seconds, hold=True),
        # `/v2/user-info` allows 15 requests/s; a little slack keeps bursts under it.
        info_pacer=Pacer(1.0 / USER_INFO_PER_SECOND + _SLACK_SECONDS, hold=False),
        timeout=settings.http_timeout_seconds,
        transport=transport,
    )
    return TronSaveProvider(client, track_chunk=settings.tronsave_track_chunk_size, clock=clock)
