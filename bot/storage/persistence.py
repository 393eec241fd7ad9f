"""PTB persistence in the bot's SQLite file: conversation states and user data.

PTB reads persistence during `Application.initialize()`, before `post_init` runs, so
this class opens its own connection lazily instead of borrowing the app's repository.
Data is stored as JSON (the wizard keeps only plain values), not pickled.
"""

from __future__ import annotations

import json
from pathlib import Path

from telegram.ext import BasePersistence, PersistenceInput

from bot.storage.repository import Repository

# PTB's own aliases live in a private module (telegram.ext._utils.types); these are the same.
ConversationKey = tuple[int | str, ...]
ConversationDict = dict[ConversationKey, object]

# What PTB keeps per user or chat: JSON objects (the wizard keeps only plain values).
Data = dict[str, object]

_USER = "user"
_CHAT = "chat"


class SqlitePersistence(BasePersistence[Data, Data, Data]):
    def __init__(self, path: Path | str, *, update_interval: float = 2.0) -> None:
        super().__init__(
            # Only user_data holds anything (wizard drafts). Storing chat_data, unused,
            # would also make PTB keep an empty dict in memory for every chat ever seen.
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self._path = path
        self._repo: Repository | None = None

    async def _db(self) -> Repository:
        if self._repo is None:
            self._repo = await Repository.open(self._path)
        return self._repo

    async def _load(self, kind: str) -> dict[int, Data]:
        rows = await (await self._db()).load_data(kind)
        return {owner: json.loads(data) for owner, data in rows.items()}

    async def get_user_data(self) -> dict[int, Data]:
        return await self._load(_USER)

    async def get_chat_data(self) -> dict[int, Data]:
        return await self._load(_CHAT)

    async def get_bot_data(self) -> Data:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        rows = await (await self._db()).load_conversations(name)
        return {tuple(json.loads(key)): json.loads(state) for key, state in rows.items()}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        await (await self._db()).save_conversation(
            name, json.dumps(list(key)), None if new_state is None else json.dumps(new_state)
        )

    async def update_user_data(self, user_id: int, data: Data) -> None:
        await (await self._db()).save_data(_USER, user_id, json.dumps(data) if data else None)

    async def update_chat_data(self, chat_id: int, data: Data) -> None:
        await (await self._db()).save_data(_CHAT, chat_id, json.dumps(data) if data else None)

    async def update_bot_data(self, data: Data) -> None:
        return None

    async def update_callback_data(self, data: object) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        await (await self._db()).save_data(_CHAT, chat_id, None)

    async def drop_user_data(self, user_id: int) -> None:
        await (await self._db()).save_data(_USER, user_id, None)

    async def refresh_user_data(self, user_id: int, user_data: Data) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: Data) -> None:
        return None

    async def refresh_bot_data(self, bot_data: Data) -> None:
        return None

    async def flush(self) -> None:
        if self._repo is not None:
            await self._repo.close()
            self._repo = None
