"""A Runtime on a repository and an order service, as far as rendering a push needs."""

from __future__ import annotations

from bot.services.chats import ChatService
from bot.services.history import HistoryService
from bot.services.notices import NoticeService
from bot.services.orders import OrderService
from bot.services.poller import Poller
from bot.services.runtime import Runtime
from bot.storage.repository import Repository
from tests.support.clock import Clock


def push_runtime(repo: Repository, svc: OrderService, clock: Clock) -> Runtime:
    return Runtime(
        repo=repo,
        orders=svc,
        poller=Poller(svc, deadline_grace=60, clock=clock),
        chats=ChatService(repo),
        history=HistoryService(repo),
        notices=NoticeService(repo),
        allowed_user_ids=frozenset({20}),
        default_deadline=300,
        callback_secret=b"secret",
    )
