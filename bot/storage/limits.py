"""Spend limits: per-user daily overrides and what a user has committed since a moment."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import OrderState, SubmissionState
from bot.storage.base import Store

# Orders that cost nothing in the end (refunded or never placed) do not count.
_FREE_STATES = (OrderState.CANCELLED.value, OrderState.EXPIRED.value, OrderState.FAILED.value)


@dataclass(frozen=True)
class DailyOverride:
    """An admin's daily limit for one user; `daily_sun` None: no limit for them."""

    daily_sun: int | None


class LimitStore(Store):
    async def set_daily_override(self, user_id: int, daily_sun: int | None, now: float) -> None:
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO spend_limit_overrides (user_id, daily_limit_sun, set_at)"
                " VALUES (?,?,?) ON CONFLICT (user_id) DO UPDATE SET"
                " daily_limit_sun = excluded.daily_limit_sun, set_at = excluded.set_at",
                (user_id, daily_sun, now),
            )

    async def daily_override(self, user_id: int) -> DailyOverride | None:
        row = await self._fetchone(
            "SELECT daily_limit_sun FROM spend_limit_overrides WHERE user_id = ?", (user_id,)
        )
        if row is None:
            return None
        value = row["daily_limit_sun"]
        return DailyOverride(None if value is None else int(value))

    async def committed_since(self, user_id: int, since: float) -> int:
        """SUN the user's submissions created at or after `since` may cost at their
        quoted (maximum) price: a submission still sending or uncertain counts in full,
        a submitted one by its orders that are still pending, running or ran; a failed
        one not at all."""
        free = ",".join("?" * len(_FREE_STATES))
        row = await self._fetchone(
            "SELECT COALESCE(SUM(s.max_price * CASE WHEN s.state = ? THEN"
            " (SELECT COALESCE(SUM(o.amount), 0) FROM orders o WHERE o.submission_id = s.id"
            f" AND o.state NOT IN ({free}))"
            " ELSE s.amount * json_array_length(s.receivers) END), 0) AS total"
            " FROM submissions s WHERE s.user_id = ? AND s.created_at >= ? AND s.state != ?",
            (
                SubmissionState.SUBMITTED.value,
                *_FREE_STATES,
                user_id,
                since,
                SubmissionState.FAILED.value,
            ),
        )
        return int(row["total"]) if row is not None else 0
