"""Errors the bot caught (a handler's, a job's, a poll cycle's), alerted to the operator
chat with their type and where, rate-limited so a loop cannot flood it.

`note` is called from the logging handler (bot/telegram/error_alerts.py) in whatever
thread logged, so it only counts, under a lock; `flush` (a job) queues the alert:

- one kind of error (type and place) is alerted at most once per REPEAT_AFTER; its
  repeats meanwhile are counted and told with its next alert, which goes out once that
  time has passed even if it did not happen again;
- at most ALERTS_PER_HOUR alerts go out in any hour, each listing at most SHOWN kinds;
  what waits is told in a later one;
- at most KEPT kinds are remembered between alerts; errors of any further kind are only
  counted, and that count is told.

When a kind was last alerted, and the recent alerts for the hourly cap, are stored with
the alert, so a bot restarting in a loop does not repeat them either.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Final

from bot.domain import NoticeKind
from bot.storage.repository import NewNotification, NoticePayload, Repository

REPEAT_AFTER: Final = 900.0  # seconds between two alerts of one kind
ALERTS_PER_HOUR: Final = 6
HOUR: Final = 3600.0
SHOWN: Final = 8  # kinds per alert
KEPT: Final = 200  # kinds remembered between alerts
TYPE_CHARS: Final = 80  # each kind's texts are clipped so an alert of SHOWN fits one message
WHERE_CHARS: Final = 160
DETAIL_CHARS: Final = 200
KIND_PREFIX: Final = "error:"
SENT_KEY: Final = "errors:sent"  # the recent alerts' times, for the hourly cap


@dataclass(frozen=True)
class CaughtError:
    type_name: str
    where: str
    detail: str = ""  # already redacted

    @property
    def key(self) -> str:
        return f"{self.type_name}@{self.where}"


@dataclass(frozen=True)
class _Held:
    error: CaughtError  # the first seen since the last alert of its kind
    times: int


def _recent(state: str | None, now: float) -> list[float]:
    times: list[float] = []
    for part in (state or "").split(","):
        try:
            value = float(part)
        except ValueError:
            continue
        if now - value < HOUR:
            times.append(value)
    return times


class ErrorAlerts:
    def __init__(
        self, repo: Repository, chat_id: int, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._repo = repo
        self.chat_id = chat_id
        self._clock = clock
        self._lock = threading.Lock()
        self._held: dict[str, _Held] = {}
        self._others = 0  # errors of kinds beyond KEPT, not yet told

    def note(self, error: CaughtError) -> None:
        """Count one caught error (any thread; never raises, never waits on I/O)."""
        error = replace(
            error,
            type_name=error.type_name[:TYPE_CHARS],
            where=error.where[:WHERE_CHARS],
            detail=error.detail[:DETAIL_CHARS],
        )
        with self._lock:
            held = self._held.get(error.key)
            if held is not None:
                self._held[error.key] = _Held(held.error, held.times + 1)
            elif len(self._held) < KEPT:
                self._held[error.key] = _Held(error, 1)
            else:
                self._others += 1

    def waiting(self) -> int:
        with self._lock:
            return sum(h.times for h in self._held.values()) + self._others

    async def flush(self) -> int:
        """Queue one alert for the kinds that are due; returns how many it lists."""
        with self._lock:
            if not self._held and not self._others:
                return 0
            held = dict(self._held)
            others = self._others
        now = self._clock()
        stored = await self._repo.alert_rows(KIND_PREFIX)
        recent = _recent(await self._repo.alert_state(SENT_KEY), now)
        if len(recent) >= ALERTS_PER_HOUR:
            return 0  # capped: everything waits, still counted
        due = [
            (key, h)
            for key, h in held.items()
            if now - stored.get(KIND_PREFIX + key, ("", -REPEAT_AFTER))[1] >= REPEAT_AFTER
        ]
        shown = due[:SHOWN]
        if not shown and not others:
            return 0
        alert = {
            "count": str(len(shown)),
            "waiting": str(len(held) - len(shown)),
            "others": str(others),
        }
        for index, (_, h) in enumerate(shown):
            alert[f"{index}.type"] = h.error.type_name
            alert[f"{index}.where"] = h.error.where
            alert[f"{index}.detail"] = h.error.detail
            alert[f"{index}.times"] = str(h.times)
        states = {KIND_PREFIX + key: "alerted" for key, _ in shown}
        states[SENT_KEY] = ",".join(f"{t:.3f}" for t in [*recent, now])
        note = NewNotification(
            self.chat_id, NoticeKind.BOT_ERRORS, NoticePayload(submission_id=0, alert=alert)
        )
        await self._repo.mark_alerted(states, note, now=now)
        with self._lock:
            # Errors counted while this was stored stay for the next alert.
            for key, h in shown:
                current = self._held.pop(key, h)
                if current.times > h.times:
                    self._held[key] = _Held(current.error, current.times - h.times)
            self._others -= others
        return len(shown)
