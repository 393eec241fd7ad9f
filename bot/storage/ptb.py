"""PTB's own state (conversation states, wizard drafts) as JSON text, for persistence.py."""

from __future__ import annotations

from collections.abc import Mapping

from bot.storage.base import Param, Store, upsert


class PtbStore(Store):
    async def load_conversations(self, name: str) -> dict[str, str]:
        found = await self._fetchall(
            "SELECT conv_key, state FROM ptb_conversations WHERE name = ?", (name,)
        )
        return {str(r["conv_key"]): str(r["state"]) for r in found}

    async def save_conversation(self, name: str, key: str, state: str | None) -> None:
        await self._put("ptb_conversations", {"name": name, "conv_key": key}, "state", state)

    async def load_data(self, kind: str) -> dict[int, str]:
        found = await self._fetchall("SELECT owner_id, data FROM ptb_data WHERE kind = ?", (kind,))
        return {int(r["owner_id"]): str(r["data"]) for r in found}

    async def save_data(self, kind: str, owner_id: int, data: str | None) -> None:
        await self._put("ptb_data", {"kind": kind, "owner_id": owner_id}, "data", data)

    async def _put(
        self, table: str, keys: Mapping[str, Param], column: str, value: str | None
    ) -> None:
        """Store `value` under `keys`; None deletes the row (PTB's "nothing stored")."""
        async with self._tx() as db:
            if value is None:
                where = " AND ".join(f"{k} = ?" for k in keys)
                await db.execute(f"DELETE FROM {table} WHERE {where}", list(keys.values()))
            else:
                await upsert(db, table, keys, {column: value})

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
