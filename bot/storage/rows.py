"""What the repository stores and returns: typed rows, and their mapping from SQLite.

Rows are read by column name (`sqlite3.Row`), never by position, so a query may list
its columns in any order and a column added by a migration cannot shift the others.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Final, Generic, TypeVar

import pydantic

from bot.domain import NoticeKind, OrderState, PlacedOrder, ProviderName, SubmissionState

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


@dataclass(frozen=True, slots=True)
class Submission:
    id: int
    chat_id: int
    user_id: int
    provider: ProviderName
    key_id: str
    amount: int
    duration_sec: int
    max_price: int
    deadline_sec: int
    receivers: tuple[str, ...]
    state: SubmissionState
    error_code: str | None
    created_at: float
    updated_at: float
    # Our clock: the create request's send time and the latest moment it could have acted;
    # the provider's clock offset bounds measured then. None until a lost answer records them.
    sent_at: float | None = None
    answer_by: float | None = None
    offset_low: float | None = None
    offset_high: float | None = None
    # The transfer the order was sized for: its payee and the energy of one (None: not
    # sized, or stored before the bot kept it).
    payee: str | None = None
    transfer_energy: int | None = None


@dataclass(frozen=True, slots=True)
class Order:
    id: int
    submission_id: int
    provider: ProviderName
    key_id: str
    provider_order_id: str
    chat_id: int
    receiver: str | None
    amount: int
    duration_sec: int
    state: OrderState
    raw_status: str | None
    created_at: float
    deadline_at: float | None
    matched_at: float | None
    ends_at: float | None
    closed_at: float | None
    charge_sun: int | None
    refund_sun: int | None
    delivered_amount: int | None
    delegate_txid: str | None
    provider_created_at: float | None  # the provider's clock, where it differs from ours


# What the repository stores for a new order is what the provider port returns.
NewOrder = PlacedOrder


@dataclass(frozen=True, slots=True)
class ReceiverRecord:
    """One receiver's stored progress (`outcome` is a ReceiverStatus value, or "sending")."""

    position: int
    receiver: str
    outcome: str
    provider_order_id: str | None
    error_code: str | None
    error_detail: str | None


@dataclass(frozen=True, slots=True)
class ReceiverUpdate:
    """A receiver's new outcome, with the order it produced (if any) to store with it."""

    position: int | None
    receiver: str | None
    outcome: str
    order: NewOrder | None = None
    error_code: str | None = None
    error_detail: str | None = None


RECEIVER_SENDING = "sending"


@dataclass(frozen=True, slots=True)
class OrderChanges:
    """Facts about an order learnt later. Only the fields set (not None) are written: a
    change never erases what is stored, and state and identity are not among them."""

    matched_at: float | None = None
    ends_at: float | None = None
    closed_at: float | None = None
    charge_sun: int | None = None
    refund_sun: int | None = None
    delivered_amount: int | None = None
    delegate_txid: str | None = None
    provider_created_at: float | None = None

    def columns(self) -> dict[str, float | int | str]:
        """The column values to write, by name (field names are the column names)."""
        values = ((f.name, getattr(self, f.name)) for f in fields(self))
        return {name: value for name, value in values if value is not None}


@dataclass(frozen=True, slots=True)
class Transition:
    """Move one order from the state it was read in to a new one (compare-and-set)."""

    order: Order
    state: OrderState
    raw_status: str | None
    changes: OrderChanges = field(default_factory=OrderChanges)


