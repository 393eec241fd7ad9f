"""An adapter's progress while it submits, stored the moment it is reported."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.providers.port import ReceiverResult
from bot.storage.repository import ReceiverUpdate, Repository, Submission


class SubmitStopped(Exception):
    """Raised into the adapter, before a create request, when the bot is shutting down."""


class StoredProgress:
    """The adapter's progress, written to the database the moment it is reported."""

    def __init__(
        self,
        repo: Repository,
        sub: Submission,
        clock: Callable[[], float],
        keep_going: Callable[[], bool],
    ) -> None:
        self._repo = repo
        self._sub = sub
        self._clock = clock
        self._keep_going = keep_going

    async def sending(self, positions: Sequence[int]) -> None:
        if not self._keep_going():
            raise SubmitStopped  # before anything is marked or sent: not attempted
        await self._repo.mark_receivers_sending(self._sub, positions, now=self._clock())

    async def settled(self, results: Sequence[ReceiverResult]) -> None:
        updates = [
            ReceiverUpdate(
                r.position,
                r.receiver,
                r.status.value,
                r.order,
                r.error.code if r.error is not None else None,
                r.error.detail if r.error is not None else None,
            )
            for r in results
        ]
        await self._repo.record_receivers(self._sub, updates, now=self._clock())
