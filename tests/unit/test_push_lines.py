"""A push about many orders of one submission says what they share once (provider,
amount, the state it announces) and names each order by number and receiver, so 100
receivers fit one message; orders that no longer share it are listed in full."""

from __future__ import annotations

import pytest

from bot.domain import NoticeKind, OrderState, ProviderName
from bot.i18n import Lang, t
from bot.providers.port import OrderRequest
from bot.services.orders import OrderService
from bot.services.runtime import Runtime
from bot.storage.repository import (
    NewNotification,
    NoticePayload,
    Order,
    OrderChanges,
    Repository,
    Transition,
)
from bot.telegram.push_render import render
from bot.telegram.render import short_address
from bot.tron_address import address_from_bytes
from tests.support.clock import Clock
from tests.support.fake_provider import FakeProvider
from tests.support.runtime import push_runtime

HUNDRED = OrderRequest(
    65_000, 900, 70, tuple(address_from_bytes(bytes([i, 7]) * 10) for i in range(100)), 300
)


async def matched_push(repo: Repository, lang: Lang, request: OrderRequest) -> Runtime:
    clock = Clock(2_000_000.0)
    fake = FakeProvider(clock=clock)
    svc = OrderService(repo, {fake.name: fake}, clock=clock)
    outcome = await svc.submit(
        chat_id=4, user_id=20, provider=ProviderName.TRONSAVE, request=request
    )
    await repo.set_user_lang(20, lang)
    sub = outcome.submission.id
    await repo.apply(
        [
            Transition(o, OrderState.MATCHED, "Matched", OrderChanges(matched_at=clock.now))
            for o in outcome.orders
        ],
        now=clock.now,
        notifications=lambda won: [
            NewNotification(
                4, NoticeKind.MATCHED, NoticePayload(sub, order_ids=tuple(t.order.id for t in won))
            )
        ],
    )
    return push_runtime(repo, svc, clock)


async def rendered_text(rt: Runtime) -> list[str]:
    (note,) = await rt.repo.unsent_notifications()
    return (await render(rt, note)).parts


async def orders(rt: Runtime) -> list[Order]:
    return await rt.repo.orders_of_submission(1)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_hundred_matched_orders_fit_one_message(repo: Repository, lang: Lang) -> None:
    rt = await matched_push(repo, lang, HUNDRED)
    [text] = await rendered_text(rt)
    head = t(lang, "push.shared", count=100, provider="TronSave", amount="65,000")
    assert head in text
    for order in await orders(rt):
        line = t(lang, "push.order", id=order.id, receiver=short_address(order.receiver))
        assert line in text.splitlines()
    assert t(lang, "state.matched") not in text  # the title says it once


async def test_an_order_that_moved_on_lists_every_order_in_full(repo: Repository) -> None:
    rt = await matched_push(repo, "en", HUNDRED)
    first = (await orders(rt))[0]
    await repo.apply(
        [Transition(first, OrderState.COMPLETED, "Completed", OrderChanges(closed_at=1.0))],
        now=1.0,
    )
    text = "\n".join(await rendered_text(rt))
    assert t("en", "push.shared", count=100, provider="TronSave", amount="65,000") not in text
    assert text.count(t("en", "state.matched")) == 99
    assert text.count(t("en", "state.completed")) == 1


async def test_a_single_order_is_listed_in_full(repo: Repository) -> None:
    one = OrderRequest(65_000, 900, 70, HUNDRED.receivers[:1], 300)
    rt = await matched_push(repo, "en", one)
    [text] = await rendered_text(rt)
    assert "TronSave" in text
    assert t("en", "state.matched") in text
