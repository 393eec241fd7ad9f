"""What the order service answers: a submission's outcome, receiver by receiver, and
the outcome of confirming or cancelling orders."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.providers.errors import ProviderError
from bot.providers.port import ReceiverStatus
from bot.storage.repository import Order, Submission

SHUTDOWN = "SHUTDOWN"  # stored error code: the bot stopped sending because it is shutting down


class SubmitStatus(StrEnum):
    SUBMITTED = "submitted"
    RECOVERED = "recovered"  # the answer was lost, but the orders were found and adopted
    UNCERTAIN = "uncertain"  # the answer was lost; the poller keeps looking
    UNRESOLVED = "unresolved"  # the answer was lost and the provider cannot be asked
    FAILED = "failed"


@dataclass(frozen=True)
class ReceiverReport:
    """What the user is told about one receiver: its stored order, or why there is none."""

    receiver: str | None
    status: ReceiverStatus
    order: Order | None = None
    error: ProviderError | None = None


@dataclass(frozen=True)
class SubmitOutcome:
    submission: Submission
    status: SubmitStatus
    orders: list[Order]
    error: ProviderError | None = None
    # Receiver by receiver, in request order; empty when the request failed as a whole.
    receivers: list[ReceiverReport] = field(default_factory=list)

    @property
    def all_ordered(self) -> bool:
        return all(r.status is ReceiverStatus.ORDERED for r in self.receivers)


class ActionStatus(StrEnum):
    DONE = "done"
    REFUSED = "refused"  # the provider said no (fail_reason)
    ALREADY = "already"  # already in the wanted end state: nothing sent
    NOT_ALLOWED = "not_allowed"  # the order's state does not allow it: nothing sent


@dataclass(frozen=True)
class ActionReport:
    order: Order
    status: ActionStatus
    fail_reason: str | None = None


class NotYourOrder(Exception):
    """A button named an order that does not belong to the chat it was pressed in."""
