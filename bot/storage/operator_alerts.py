"""The last state of each condition the operator is alerted about, changed together with
the alert it causes (one transaction), so a crossing is alerted once, never lost."""

from __future__ import annotations

from bot.storage.base import Store, upsert
from bot.storage.outbox import insert_notification
from bot.storage.rows import NewNotification


class OperatorAlertStore(Store):
    async def alert_state(self, key: str) -> str | None:
        row = await self._fetchone("SELECT state FROM operator_alerts WHERE key = ?", (key,))
        return str(row["state"]) if row else None

    async def change_alert_state(
        self, key: str, state: str, note: NewNotification | None, *, now: float, first: bool
    ) -> bool:
        """Set `key` to `state` and queue `note` with it, if the state changed; a first
        state (none stored) queues the note only if `first`. True if a note was queued."""
        async with self._tx() as db:
            async with db.execute(
                "SELECT state FROM operator_alerts WHERE key = ?", (key,)
            ) as cur:
                row = await cur.fetchone()
            previous = str(row["state"]) if row else None
            if previous == state:
                return False
            await upsert(db, "operator_alerts", {"key": key}, {"state": state, "updated_at": now})
            if note is None or (previous is None and not first):
                return False
            await insert_notification(db, note, now)
            return True
