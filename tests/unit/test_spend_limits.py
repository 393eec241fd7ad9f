"""Spend limits at submit: the arithmetic, nothing recorded or sent when refused, the
daily count (what counts, when it resets), overrides, and two presses racing."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from bot.app import spend_limits
from bot.config import Settings
from bot.domain import OrderState, ProviderName
from bot.providers.errors import ProviderBusinessError
from bot.providers.port import OrderRequest
from bot.services.orders import (
    LimitKind,
    OrderService,
    SpendLimitExceeded,
    SpendLimits,
    SubmitStatus,
)
from bot.services.orders.limits import DAY, day_start, order_cost_sun, refusal
from bot.storage.repository import OrderChanges, Repository, Transition
from bot.tron_address import address_from_bytes
from tests.support.clock import Clock
from tests.support.fake_provider import FakeProvider

A1, A2 = address_from_bytes(b"\x01" * 20), address_from_bytes(b"\x02" * 20)
ONE = OrderRequest(65_000, 900, 70, (A1,), 300)  # 4.55 TRX at most
TWO = OrderRequest(65_000, 900, 70, (A1, A2), 300)  # 9.1 TRX at most
TRX = 1_000_000
NOON = 20_000 * DAY + 12 * 3600.0  # a UTC noon


def service(
    repo: Repository, fake: FakeProvider, clock: Clock, limits: SpendLimits
) -> OrderService:
    return OrderService(repo, {fake.name: fake}, clock=clock, limits=limits)


async def order(svc: OrderService, request: OrderRequest = ONE, user: int = 20) -> SubmitStatus:
    outcome = await svc.submit(
        chat_id=10, user_id=user, provider=ProviderName.TRONSAVE, request=request
    )
    return outcome.status


def test_cost_is_amount_times_max_price_times_receivers() -> None:
    assert order_cost_sun(ONE) == 4_550_000
    assert order_cost_sun(TWO) == 9_100_000


def test_refusal_arithmetic() -> None:
    limits = SpendLimits(max_order_sun=5 * TRX, daily_sun=10 * TRX)
    assert refusal(limits, 10 * TRX, 5 * TRX, 5 * TRX, NOON) is None  # exactly the last TRX
    over = refusal(limits, 10 * TRX, 5 * TRX, 5 * TRX + 1, NOON)
    assert over is not None
    assert (over.kind, over.limit_sun, over.left_sun) == (LimitKind.DAILY, 10 * TRX, 5 * TRX - 1)
    assert over.resets_at == day_start(NOON) + DAY == NOON + 12 * 3600
    big = refusal(limits, 10 * TRX, 5 * TRX + 1, 0, NOON)
    assert big is not None
    assert (big.kind, big.limit_sun, big.left_sun) == (LimitKind.ORDER, 5 * TRX, 10 * TRX)
    assert refusal(SpendLimits(), None, 10**15, 10**15, NOON) is None
    spent = refusal(limits, 10 * TRX, 1, 11 * TRX, NOON)
    assert spent is not None
    assert spent.left_sun == 0


async def test_order_over_the_per_order_limit_is_neither_recorded_nor_sent(
    repo: Repository,
) -> None:
    fake = FakeProvider()
    svc = service(repo, fake, Clock(NOON), SpendLimits(max_order_sun=9 * TRX))
    assert await order(svc, ONE) is SubmitStatus.SUBMITTED
    with pytest.raises(SpendLimitExceeded) as refused:
        await order(svc, TWO)
    assert refused.value.refusal.kind is LimitKind.ORDER
    assert refused.value.refusal.cost_sun == 9_100_000
    assert fake.calls == ["submit"]  # only the first
    assert await repo.get_submission(2) is None


async def test_daily_limit_counts_today_and_resets_at_utc_midnight(repo: Repository) -> None:
    fake, clock = FakeProvider(), Clock(NOON)
    svc = service(repo, fake, clock, SpendLimits(daily_sun=10 * TRX))
    assert await order(svc, TWO) is SubmitStatus.SUBMITTED  # 9.1 of 10
    with pytest.raises(SpendLimitExceeded) as refused:
        await order(svc, ONE)
    r = refused.value.refusal
    assert (r.kind, r.left_sun, r.limit_sun) == (LimitKind.DAILY, 900_000, 10 * TRX)
    assert await order(svc, ONE, user=21) is SubmitStatus.SUBMITTED  # another user's day
    clock.now = day_start(NOON) + DAY  # 00:00 UTC
    assert await order(svc, ONE) is SubmitStatus.SUBMITTED
    assert fake.calls.count("submit") == 3


async def test_refused_and_refunded_orders_do_not_count(repo: Repository) -> None:
    fake, clock = FakeProvider(), Clock(NOON)
    svc = service(repo, fake, clock, SpendLimits(daily_sun=5 * TRX))
    fake.submit_error = ProviderBusinessError("tronsave", "INTERNAL_BALANCE_ACCOUNT_TOO_LOW")
    assert await order(svc) is SubmitStatus.FAILED  # nothing placed: nothing counted
    fake.submit_error = None
    outcome = await svc.submit(chat_id=10, user_id=20, provider=ProviderName.TRONSAVE, request=ONE)
    assert outcome.status is SubmitStatus.SUBMITTED
    with pytest.raises(SpendLimitExceeded):
        await order(svc)  # 4.55 pending + 4.55 > 5
    placed = outcome.orders[0]
    won = await repo.apply(
        [Transition(placed, OrderState.CANCELLED, "Cancelled", OrderChanges(refund_sun=1))],
        now=clock.now,
    )
    assert len(won) == 1
    assert await order(svc) is SubmitStatus.SUBMITTED  # the cancelled one is refunded


async def test_override_beats_the_default(repo: Repository) -> None:
    fake, clock = FakeProvider(), Clock(NOON)
    svc = service(repo, fake, clock, SpendLimits(daily_sun=1 * TRX))
    with pytest.raises(SpendLimitExceeded):
        await order(svc)
    await repo.set_daily_override(20, 20 * TRX, clock.now)  # higher for user 20
    assert await order(svc) is SubmitStatus.SUBMITTED
    await repo.set_daily_override(20, None, clock.now)  # "off": no limit for user 20
    assert await order(svc, TWO) is SubmitStatus.SUBMITTED
    with pytest.raises(SpendLimitExceeded):
        await order(svc, user=21)  # the default still holds for others
    await repo.set_daily_override(21, 0, clock.now)
    assert await svc.limits.daily_limit(21) == 0


async def test_two_presses_cannot_both_pass_the_last_trx(repo: Repository) -> None:
    fake, clock = FakeProvider(), Clock(NOON)
    svc = service(repo, fake, clock, SpendLimits(daily_sun=5 * TRX))  # room for one
    results = await asyncio.gather(order(svc), order(svc), return_exceptions=True)
    passed = [r for r in results if r is SubmitStatus.SUBMITTED]
    refused = [r for r in results if isinstance(r, SpendLimitExceeded)]
    assert (len(passed), len(refused)) == (1, 1), results
    assert fake.calls.count("submit") == 1


def test_settings_give_sun_limits(tmp_path: Path) -> None:
    base = {"telegram_bot_token": "1:x", "sandbox": True, "database_path": tmp_path / "db"}
    s = Settings(_env_file=None, daily_spend_limit_trx="12.5", max_order_trx="", **base)  # type: ignore[arg-type]
    assert s.daily_spend_limit_trx == Decimal("12.5")
    assert spend_limits(s) == SpendLimits(max_order_sun=None, daily_sun=12_500_000)
    assert spend_limits(Settings(_env_file=None, **base)) == SpendLimits()  # type: ignore[arg-type]
