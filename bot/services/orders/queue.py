"""Creates in a visible queue: one line per provider key, served in press order.

A create call is paced (TronSave: one per 2 s per key) and never retried, so presses
that come together wait. Without a line of its own, who goes first would depend on
which handler reached the pacer's lock first, after its own Telegram round trips; and
nobody could tell a user how long they wait. Here a press takes a ticket at once
(`join`, no await), submissions take their turn strictly in ticket order (`wait_turn`),
one at a time per key, and a waiting ticket can say its place and about how long until
its turn (`Ticket.place`), estimated from what each submission ahead keeps the create
endpoint busy for (`EnergyProvider.submit_seconds`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.providers.port import EnergyProvider, OrderRequest


@dataclass(frozen=True)
class Place:
    """Where a waiting ticket stands: `position` - 1 submissions are ahead of it (the one
    sending now included)."""

    position: int
    wait_seconds: float  # about how long until its turn


class _Lane:
    """One key's line: the submission sending now and the tickets behind it."""

    def __init__(self) -> None:
        self.waiting: list[Ticket] = []
        self.running: Ticket | None = None
        self.running_since = 0.0
        self.version = 0  # counts the moves of the line
        self.moved = asyncio.Event()  # set (and replaced) at every move of the line

    def move(self) -> None:
        self.version += 1
        self.moved.set()
        self.moved = asyncio.Event()


class Ticket:
    """One press's place in its key's line."""

    def __init__(self, lane: _Lane, seconds: float, clock: Callable[[], float]) -> None:
        self.lane = lane
        self.seconds = seconds  # how long this submission keeps the endpoint busy
        self._clock = clock
        self.turned = False  # its turn came (or it left the line)

    def place(self) -> Place | None:
        """Its place while it waits behind others; None once nothing is ahead of it
        (its turn has come, or it goes as soon as it asks)."""
        lane = self.lane
        if self.turned or self not in lane.waiting:
            return None
        ahead = lane.waiting[: lane.waiting.index(self)]
        if lane.running is None and not ahead:
            return None
        wait = sum(t.seconds for t in ahead)
        if lane.running is not None:
            elapsed = self._clock() - lane.running_since
            wait += max(lane.running.seconds - elapsed, 0.0)
            ahead = [lane.running, *ahead]
        return Place(len(ahead) + 1, wait)

    @property
    def version(self) -> int:
        """The line's move count: pass it to `moved` so no move is missed in between."""
        return self.lane.version

    async def moved(self, since: int) -> None:
        """Returns once the line has moved since `version` was `since` (someone ahead
        went or left, or this one's turn came)."""
        while self.lane.version == since:
            await self.lane.moved.wait()


class CreateQueue:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lanes: dict[tuple[str, str], _Lane] = {}

    def join(self, adapter: EnergyProvider, request: OrderRequest) -> Ticket:
        """A ticket at the end of the adapter's key's line (synchronous: the place is the
        press's, whatever the caller awaits next)."""
        lane = self._lanes.setdefault((adapter.name.value, adapter.key_id), _Lane())
        ticket = Ticket(lane, adapter.submit_seconds(request), self._clock)
        lane.waiting.append(ticket)
        return ticket

    async def wait_turn(self, ticket: Ticket) -> None:
        """Returns when `ticket` is first in line and nobody is sending: it is then the
        one sending, until `done`."""
        lane = ticket.lane
        if ticket.turned:
            raise RuntimeError("this ticket has had its turn or left the line")
        while lane.running is not None or lane.waiting[0] is not ticket:
            await ticket.moved(lane.version)
        lane.waiting.pop(0)
        lane.running = ticket
        lane.running_since = self._clock()
        ticket.turned = True
        lane.move()

    def done(self, ticket: Ticket) -> None:
        """The ticket's create calls are over, or it leaves the line; idempotent."""
        lane = ticket.lane
        if lane.running is ticket:
            lane.running = None
        elif ticket in lane.waiting:
            lane.waiting.remove(ticket)
        else:
            return
        ticket.turned = True
        lane.move()
