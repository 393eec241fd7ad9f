"""Everything the handlers need at run time, built once in `bot.app`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.services.orders import OrderService
from bot.services.poller import Poller
from bot.storage.repository import Repository


@dataclass
class Runtime:
    repo: Repository
    orders: OrderService
    poller: Poller
    allowed_user_ids: frozenset[int]
    default_deadline: int
    callback_secret: bytes
    # Set when the outbox has something new; the dispatcher waits on it.
    outbox_ready: asyncio.Event = field(default_factory=asyncio.Event)

    def may_spend(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.allowed_user_ids
