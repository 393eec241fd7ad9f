"""Chats (blocked, upgraded to supergroups) and users (their chosen language)."""

from __future__ import annotations

from bot.storage.base import Store, marks, upsert

_MAX_MIGRATIONS = 16  # a chain of upgrades longer than this is not followed further


class ChatStore(Store):
    async def migrate_chat(self, chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup: its orders, submissions and queued pushes move
        to the new id, and the old id is remembered so its signed buttons still work."""
        async with self._tx() as db:
            for table in ("orders", "submissions", "outbox"):
                await db.execute(
                    f"UPDATE {table} SET chat_id = ? WHERE chat_id = ?", (new_chat_id, chat_id)
                )
            # A watch the user also has in the new chat stays there; the old one goes.
            await db.execute(
                "UPDATE OR IGNORE watched_addresses SET chat_id = ? WHERE chat_id = ?",
                (new_chat_id, chat_id),
            )
            await db.execute("DELETE FROM watched_addresses WHERE chat_id = ?", (chat_id,))
            await upsert(db, "chats", {"chat_id": chat_id}, {"migrated_to": new_chat_id})
            await db.execute(
                "INSERT INTO chats (chat_id) VALUES (?) ON CONFLICT (chat_id) DO NOTHING",
                (new_chat_id,),
            )

    async def chats_migrated_into(self, chat_id: int) -> list[int]:
        """Earlier ids of `chat_id` (a group upgraded once, or a chain of upgrades)."""
        found: list[int] = []
        frontier = [chat_id]
        while frontier and len(found) < _MAX_MIGRATIONS:
            earlier = await self._fetchall(
                f"SELECT chat_id FROM chats WHERE migrated_to IN ({marks(len(frontier))})",
                frontier,
            )
            frontier = [int(r["chat_id"]) for r in earlier if int(r["chat_id"]) not in found]
            found.extend(frontier)
        return found

    async def set_chat_blocked(self, chat_id: int, blocked_at: float | None) -> None:
        async with self._tx() as db:
            await upsert(db, "chats", {"chat_id": chat_id}, {"blocked_at": blocked_at})

    async def is_chat_blocked(self, chat_id: int) -> bool:
        row = await self._fetchone("SELECT blocked_at FROM chats WHERE chat_id = ?", (chat_id,))
        return bool(row and row["blocked_at"] is not None)

    async def get_user_lang(self, user_id: int) -> str | None:
        row = await self._fetchone("SELECT lang FROM users WHERE user_id = ?", (user_id,))
        return str(row["lang"]) if row and row["lang"] else None

    async def set_user_lang(self, user_id: int, lang: str | None) -> None:
        async with self._tx() as db:
            await upsert(db, "users", {"user_id": user_id}, {"lang": lang})

    async def forget_user_lang(self, user_id: int) -> None:
        """Back to the Telegram app's language: the user's row goes, not kept as NULL."""
        async with self._tx() as db:
            await db.execute("DELETE FROM users WHERE user_id = ?", (user_id,))
