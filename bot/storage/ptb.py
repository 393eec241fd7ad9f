"""PTB's own state (conversation states, wizard drafts) as JSON text, for persistence.py."""

from __future__ import annotations

from bot.storage.base import Store


class PtbStore(Store):
    async def load_conversations(self, name: str) -> dict[str, str]:
        found = await self._fetchall(
            "SELECT conv_key, state FROM ptb_conversations WHERE name = ?", (name,)
        )
        return {str(r["conv_key"]): str(r["state"]) for r in found}

    async def save_conversation(self, name: str, key: str, state: str | None) -> None:
        async with self._tx() as db:
            if state is None:
                await db.execute(
                    "DELETE FROM ptb_conversations WHERE name = ? AND conv_key = ?", (name, key)
                )
            else:
                await db.execute(
                    "INSERT INTO ptb_conversations (name, conv_key, state) VALUES (?,?,?)"
                    " ON CONFLICT (name, conv_key) DO UPDATE SET state = excluded.state",
                    (name, key, state),
                )

    async def load_data(self, kind: str) -> dict[int, str]:
        found = await self._fetchall("SELECT owner_id, data FROM ptb_data WHERE kind = ?", (kind,))
        return {int(r["owner_id"]): str(r["data"]) for r in found}

    async def save_data(self, kind: str, owner_id: int, data: str | None) -> None:
        async with self._tx() as db:
            if data is None:
                await db.execute(
                    "DELETE FROM ptb_data WHERE kind = ? AND owner_id = ?", (kind, owner_id)
                )
            else:
                await db.execute(
                    "INSERT INTO ptb_data (kind, owner_id, data) VALUES (?,?,?)"
                    " ON CONFLICT (kind, owner_id) DO UPDATE SET data = excluded.data",
                    (kind, owner_id, data),
                )

    async def chats_left_before(self, before: float, *, limit: int) -> list[int]:
        """Chats that blocked the bot before `before` and still have PTB state stored."""
        found = await self._fetchall(
            "SELECT c.chat_id FROM chats c WHERE c.blocked_at IS NOT NULL AND c.blocked_at < ?"
            " AND (EXISTS (SELECT 1 FROM ptb_data d WHERE d.owner_id = c.chat_id)"
            " OR EXISTS (SELECT 1 FROM ptb_conversations v"
            " WHERE v.conv_key LIKE '[' || c.chat_id || ',%'))"
            " ORDER BY c.chat_id LIMIT ?",
            (before, limit),
        )
        return [int(r["chat_id"]) for r in found]

    async def drop_ptb_state_of_chat(self, chat_id: int) -> None:
        """The chat's conversation states and data. User ids are positive and group ids
        negative, so in a private chat (chat id = user id) the user's data, which holds
        only wizard drafts, goes too."""
        async with self._tx() as db:
            await db.execute(
                "DELETE FROM ptb_conversations WHERE conv_key LIKE ?", (f"[{chat_id},%",)
            )
            await db.execute("DELETE FROM ptb_data WHERE owner_id = ?", (chat_id,))
