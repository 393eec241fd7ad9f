"""The outbox as its dispatcher sees it: which notices are due, what each one is about,
and the record of every delivery attempt. The dispatcher decides; this only reads and
writes, so the Telegram layer never holds the repository."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.storage.repository import NoticePayload, Notification, Order, Repository, Submission


@dataclass(frozen=True)
class NoticeSubject:
    """What one notice speaks of: its submission (None if pruned), the submitter's chosen
    language (None: not chosen), the orders it names and every order of the submission."""

    submission: Submission | None
    language: str | None
    orders: list[Order]
    submission_orders: list[Order]


class NoticeService:
    def __init__(self, repo: Repository) -> None:
        self._repo = repo

    async def due(self, limit: int, *, after_id: int, now: float) -> list[Notification]:
        """Unsent notices whose next try is due, in queue order."""
        return await self._repo.due_notifications(limit, after_id=after_id, now=now)

    async def next_try(self) -> float | None:
        """When the earliest deferred notice falls due (None: nothing deferred)."""
        return await self._repo.next_notification_try()

    async def subject(self, payload: NoticePayload) -> NoticeSubject:
        sub = await self._repo.get_submission(payload.submission_id)
        language = await self._repo.get_user_lang(sub.user_id) if sub is not None else None
        in_submission = await self._repo.orders_of_submission(payload.submission_id)
        if payload.order_ids is None:
            return NoticeSubject(sub, language, in_submission, in_submission)
        # The orders a notice names are its submission's: read once, picked here; one
        # that is not (moved or pruned since) is read by its id.
        wanted = set(payload.order_ids)
        orders = [o for o in in_submission if o.id in wanted]
        if len(orders) < len(wanted):
            found = {o.id for o in orders}
            orders = sorted(
                [*orders, *await self._repo.orders_by_ids([i for i in wanted if i not in found])],
                key=lambda o: o.id,
            )
        return NoticeSubject(sub, language, orders, in_submission if sub is not None else orders)

    async def chat_language(self, chat_id: int) -> str | None:
        """The language chosen in a private chat (its user's), None if none was."""
        return await self._repo.get_user_lang(chat_id)

    async def chat_blocked(self, chat_id: int) -> bool:
        return await self._repo.is_chat_blocked(chat_id)

    async def block_chat(self, chat_id: int, *, now: float) -> None:
        """The chat blocked the bot: its pushes are dropped until it writes again."""
        await self._repo.set_chat_blocked(chat_id, now)

    async def drop(self, notification_id: int, reason: str) -> None:
        await self._repo.mark_dropped(notification_id, reason)

    async def sent(self, notification_id: int, *, now: float) -> None:
        await self._repo.mark_sent(notification_id, now=now)

    async def defer(self, notification_id: int, *, next_try_at: float, attempts: int) -> None:
        await self._repo.defer_notification(
            notification_id, next_try_at=next_try_at, attempts=attempts
        )

    async def progress(
        self, notification_id: int, *, parts_sent: int, render_level: int, parts: Sequence[str]
    ) -> None:
        """After each part of a long push: a retry resumes with the same texts."""
        await self._repo.set_notification_progress(
            notification_id, parts_sent=parts_sent, render_level=render_level, parts=parts
        )

    async def park(self, notification_id: int, reason: str, *, now: float) -> None:
        """Give up on a notice: kept and counted as failed."""
        await self._repo.park_notification(notification_id, reason, now=now)
