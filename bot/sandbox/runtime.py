"""Sandbox mode (`SANDBOX=true`): the bot runs against simulators started in its own process.

`sandboxed(settings)` starts the TronSave, Feee and TRON node simulators on 127.0.0.1 (free
ports), each with its own throw-away API key, and yields the settings pointed at them; the
simulators stop when the block ends. A newcomer needs nothing but a bot token: balances
are pre-filled, TronSave orders match `TRONSAVE_MATCH_AFTER` seconds after creation (and a
confirm refunds part of the unused rental), Feee orders are delivered at once. A TronSave
match delegates its energy to the receiver on the node simulator (`delegation_link`): send
a USDT transfer from the receiver through the node's control API and the bot confirms
the order by itself.

The simulators' automatic behaviour is on only here; constructed directly (tests, the
`python -m bot.sandbox.*` commands) they leave everything to their control API.
"""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from pydantic import SecretStr

from bot.config import Settings
from bot.money import SUN_PER_TRX
from bot.sandbox.base import BaseSimulator
from bot.sandbox.delegation_link import link_delegations
from bot.sandbox.feee import FeeeSimulator
from bot.sandbox.tron_node import TronNodeSimulator
from bot.sandbox.tronsave import TronSaveSimulator

log = logging.getLogger(__name__)

TRONSAVE_MATCH_AFTER = 3.0  # seconds from creation to the automatic match
BALANCE_TRX = 10_000  # what each provider account starts with
SANDBOX_DATABASE = "sandbox.sqlite3"  # in the directory of DATABASE_PATH


class Sandbox:
    """The three simulators of sandbox mode, started and stopped together."""

    def __init__(self, settings: Settings) -> None:
        self._tronsave_key = f"sandbox-{secrets.token_hex(16)}"
        self._feee_key = f"sandbox-{secrets.token_hex(16)}"
        # The simulators allow what the bot's own pacing sends, so no request is refused.
        self.tronsave = TronSaveSimulator(
            api_key=self._tronsave_key,
            rate_interval=settings.tronsave_min_interval_seconds,
            balance=BALANCE_TRX * SUN_PER_TRX,
            auto_match_after=TRONSAVE_MATCH_AFTER,
        )
        self.feee = FeeeSimulator(
            api_key=self._feee_key,
            qps=max(5, math.ceil(2 * settings.feee_requests_per_second)),
            balance=Decimal(BALANCE_TRX),
            auto_deliver_after=0.0,
            ua_whitelist=[settings.feee_user_agent],
        )
        self.tron_node = TronNodeSimulator()
        # A matched TronSave order delegates its energy on the node simulator, so a
        # transfer from the receiver uses it and the bot can confirm it by itself.
        link_delegations(self.tronsave, self.tron_node)
        self._all: tuple[BaseSimulator, ...] = (self.tronsave, self.feee, self.tron_node)

    def start(self) -> None:
        for simulator in self._all:
            simulator.request_log_level = logging.DEBUG  # a poll cycle is not news
            simulator.start()

    def stop(self) -> None:
        for simulator in reversed(self._all):
            simulator.stop()

    @property
    def tron_node_url(self) -> str:
        """Where the TRON node simulator listens (the chain client's TRON_NODE_URL)."""
        return self.tron_node.base_url

    def apply(self, settings: Settings) -> Settings:
        """`settings` with both providers pointed at the running simulators, and a database
        of its own beside the configured one: the sandbox's orders exist in these
        simulators only, and must never be tracked later against the real providers."""
        return settings.model_copy(
            update={
                "tronsave_api_key": SecretStr(self._tronsave_key),
                "tronsave_base_url": self.tronsave.base_url,
                "feee_api_key": SecretStr(self._feee_key),
                "feee_base_url": f"{self.feee.base_url}/open",
                "tron_chain_reads": True,
                "tron_node_url": self.tron_node.base_url,
                "trongrid_api_key": None,
                "database_path": settings.database_path.with_name(SANDBOX_DATABASE),
            }
        )


@contextmanager
def sandboxed(settings: Settings) -> Iterator[Settings]:
    """`settings` as they are, or, with `SANDBOX=true`, pointed at running simulators."""
    if not settings.sandbox:
        yield settings
        return
    sandbox = Sandbox(settings)
    sandbox.start()
    sandboxed_settings = sandbox.apply(settings)
    try:
        log.warning(
            "SANDBOX mode: TronSave (%s) and Feee (%s) are local simulators, nothing is "
            "really ordered and no TRX is spent; provider keys and URLs in the settings are "
            "ignored; database %s (TRON node simulator at %s)",
            sandbox.tronsave.base_url,
            sandbox.feee.base_url,
            sandboxed_settings.database_path,
            sandbox.tron_node_url,
        )
        yield sandboxed_settings
    finally:
        sandbox.stop()
