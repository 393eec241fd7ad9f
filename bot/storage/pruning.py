"""Retention: deleting what is no longer needed, in bounded batches
(see bot/services/housekeeping.py for the schedule and the periods)."""

from __future__ import annotations

from bot.domain import OPEN_STATES, OrderState, SubmissionState
from bot.storage.base import Params, Store, marks

_CLOSED = tuple(sorted(s.value for s in OrderState if s not in OPEN_STATES))
_ENDED = tuple(
    sorted(
        s.value
        for s in (SubmissionState.SUBMITTED, SubmissionState.FAILED, SubmissionState.UNRESOLVED)
    )
)
# Pushes still to send may name a chat's orders: while there are any, they stay.
_NO_PUSH_TO_SEND = (
    "NOT EXISTS (SELECT 1 FROM outbox b WHERE b.chat_id = {chat}"
    " AND b.sent_at IS NULL AND b.dropped IS NULL)"
)


class PruningStore(Store):
    async def _delete(self, *statements: tuple[str, Params]) -> int:
        """Run DELETE statements in one transaction; returns the rows deleted."""
        deleted = 0
        async with self._tx() as db:
            for sql, params in statements:
                cur = await db.execute(sql, params)
                deleted += max(cur.rowcount, 0)
        return deleted

    async def prune_outbox(self, *, before: float, batch: int) -> int:
        """Delete up to `batch` pushes sent, or parked as failed, before `before`.
        A push not sent yet is never deleted, however old."""
        return await self._delete(
            (
                "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox"
                " WHERE (sent_at IS NOT NULL AND sent_at < ?)"
                " OR (sent_at IS NULL AND dropped IS NOT NULL AND created_at < ?)"
                " ORDER BY id LIMIT ?)",
                (before, before, batch),
            )
        )

    async def prune_closed_orders(self, *, before: float, batch: int) -> int:
        """Delete up to `batch` orders closed before `before`, then up to `batch` ended
        submissions last changed before it that no order refers to any more.

        Open orders, submissions still being sent or reconciled, and orders of a chat
        with pushes still to send (they may name the order) are never deleted.
        """
        return await self._delete(
            (
                "DELETE FROM orders WHERE id IN (SELECT o.id FROM orders o"
                f" WHERE o.state IN ({marks(len(_CLOSED))})"
                " AND COALESCE(o.closed_at, o.created_at) < ?"
                f" AND {_NO_PUSH_TO_SEND.format(chat='o.chat_id')}"
                " ORDER BY o.id LIMIT ?)",
                (*_CLOSED, before, batch),
            ),
            (
                "DELETE FROM submissions WHERE id IN (SELECT s.id FROM submissions s"
                f" WHERE s.state IN ({marks(len(_ENDED))}) AND s.updated_at < ?"
                " AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.submission_id = s.id)"
                " ORDER BY s.id LIMIT ?)",
                (*_ENDED, before, batch),
            ),
        )

    async def prune_users_without_lang(self, *, batch: int) -> int:
        """Rows that hold no choice (older versions stored "auto" as NULL)."""
        return await self._delete(
            (
                "DELETE FROM users WHERE user_id IN"
                " (SELECT user_id FROM users WHERE lang IS NULL LIMIT ?)",
                (batch,),
            )
        )

    async def prune_left_chats(self, *, before: float, batch: int) -> int:
        """Forget chats that blocked the bot before `before` and have nothing left here:
        no order (whose pushes the mark holds back) and no push to send."""
        return await self._delete(
            (
                "DELETE FROM chats WHERE chat_id IN (SELECT c.chat_id FROM chats c"
                " WHERE c.blocked_at IS NOT NULL AND c.blocked_at < ?"
                " AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.chat_id = c.chat_id)"
                f" AND {_NO_PUSH_TO_SEND.format(chat='c.chat_id')}"
                " LIMIT ?)",
                (before, batch),
            )
        )
