"""Access granted or withdrawn by admins, and the audit trail of admin actions."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.storage.base import Store


@dataclass(frozen=True)
class AuditEntry:
    admin_id: int
    action: str
    target_id: int | None
    detail: str | None
    at: float


async def _audit(  # noqa: PLR0917
    db: aiosqlite.Connection,
    admin_id: int,
    action: str,
    target_id: int | None,
    detail: str | None,
    now: float,
) -> None:
    await db.execute(
        "INSERT INTO admin_audit (admin_id, action, target_id, detail, at) VALUES (?,?,?,?,?)",
        (admin_id, action, target_id, detail, now),
    )


class AccessStore(Store):
    async def set_access(self, user_id: int, allowed: bool, admin_id: int, now: float) -> None:
        """Grant or withdraw access, recorded in the audit trail in the same transaction."""
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO access_grants (user_id, allowed, set_by, set_at) VALUES (?,?,?,?)"
                " ON CONFLICT (user_id) DO UPDATE SET allowed = excluded.allowed,"
                " set_by = excluded.set_by, set_at = excluded.set_at",
                (user_id, int(allowed), admin_id, now),
            )
            await _audit(db, admin_id, "allow" if allowed else "deny", user_id, None, now)

    async def set_limit_audited(
        self, user_id: int, daily_sun: int | None, admin_id: int, detail: str, now: float
    ) -> None:
        """An admin's daily limit for a user, with its audit entry, in one transaction."""
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO spend_limit_overrides (user_id, daily_limit_sun, set_at)"
                " VALUES (?,?,?) ON CONFLICT (user_id) DO UPDATE SET"
                " daily_limit_sun = excluded.daily_limit_sun, set_at = excluded.set_at",
                (user_id, daily_sun, now),
            )
            await _audit(db, admin_id, "limit", user_id, detail, now)

    async def record_admin_action(
        self, admin_id: int, action: str, target_id: int | None, now: float
    ) -> None:
        async with self._tx() as db:
            await _audit(db, admin_id, action, target_id, None, now)

    async def access_grants(self) -> dict[int, bool]:
        rows = await self._fetchall("SELECT user_id, allowed FROM access_grants")
        return {int(r["user_id"]): bool(r["allowed"]) for r in rows}

    async def audit_entries(self, limit: int) -> list[AuditEntry]:
        rows = await self._fetchall(
            "SELECT admin_id, action, target_id, detail, at FROM admin_audit"
            " ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [
            AuditEntry(
                int(r["admin_id"]),
                str(r["action"]),
                None if r["target_id"] is None else int(r["target_id"]),
                r["detail"],
                float(r["at"]),
            )
            for r in rows
        ]
