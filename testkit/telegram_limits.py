"""Telegram's send limits, enforced by the Bot API stand-in when asked to.

What Telegram documents (Bots FAQ, "My bot is hitting limits, how do I avoid this?"):
no more than one message per second in one chat, short bursts allowed; no more than 20
messages per minute in one group; no more than about 30 messages per second overall.
It answers more with 429 "Too Many Requests: retry after N" and `parameters.retry_after`.

The stand-in's reading (where the FAQ gives no number, the choice is ours and said so):
- overall: at most 30 sends in any rolling second (a sliding window, the strict reading
  of "30 per second": a burst of 30 followed by 30 more inside the same second is refused);
- private chat: a token bucket of 1 message per second holding `private_burst` (3, our
  choice for "short bursts") messages;
- group (negative chat id or a chat seen as group/supergroup): at most 20 in any rolling
  60 seconds.
A refused send counts against nothing. Edits count like sends: they are messages Telegram
renders, and counting them is the stricter choice.
"""

from __future__ import annotations

import math
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

# Methods that put a message on screen; getUpdates, answerCallbackQuery etc. are not limited.
LIMITED_METHODS: Final = frozenset(
    {
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
        "copyMessage",
        "forwardMessage",
        "sendPhoto",
        "sendDocument",
    }
)
GROUP_TYPES: Final = frozenset({"group", "supergroup"})


@dataclass(frozen=True)
class TelegramLimits:
    overall_per_second: int = 30
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: int = 20


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class SendLimiter:
    """Decides whether one more send may go out now; not thread-safe (the server locks)."""

    limits: TelegramLimits = field(default_factory=TelegramLimits)
    clock: Callable[[], float] = time.monotonic
    refused: Counter[str] = field(default_factory=Counter)  # 429s sent, by rule
    _overall: deque[float] = field(default_factory=deque)
    _groups: dict[int, deque[float]] = field(default_factory=dict)
    _private: dict[int, _Bucket] = field(default_factory=dict)

    def admit(self, chat_id: int, chat_type: str | None = None) -> int | None:
        """None if the send may go out (and is counted), else the retry_after seconds."""
        now = self.clock()
        _expire(self._overall, now - 1.0)
        waits: list[tuple[str, float]] = []
        if len(self._overall) >= self.limits.overall_per_second:
            waits.append(("overall", self._overall[0] + 1.0 - now))
        is_group = chat_type in GROUP_TYPES or (chat_type is None and chat_id < 0)
        if is_group:
            window = self._groups.setdefault(chat_id, deque())
            _expire(window, now - 60.0)
            if len(window) >= self.limits.group_per_minute:
                waits.append(("group", window[0] + 60.0 - now))
        else:
            bucket = self._private.get(chat_id)
            if bucket is None:
                bucket = self._private[chat_id] = _Bucket(float(self.limits.private_burst), now)
            rate = self.limits.private_per_second
            bucket.tokens = min(
                float(self.limits.private_burst), bucket.tokens + (now - bucket.at) * rate
            )
            bucket.at = now
            if bucket.tokens < 1.0:
                waits.append(("private", (1.0 - bucket.tokens) / rate))
        if waits:
            rule, wait = max(waits, key=lambda w: w[1])
            self.refused[rule] += 1
            return max(1, math.ceil(wait))  # Telegram answers whole seconds
        self._overall.append(now)
        if is_group:
            self._groups[chat_id].append(now)
        else:
            self._private[chat_id].tokens -= 1.0
        return None

    @property
    def total_refused(self) -> int:
        return sum(self.refused.values())


def _expire(window: deque[float], before: float) -> None:
    while window and window[0] <= before:
        window.popleft()
