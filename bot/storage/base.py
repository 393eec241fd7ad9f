"""The one connection and lock every store of the repository shares.

One aiosqlite connection serves the process; an asyncio lock keeps each transaction
whole, since statements of two coroutines would otherwise interleave on it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager

import aiosqlite

# What a statement's "?" placeholders are bound to.
Param = int | float | str | bytes | None
Params = Sequence[Param]

CHUNK = 500  # ids per IN (...) list, well below SQLite's bound-parameter limit


def marks(count: int) -> str:
    """`count` placeholders for an IN (...) list."""
    return ",".join("?" * count)


class Store:
    """Base of the stores: statements on the shared connection, under the shared lock."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        # Rows are read by column name: the owner sets `sqlite3.Row` when it connects.
        self._db = db
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def _fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        async with self._lock, self._db.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def _fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        async with self._lock, self._db.execute(sql, params) as cur:
            return await cur.fetchone()

    async def _fetch_in_chunks(
        self, sql: str, ids: Sequence[Param], params: Params = ()
    ) -> list[sqlite3.Row]:
        """`sql` has one `{marks}` for an IN list; `params` go before the ids."""
        rows: list[sqlite3.Row] = []
        for start in range(0, len(ids), CHUNK):
            chunk = list(ids[start : start + CHUNK])
            rows.extend(
                await self._fetchall(sql.format(marks=marks(len(chunk))), [*params, *chunk])
            )
        return rows


async def upsert(
    db: aiosqlite.Connection, table: str, keys: Mapping[str, Param], values: Mapping[str, Param]
) -> None:
    """Insert a row, or update `values` of the row with these `keys` (table and column
    names come from the code, never from input)."""
    columns = [*keys, *values]
    updates = ", ".join(f"{c} = excluded.{c}" for c in values)
    await db.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks(len(columns))})"
        f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}",
        [*keys.values(), *values.values()],
    )
