"""A scriptable in-memory `EnergyProvider` for service and poller tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.domain import OrderState, PlacedOrder, ProviderName
from bot.providers.errors import FailureReason, ProviderError
from bot.providers.port import (
    ActionOutcome,
    Balance,
    OrderRequest,
    PriceQuote,
    ReceiverResult,
    ReceiverStatus,
    Settlement,
    StatusUpdate,
    SubmissionQuery,
    SubmitProgress,
    SubmitResult,
    TrackedOrder,
    Unreadable,
)


@dataclass
class FakeProvider:
    name: ProviderName = ProviderName.TRONSAVE
    key_id: str = "fakekey"
    supports_confirm: bool = True
    track_batch: int = 500
    durations: tuple[int, ...] = (900, 3600)
    unit_price: int = 60
    statuses: dict[str, str] = field(default_factory=dict)  # provider id -> raw status
    submit_error: ProviderError | None = None
    create_despite_error: bool = False  # the order exists although the answer was lost
    history: list[PlacedOrder] = field(default_factory=list)
    recover_result: str = "history"  # "history" or "none" (provider cannot tell)
    confirm_fail: dict[str, str] = field(default_factory=dict)
    refunds: dict[str, int] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    clock: Callable[[], float] = time.time
    balance_sun: int = 123_000_000
    balance_error: ProviderError | None = None
    submit_pace: float = 2.0  # seconds a submission keeps the create endpoint busy
    _next: int = 0

    def _new_id(self) -> str:
        self._next += 1
        return f"{self.name.value}-{self._next:04d}"

    def check_request(self, request: OrderRequest) -> FailureReason | None:
        return None

    async def price(self, amount: int, duration_sec: int) -> PriceQuote:
        self.calls.append("price")
        return PriceQuote(self.name, self.unit_price, self.unit_price * amount, 10_000, True)

    def submit_seconds(self, request: OrderRequest) -> float:
        return self.submit_pace

    async def submit(
        self, request: OrderRequest, progress: SubmitProgress | None = None
    ) -> SubmitResult:
        self.calls.append("submit")
        orders = [
            PlacedOrder(
                self._new_id(),
                r,
                request.amount,
                request.duration_sec,
                raw_status="Pending",
                deadline_at=self.clock() + request.deadline_sec,
            )
            for r in request.receivers
        ]
        if self.submit_error is not None:
            if self.create_despite_error:
                self.history.extend(orders)
                for o in orders:
                    self.statuses[o.provider_order_id] = "Pending"
            raise self.submit_error
        for o in orders:
            self.statuses[o.provider_order_id] = "Pending"
        self.history.extend(orders)
        results = [
            ReceiverResult(i, o.receiver, ReceiverStatus.ORDERED, o) for i, o in enumerate(orders)
        ]
        if progress is not None:
            await progress.settled(results)
        return SubmitResult(results)

    async def recover(self, submission: SubmissionQuery) -> list[PlacedOrder] | None:
        self.calls.append("recover")
        if self.recover_result == "none":
            return None
        return [o for o in self.history if o.receiver in submission.receivers]

    async def track(self, orders: Sequence[TrackedOrder]) -> list[StatusUpdate | Unreadable]:
        self.calls.append(f"track:{len(orders)}")
        states = {
            "Pending": OrderState.PENDING,
            "Matched": OrderState.MATCHED,
            "Completed": OrderState.MATCHED,
        }
        return [
            StatusUpdate(o.provider_order_id, states.get(raw, OrderState.UNKNOWN), raw)
            for o in orders
            if (raw := self.statuses.get(o.provider_order_id)) is not None
        ]

    async def confirm(self, orders: Sequence[TrackedOrder]) -> list[ActionOutcome]:
        self.calls.append(f"confirm:{len(orders)}")
        return [
            ActionOutcome(
                o.provider_order_id,
                o.provider_order_id not in self.confirm_fail,
                self.confirm_fail.get(o.provider_order_id),
            )
            for o in orders
        ]

    async def cancel(self, orders: Sequence[TrackedOrder]) -> list[ActionOutcome]:
        self.calls.append(f"cancel:{len(orders)}")
        return [ActionOutcome(o.provider_order_id, True) for o in orders]

    async def settlements(self, orders: Sequence[TrackedOrder]) -> list[Settlement]:
        self.calls.append("settlements")
        return [
            Settlement(
                o.provider_order_id,
                o.amount * self.unit_price,
                self.refunds.get(o.provider_order_id),
            )
            for o in orders
        ]

    def can_cancel(self, order: TrackedOrder, now: float) -> bool:
        return order.state is OrderState.PENDING

    async def balance(self) -> Balance:
        if self.balance_error is not None:
            raise self.balance_error
        return Balance(self.name, self.balance_sun, "TDeposit")

    async def aclose(self) -> None:
        return None
