"""How a poll cycle groups orders: into tracking requests, into write transactions and
into pushes. Every grouping keeps a submission whole, so each submission's changes make
one push however many requests or transactions its orders take."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Sequence

from bot.domain import STATE_NOTICES, NoticeKind, OrderState
from bot.storage.repository import NewNotification, NoticePayload, Order, Transition

# Orders named in one one-off notice (unreadable, key missing): keeps each push short.
ORDERS_PER_NOTICE = 20


def by_submission_batches(transitions: Sequence[Transition], size: int) -> list[list[Transition]]:
    by_submission: defaultdict[int, list[Transition]] = defaultdict(list)
    for tr in transitions:
        by_submission[tr.order.submission_id].append(tr)
    batches: list[list[Transition]] = []
    for group in by_submission.values():
        if batches and len(batches[-1]) + len(group) <= size:
            batches[-1].extend(group)
        else:
            batches.append(list(group))
    return batches


def by_submission(orders: Sequence[Order]) -> list[list[Order]]:
    by_submission: defaultdict[int, list[Order]] = defaultdict(list)
    for order in orders:
        by_submission[order.submission_id].append(order)
    return list(by_submission.values())


def take_chunk(groups: deque[list[Order]], size: int) -> list[Order]:
    """Whole submissions from the front of `groups`, up to `size` orders (a larger
    submission alone: the adapter splits its requests and answers for all of it)."""
    chunk = list(groups.popleft())
    while groups and len(chunk) + len(groups[0]) <= size:
        chunk.extend(groups.popleft())
    return chunk


def group_notices(won: list[Transition]) -> list[NewNotification]:
    """One push per submission and kind, naming every order that changed with it."""
    groups: defaultdict[tuple[int, int, NoticeKind], list[int]] = defaultdict(list)
    for tr in won:
        kind = STATE_NOTICES.get(tr.state)
        announce = tr.state is not tr.order.state or (
            tr.state is OrderState.UNKNOWN and tr.raw_status != tr.order.raw_status
        )
        if kind is None or not announce:
            continue
        groups[(tr.order.chat_id, tr.order.submission_id, kind)].append(tr.order.id)
    return [
        NewNotification(chat, kind, NoticePayload(sub, order_ids=tuple(ids)))
        for (chat, sub, kind), ids in groups.items()
    ]


def order_notices(kind: NoticeKind) -> Callable[[list[Order]], list[NewNotification]]:
    """One notice per chat and submission (at most ORDERS_PER_NOTICE orders each)."""

    def build(orders: list[Order]) -> list[NewNotification]:
        groups: defaultdict[tuple[int, int], list[int]] = defaultdict(list)
        for order in orders:
            groups[(order.chat_id, order.submission_id)].append(order.id)
        step = ORDERS_PER_NOTICE
        return [
            NewNotification(chat, kind, NoticePayload(sub, order_ids=tuple(ids[i : i + step])))
            for (chat, sub), ids in groups.items()
            for i in range(0, len(ids), step)
        ]

    return build
