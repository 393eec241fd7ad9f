"""PTB persistence in the bot's SQLite file: conversations and user/chat data as JSON."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.storage.persistence import SqlitePersistence
from bot.storage.repository import Repository

DRAFT: dict[str, Any] = {
    "drafts": {
        "-100123": {
            "amount": 65_000,
            "duration": 900,
            "price": 70,
            "receivers": ["TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"],
            "nonce": "abc",
            "ok": True,
            "none": None,
            "ratio": 1.5,
            "名": "中文",
        }
    }
}


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "bot.db"


@pytest.fixture
async def persistence(db_path: Path) -> AsyncIterator[SqlitePersistence]:
    store = SqlitePersistence(db_path)
    try:
        yield store
    finally:
        await store.flush()


def _repo_of(store: SqlitePersistence) -> Repository | None:
    return store._repo


def _exists(path: Path) -> bool:
    return path.exists()


def _rows(path: Path, query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(query).fetchall()
    conn.close()
    return rows


def test_stores_only_user_data() -> None:
    store = SqlitePersistence("unused.db", update_interval=7.5)
    assert store.store_data.user_data is True
    assert store.store_data.chat_data is False  # unused; PTB would keep one per chat
    assert store.store_data.bot_data is False
    assert store.store_data.callback_data is False
    assert store.update_interval == 7.5


async def test_conversations_round_trip(persistence: SqlitePersistence) -> None:
    assert await persistence.get_conversations("order") == {}
    await persistence.update_conversation("order", (10, 20), "amount")
    await persistence.update_conversation("order", (-100123, 20), "receivers")
    await persistence.update_conversation("order", ("inline", 7), "price")
    await persistence.update_conversation("other", (10, 20), "x")
    assert await persistence.get_conversations("order") == {
        (10, 20): "amount",
        (-100123, 20): "receivers",
        ("inline", 7): "price",
    }
    assert await persistence.get_conversations("other") == {(10, 20): "x"}

    await persistence.update_conversation("order", (10, 20), "duration")
    conversations = await persistence.get_conversations("order")
    assert conversations[(10, 20)] == "duration"
    # Keys come back as tuples with their element types intact.
    assert all(isinstance(key, tuple) for key in conversations)
    assert {type(key[0]) for key in conversations} == {int, str}


async def test_none_state_deletes_the_conversation(persistence: SqlitePersistence) -> None:
    await persistence.update_conversation("order", (1, 2), "amount")
    await persistence.update_conversation("order", (3, 4), "price")
    await persistence.update_conversation("order", (1, 2), None)
    assert await persistence.get_conversations("order") == {(3, 4): "price"}
    await persistence.update_conversation("order", (9, 9), None)  # unknown key: no error
    assert await persistence.get_conversations("order") == {(3, 4): "price"}


async def test_user_and_chat_data_round_trip(persistence: SqlitePersistence) -> None:
    assert await persistence.get_user_data() == {}
    assert await persistence.get_chat_data() == {}
    await persistence.update_user_data(20, DRAFT)
    await persistence.update_user_data(21, {"lang": "zh"})
    await persistence.update_chat_data(-100123, {"page": 2})
    assert await persistence.get_user_data() == {20: DRAFT, 21: {"lang": "zh"}}
    assert await persistence.get_chat_data() == {-100123: {"page": 2}}
    # Same id, different kinds: stored apart.
    await persistence.update_chat_data(20, {"chat": True})
    assert (await persistence.get_user_data())[20] == DRAFT
    assert (await persistence.get_chat_data())[20] == {"chat": True}


async def test_data_is_stored_as_json(persistence: SqlitePersistence, db_path: Path) -> None:
    await persistence.update_user_data(20, {"a": [1, 2]})
    assert _rows(db_path, "SELECT kind, owner_id, data FROM ptb_data") == [
        ("user", 20, '{"a": [1, 2]}')
    ]


async def test_empty_data_deletes_the_row(persistence: SqlitePersistence, db_path: Path) -> None:
    await persistence.update_user_data(20, DRAFT)
    await persistence.update_user_data(20, {})
    assert await persistence.get_user_data() == {}
    await persistence.update_chat_data(5, {"x": 1})
    await persistence.update_chat_data(5, {})
    assert await persistence.get_chat_data() == {}
    assert _rows(db_path, "SELECT COUNT(*) FROM ptb_data") == [(0,)]


async def test_drop_user_and_chat_data(persistence: SqlitePersistence) -> None:
    await persistence.update_user_data(1, {"a": 1})
    await persistence.update_user_data(2, {"b": 2})
    await persistence.update_chat_data(1, {"c": 3})
    await persistence.drop_user_data(1)
    assert await persistence.get_user_data() == {2: {"b": 2}}
    assert await persistence.get_chat_data() == {1: {"c": 3}}
    await persistence.drop_chat_data(1)
    assert await persistence.get_chat_data() == {}
    await persistence.drop_chat_data(404)  # nothing stored: no error


async def test_bot_and_callback_data_are_not_stored(
    persistence: SqlitePersistence, db_path: Path
) -> None:
    await persistence.update_bot_data({"secret": 1})
    await persistence.update_callback_data(([("id", 1.0, {"k": "v"})], {"a": "b"}))
    assert await persistence.get_bot_data() == {}
    get_callback_data: Callable[[], Awaitable[object]] = persistence.get_callback_data
    assert await get_callback_data() is None
    await persistence.refresh_bot_data({"x": 1})
    await persistence.refresh_user_data(1, {"x": 1})
    await persistence.refresh_chat_data(1, {"x": 1})
    assert await persistence.get_user_data() == {}
    assert await persistence.get_chat_data() == {}
    assert _rows(db_path, "SELECT COUNT(*) FROM ptb_data") == [(0,)]
    assert _rows(db_path, "SELECT COUNT(*) FROM ptb_conversations") == [(0,)]


async def test_data_survives_a_restart(db_path: Path) -> None:
    first = SqlitePersistence(db_path)
    await first.update_conversation("order", (10, 20), "receivers")
    await first.update_user_data(20, DRAFT)
    await first.update_chat_data(10, {"page": 1})
    await first.flush()

    second = SqlitePersistence(db_path)
    try:
        assert await second.get_conversations("order") == {(10, 20): "receivers"}
        assert await second.get_user_data() == {20: DRAFT}
        assert await second.get_chat_data() == {10: {"page": 1}}
    finally:
        await second.flush()


async def test_flush_closes_and_reopens_lazily(persistence: SqlitePersistence) -> None:
    await persistence.update_user_data(1, {"a": 1})
    repo = _repo_of(persistence)
    assert repo is not None
    await persistence.flush()
    assert _repo_of(persistence) is None
    with pytest.raises(ValueError, match="no active connection"):
        await repo.get_user_lang(1)
    # Used again after a flush (PTB does not, but it must not break): a new connection.
    assert await persistence.get_user_data() == {1: {"a": 1}}
    reopened = _repo_of(persistence)
    assert reopened is not None
    assert reopened is not repo


async def test_flush_without_use_is_a_no_op(db_path: Path) -> None:
    store = SqlitePersistence(db_path)
    await store.flush()
    await store.flush()
    assert not _exists(db_path)


async def test_shares_the_file_with_the_repository(db_path: Path) -> None:
    repo = await Repository.open(db_path)
    store = SqlitePersistence(db_path)
    try:
        await repo.set_user_lang(20, "zh")
        await store.update_user_data(20, {"a": 1})
        assert await repo.get_user_lang(20) == "zh"
        assert await repo.load_data("user") == {20: '{"a": 1}'}
    finally:
        await store.flush()
        await repo.close()
