"""Test access to the repository beyond what the bot itself calls."""

from __future__ import annotations

from bot.storage.outbox import insert_notification
from bot.storage.repository import NewNotification, NoticePayload, Notification, Order, Repository


async def queue_notice(repo: Repository, note: NewNotification, *, now: float) -> None:
    """Queue a push on its own (the bot queues one only with the change it announces)."""
    async with repo._tx() as db:
        await insert_notification(db, note, now)


async def queue_raw_notice(
    repo: Repository, chat_id: int, kind: str, payload: str, *, now: float
) -> None:
    """An outbox row as stored text: what another version of the bot may have written."""
    async with repo._tx() as db:
        await db.execute(
            "INSERT INTO outbox (chat_id, kind, payload, created_at) VALUES (?,?,?,?)",
            (chat_id, kind, payload, now),
        )


async def stored_order(repo: Repository, order_id: int) -> Order | None:
    found = await repo.orders_by_ids([order_id])
    return found[0] if found else None


def payload_of(note: Notification) -> NoticePayload:
    """The payload of a notice the bot queued itself (always readable)."""
    assert note.payload is not None, note
    return note.payload
