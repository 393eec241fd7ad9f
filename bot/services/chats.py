"""Who the bot talks to: users' chosen languages, chats that blocked the bot, and groups
upgraded to supergroups (their orders and pushes move with them)."""

from __future__ import annotations

from bot.storage.repository import Repository


class ChatService:
    def __init__(self, repo: Repository) -> None:
        self._repo = repo

    async def language(self, user_id: int) -> str | None:
        """The language the user chose, or None to follow their Telegram app."""
        return await self._repo.get_user_lang(user_id)

    async def set_language(self, user_id: int, lang: str) -> None:
        await self._repo.set_user_lang(user_id, lang)

    async def forget_language(self, user_id: int) -> None:
        """Follow the Telegram app again (no row is kept for it)."""
        await self._repo.forget_user_lang(user_id)

    async def keep_language(self, user_id: int, lang: str) -> None:
        """Remember the language a user spoke in, unless they chose one, so pushes to
        their chats use it."""
        if await self._repo.get_user_lang(user_id) is None:
            await self._repo.set_user_lang(user_id, lang)

    async def resume(self, chat_id: int) -> None:
        """A chat that writes to the bot again has unblocked it: its pushes resume."""
        if await self._repo.is_chat_blocked(chat_id):
            await self._repo.set_chat_blocked(chat_id, None)

    async def known_ids(self, chat_id: int) -> list[int]:
        """The chat's id, then the ids of the groups it was upgraded from."""
        return [chat_id, *await self._repo.chats_migrated_into(chat_id)]

    async def migrate(self, old: int, new: int) -> None:
        """Move a group's orders and queued pushes to the supergroup it became."""
        await self._repo.migrate_chat(old, new)
