"""Every provider the bot knows, in one list.

Adding a provider: a new package under `bot/providers/` (client, models, adapter,
settings, `build`, `reason_of`), its entry in `PROVIDERS` and its settings class among
`ProviderSettings`' bases (plus its name in `bot.domain.ProviderName`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import httpx

from bot.domain import ProviderName
from bot.providers import feee, tronsave
from bot.providers.errors import FailureReason
from bot.providers.port import EnergyProvider


class ProviderSettings(tronsave.TronSaveSettings, feee.FeeeSettings):
    """Every provider's settings; `bot.config.Settings` builds on it."""


class Build(Protocol):
    def __call__(
        self,
        settings: ProviderSettings,
        *,
        transport: httpx.AsyncBaseTransport | None,
        clock: Callable[[], float],
    ) -> EnergyProvider | None: ...


@dataclass(frozen=True)
class Registration:
    name: ProviderName
    build: Build  # its adapter, or None when the provider is not configured
    reason_of: Callable[[str], FailureReason | None]  # its own codes in the bot's words


PROVIDERS: tuple[Registration, ...] = (
    Registration(ProviderName.TRONSAVE, tronsave.build, tronsave.reason_of),
    Registration(ProviderName.FEEE, feee.build, feee.reason_of),
)


def build_providers(
    settings: ProviderSettings,
    *,
    transports: Mapping[ProviderName, httpx.AsyncBaseTransport] | None = None,
    clock: Callable[[], float] = time.time,
) -> dict[ProviderName, EnergyProvider]:
    """An adapter for every configured provider, in registration order."""
    transports = transports or {}
    providers: dict[ProviderName, EnergyProvider] = {}
    for entry in PROVIDERS:
        adapter = entry.build(settings, transport=transports.get(entry.name), clock=clock)
        if adapter is not None:
            providers[entry.name] = adapter
    return providers


def reason_of(provider: str, code: str) -> FailureReason:
    """The bot's reason for a code a provider gave (e.g. one stored earlier)."""
    entry = next((e for e in PROVIDERS if e.name.value == provider), None)
    reason = entry.reason_of(code) if entry is not None and code else None
    return reason or FailureReason.REFUSED
