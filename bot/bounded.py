"""Small in-memory structures whose size stays bounded however long the bot runs.

Anything keyed by chat, user or order would otherwise grow with every chat that ever
wrote to the bot. Each structure here either frees an entry as soon as nobody uses it
(`KeyedLocks`) or holds at most `maxsize` entries, dropping the least recently used
(`BoundedSet`, `KeyedRateLimit`). Written here rather than taken from cachetools: the
three are a few lines each, and cachetools would add a dependency without type hints.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from types import TracebackType
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class _Entry:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0  # holders plus waiters


class _KeyLock(Generic[K]):
    """`async with locks[key]:` holds the key's lock; the last user frees the entry."""

    __slots__ = ("_key", "_owner")

    def __init__(self, owner: KeyedLocks[K], key: K) -> None:
        self._owner = owner
        self._key = key

    async def __aenter__(self) -> None:
        entries = self._owner._entries
        entry = entries.get(self._key)
        if entry is None:
            entry = entries[self._key] = _Entry()
        entry.users += 1
        try:
            await entry.lock.acquire()
        except BaseException:
            self._owner._release_user(self._key, entry)
            raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        entry = self._owner._entries[self._key]
        entry.lock.release()
        self._owner._release_user(self._key, entry)


class KeyedLocks(Generic[K]):
    """One asyncio lock per key, alive only while someone holds or waits for it.

    Waiters of one key get the lock in the order they asked for it (asyncio.Lock is
    FIFO), and the map holds only keys in use, so it is bounded by the number of
    coroutines at work, not by the number of keys ever seen.
    """

    def __init__(self) -> None:
        self._entries: dict[K, _Entry] = {}

    def __getitem__(self, key: K) -> _KeyLock[K]:
        return _KeyLock(self, key)

    def __len__(self) -> int:
        return len(self._entries)

    def locked(self, key: K) -> bool:
        entry = self._entries.get(key)
        return entry is not None and entry.lock.locked()

    def _release_user(self, key: K, entry: _Entry) -> None:
        entry.users -= 1
        if entry.users == 0 and self._entries.get(key) is entry:
            del self._entries[key]


class BoundedSet(Generic[K]):
    """A set of at most `maxsize` items; adding one more forgets the least recently added
    or re-added. For "already warned about this" memories, where forgetting an old item
    only means one more warning."""

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._items: OrderedDict[K, None] = OrderedDict()

    def add(self, item: K) -> None:
        self._items[item] = None
        self._items.move_to_end(item)
        while len(self._items) > self.maxsize:
            self._items.popitem(last=False)

    def discard(self, item: K) -> None:
        self._items.pop(item, None)

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[K]:
        return iter(list(self._items))


class KeyedRateLimit(Generic[K]):
    """At most `per_key` events per key in `window` seconds, and at most `overall`
    events in `overall_window` seconds (default: `window`) for all keys together;
    whatever is over is refused, not delayed.

    Windows are fixed, starting at a key's first event. At most `maxsize` keys are
    remembered: under a flood from more keys than that, the oldest are forgotten, and
    the overall limit still caps what gets through.
    """

    def __init__(
        self,
        *,
        per_key: int,
        overall: int,
        window: float,
        overall_window: float | None = None,
        maxsize: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        overall_window = window if overall_window is None else overall_window
        if per_key < 1 or overall < 1 or min(window, overall_window) <= 0 or maxsize < 1:
            raise ValueError("per_key, overall and maxsize must be >= 1, windows > 0")
        self.per_key = per_key
        self.overall = overall
        self.window = window
        self.overall_window = overall_window
        self.maxsize = maxsize
        self._clock = clock
        self._keys: OrderedDict[K, tuple[float, int]] = OrderedDict()
        self._overall_start = float("-inf")
        self._overall_count = 0

    def allow(self, key: K) -> bool:
        """Count one event of `key`; True if it is within both limits."""
        now = self._clock()
        if now - self._overall_start >= self.overall_window:
            self._overall_start, self._overall_count = now, 0
        start, count = self._keys.get(key, (now, 0))
        if now - start >= self.window:
            start, count = now, 0
        if count >= self.per_key or self._overall_count >= self.overall:
            return False
        self._keys[key] = (start, count + 1)
        self._keys.move_to_end(key)
        while len(self._keys) > self.maxsize:
            self._keys.popitem(last=False)
        self._overall_count += 1
        return True

    def __len__(self) -> int:
        return len(self._keys)
