"""The last state of each condition the operator is alerted about, changed together with
the alert it causes (one transaction), so a crossing is alerted once, never lost."""

from __future__ import annotations

from collections.abc import Mapping

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

    async def mark_alerted(
        self, states: Mapping[str, str], note: NewNotification, *, now: float
    ) -> None:
        """Store these alert states and queue `note` with them, in one transaction: what
        is marked went out (or will, through the outbox), so it is not alerted again."""
        async with self._tx() as db:
            for key, state in states.items():
                await upsert(
                    db, "operator_alerts", {"key": key}, {"state": state, "updated_at": now}
                )
            await insert_notification(db, note, now)

    async def alert_rows(self, prefix: str) -> dict[str, tuple[str, float]]:
        """Every stored alert state whose key starts with `prefix`: key -> (state, when)."""
        found = await self._fetchall(
            "SELECT key, state, updated_at FROM operator_alerts WHERE substr(key, 1, ?) = ?",
            (len(prefix), prefix),
        )
        return {str(r["key"]): (str(r["state"]), float(r["updated_at"])) for r in found}
