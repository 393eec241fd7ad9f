"""A submission's moves between states, each compare-and-set, with the push it causes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from bot.domain import NoticeKind, SubmissionState
from bot.storage.repository import (
    NewNotification,
    NoticePayload,
    Order,
    Repository,
    Submission,
)


async def move(
    repo: Repository,
    sub: Submission,
    to: SubmissionState,
    *,
    now: float,
    expected: SubmissionState,
    error_code: str | None = None,
    notify: NoticeKind | NewNotification | None = None,
) -> bool:
    """Move `sub` from `expected` to `to`; False if it was no longer in `expected`. A
    notice kind alone announces the submission to its chat."""
    if isinstance(notify, NoticeKind):
        notify = NewNotification(sub.chat_id, notify, NoticePayload(sub.id))
    return await repo.set_submission_state(
        sub.id, to, now=now, expected=[expected], error_code=error_code, notify=notify
    )


async def with_timing(
    repo: Repository,
    sub: Submission,
    *,
    sent_at: float,
    answer_by: float,
    offset_low: float | None = None,
    offset_high: float | None = None,
) -> Submission:
    """`sub` with when its create request went out and could have acted by, recorded."""
    stored = await repo.set_submission_timing(
        sub.id,
        sent_at=sent_at,
        answer_by=answer_by,
        offset_low=offset_low,
        offset_high=offset_high,
    )
    return stored or sub


def missing(sub: Submission, own: Iterable[Order]) -> Counter[str]:
    """The receivers (with repeats) no order of the submission is for yet."""
    return Counter(sub.receivers) - Counter(o.receiver or "" for o in own)


def recovered_note(sub: Submission, new: Sequence[Order]) -> NewNotification | None:
    """One push per batch found, naming only the orders this batch added."""
    if not new:
        return None
    payload = NoticePayload(sub.id, order_ids=tuple(o.id for o in new))
    return NewNotification(sub.chat_id, NoticeKind.RECOVERED, payload)


def receivers_note(sub: Submission, kind: NoticeKind, own: Sequence[Order]) -> NewNotification:
    """Which receivers have an order and which not, for the notice that ends a search."""
    payload = NoticePayload(
        sub.id,
        order_ids=(),
        found=tuple(sorted({o.receiver for o in own if o.receiver})),
        missing=tuple(sorted(missing(sub, own).elements())),
    )
    return NewNotification(sub.chat_id, kind, payload)