@dataclass(frozen=True, slots=True)
class NoticePayload:
    """What a queued push refers to; stored as JSON, read back when it is rendered."""

    submission_id: int
    order_ids: tuple[int, ...] | None = None  # None: every order of the submission
    # A search-ended notice: the receivers found, and those not in the history.
    found: tuple[str, ...] | None = None
    missing: tuple[str, ...] | None = None
    # An operator alert (submission_id 0): its figures, already formatted for the text.
    alert: dict[str, str] | None = None

    def to_json(self) -> str:
        # Keys sorted and unset fields left out: the JSON earlier versions wrote.
        return json.dumps(_PAYLOAD.dump_python(self, exclude_none=True), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> NoticePayload | None:
        """None if the stored JSON is not a payload this version reads (it never raises:
        one unreadable notice must not stop the others being loaded)."""
        try:
            return _PAYLOAD.validate_json(text, strict=True)
        except pydantic.ValidationError:
            return None


_PAYLOAD: Final = pydantic.TypeAdapter(NoticePayload)


@dataclass(frozen=True, slots=True)
class Notification:
    """A queued push. `kind` or `payload` is None when the stored value is not one this
    version knows (e.g. written by a newer bot): rendering it fails, so it uses up its
    attempts and is parked like any notice that cannot be sent."""

    id: int
    chat_id: int
    kind: NoticeKind | None
    payload: NoticePayload | None
    created_at: float
    attempts: int = 0
    parts_sent: int = 0  # messages of a long push already accepted by Telegram
    render_level: int = 0  # how far the push had to be simplified to be accepted
    parts: tuple[str, ...] = ()  # a long push's texts as first sent, for resuming it


@dataclass(frozen=True, slots=True)
class NewNotification:
    chat_id: int
    kind: NoticeKind
    payload: NoticePayload


@dataclass(frozen=True, slots=True)
class Watch:
    """Tracking health of one order (the `order_watch` row)."""

    order_id: int
    failures: int  # consecutive unreadable answers
    last_error: str | None
    next_poll_at: float | None  # not asked again before this (slower pace once reported)
    unreadable_reported: bool


# -- mapping rows by column name -------------------------------------------------------

_Row = TypeVar("_Row", bound="DataclassInstance")
Convert = Callable[[object], object]


def columns(row_type: type[DataclassInstance], prefix: str = "") -> str:
    """The SELECT list of a row type: its field names, optionally table-qualified."""
    return ", ".join(prefix + f.name for f in fields(row_type))


class RowReader(Generic[_Row]):
    """Builds `row_type` from rows by column name; `convert` turns stored values (text,
    JSON) into the field's type. Where each field sits is worked out once per distinct
    SELECT list (the code has a handful), not per row: a poll cycle maps thousands."""

    def __init__(self, row_type: type[_Row], convert: Mapping[str, Convert] | None = None) -> None:
        self._type = row_type
        self._names = tuple(f.name for f in fields(row_type))
        self._convert = dict(convert or {})
        self._plans: dict[tuple[str, ...], _Plan] = {}

    def __call__(self, row: sqlite3.Row) -> _Row:
        keys = tuple(row.keys())
        plan = self._plans.get(keys) or self._plan(keys)
        values = [row[i] for i in plan.positions]
        for i, convert in plan.converts:
            values[i] = convert(values[i])
        if plan.complete:
            return self._type(*values)
        return self._type(**dict(zip(plan.names, values, strict=True)))

    def _plan(self, keys: tuple[str, ...]) -> _Plan:
        at = {name: i for i, name in enumerate(keys)}
        names = tuple(n for n in self._names if n in at)
        plan = _Plan(
            names=names,
            positions=tuple(at[n] for n in names),
            converts=tuple(
                (i, self._convert[n]) for i, n in enumerate(names) if n in self._convert
            ),
            complete=names == self._names,
        )
        self._plans[keys] = plan
        return plan


@dataclass(frozen=True, slots=True)
class _Plan:
    names: tuple[str, ...]  # the fields the SELECT list has, in field order
    positions: tuple[int, ...]  # each one's column
    converts: tuple[tuple[int, Convert], ...]  # (index in names, converter)
    complete: bool  # every field there: built positionally


def _receivers(value: object) -> tuple[str, ...]:
    return tuple(json.loads(str(value)))


def _notice_kind(value: object) -> NoticeKind | None:
    try:
        return NoticeKind(str(value))
    except ValueError:
        return None


def _parts(value: object) -> tuple[str, ...]:
    """A long push's stored texts; unreadable ones are dropped (it is rendered afresh)."""
    try:
        return _PARTS.validate_json(str(value), strict=True) if value else ()
    except pydantic.ValidationError:
        return ()


_PARTS: Final = pydantic.TypeAdapter(tuple[str, ...])


_ORDER: Final[Mapping[str, Convert]] = {
    "provider": lambda v: ProviderName(str(v)),
    "state": lambda v: OrderState(str(v)),
}
_SUBMISSION: Final[Mapping[str, Convert]] = {
    "provider": lambda v: ProviderName(str(v)),
    "state": lambda v: SubmissionState(str(v)),
    "receivers": _receivers,
}
_NOTIFICATION: Final[Mapping[str, Convert]] = {
    "kind": _notice_kind,
    "payload": lambda v: NoticePayload.from_json(str(v)),
    "parts": _parts,
}
_WATCH: Final[Mapping[str, Convert]] = {"unreadable_reported": bool}

ORDER_COLUMNS: Final = columns(Order)
SUBMISSION_COLUMNS: Final = columns(Submission)
NOTIFICATION_COLUMNS: Final = columns(Notification)
RECEIVER_COLUMNS: Final = columns(ReceiverRecord)


order: Final = RowReader(Order, _ORDER)
submission: Final = RowReader(Submission, _SUBMISSION)
notification: Final = RowReader(Notification, _NOTIFICATION)


receiver_record: Final = RowReader(ReceiverRecord)
watch: Final = RowReader(Watch, _WATCH)
