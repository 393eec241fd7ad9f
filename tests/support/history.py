"""Orders with chosen times and money figures, stored straight in the repository (for
the history tests)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import OrderState, ProviderName
from bot.storage.repository import NewOrder, Order, OrderChanges, Repository, Transition
from bot.tron_address import address_from_bytes

RECEIVER = address_from_bytes(b"\x31" * 20)


@dataclass(frozen=True)
class Spec:
    created_at: float
    charge_sun: int | None = None
    refund_sun: int | None = None
    state: OrderState = OrderState.PENDING
    closed_at: float | None = None
    raw_status: str = "raw"
    provider_order_id: str | None = None
    provider: ProviderName = ProviderName.TRONSAVE
    receiver: str = RECEIVER


async def add_orders(repo: Repository, chat_id: int, specs: list[Spec]) -> list[Order]:
    """One submission per order (each with its own creation time); ids ascend."""
    stored: list[Order] = []
    for spec in specs:
        sub = await repo.create_submission(
            chat_id=chat_id,
            user_id=chat_id,
            provider=spec.provider,
            key_id="key",
            amount=65_000,
            duration_sec=900,
            max_price=70,
            deadline_sec=300,
            receivers=(spec.receiver,),
            now=spec.created_at,
        )
        pid = spec.provider_order_id or f"po-{chat_id}-{sub.id}"
        new = NewOrder(
            pid, spec.receiver, 65_000, 900, raw_status="raw", charge_sun=spec.charge_sun
        )
        [order] = await repo.record_orders(sub, [new], now=spec.created_at)
        if spec.state is not OrderState.PENDING or spec.refund_sun is not None:
            changes = OrderChanges(closed_at=spec.closed_at, refund_sun=spec.refund_sun)
            tr = Transition(order, spec.state, spec.raw_status, changes)
            assert await repo.apply([tr], now=spec.created_at)
        [order] = await repo.orders_by_ids([order.id])
        stored.append(order)
    return stored


async def add_many(repo: Repository, chat_id: int, count: int, *, now: float) -> list[Order]:
    """`count` orders of one submission (fast: one transaction), charged 1.5 TRX each."""
    sub = await repo.create_submission(
        chat_id=chat_id,
        user_id=chat_id,
        provider=ProviderName.FEEE,
        key_id="key",
        amount=65_000,
        duration_sec=3600,
        max_price=70,
        deadline_sec=300,
        receivers=(RECEIVER,),
        now=now,
    )
    new = [
        NewOrder(f"many-{i}", RECEIVER, 65_000, 3600, charge_sun=1_500_000) for i in range(count)
    ]
    return await repo.record_orders(sub, new, now=now)
