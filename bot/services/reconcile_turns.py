"""Whose turn it is to be reconciled, within a time budget per poll cycle.

Searching a provider's history is paced (TronSave: one request per 2 s), so a few uncertain
submissions could otherwise hold up every cycle's tracking for minutes. Each cycle gets a
budget; submissions are taken least recently tried first, so the ones a cycle did not
reach go first in the next.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from bot.storage.repository import Submission


class ReconcileTurns:
    def __init__(self, budget: float, *, monotonic: Callable[[], float] = time.monotonic):
        self.budget = budget
        # A search is not started with less than this left: it would only be cut off.
        self.min_slice = budget / 4
        self._monotonic = monotonic
        self._tried: dict[int, float] = {}
        self._deadline = 0.0

    def start_cycle(self, pending: Iterable[Submission]) -> list[Submission]:
        """The submissions in turn order; forgets those no longer pending."""
        subs = list(pending)
        live = {s.id for s in subs}
        for sub_id in [i for i in self._tried if i not in live]:
            del self._tried[sub_id]
        self._deadline = self._monotonic() + self.budget
        return sorted(subs, key=lambda s: (self._tried.get(s.id, -1.0), s.id))

    def remaining(self) -> float:
        return self._deadline - self._monotonic()

    def can_start(self) -> bool:
        return self.remaining() >= self.min_slice

    def tried(self, sub: Submission) -> None:
        self._tried[sub.id] = self._monotonic()
