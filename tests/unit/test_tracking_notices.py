"""The one-off tracking notices render in both languages within Telegram's limit, and an
order of a key the bot no longer has offers no action another key would carry out."""

from __future__ import annotations

import pytest

from bot.domain import NoticeKind, OrderState, ProviderName
from bot.providers.port import OrderRequest
from bot.services.orders import ActionStatus, OrderService
from bot.storage.repository import (
    NewNotification,
    NoticePayload,
    OrderChanges,
    Repository,
    Transition,
)
from bot.telegram.push_render import render
from bot.tron_address import address_from_bytes
from tests.support.clock import Clock
from tests.support.fake_provider import FakeProvider
from tests.support.runtime import push_runtime
from tests.support.storage import payload_of

TELEGRAM_LIMIT = 4096
MANY = OrderRequest(
    65_000, 900, 70, tuple(address_from_bytes(bytes([i, 9]) * 10) for i in range(60)), 300
)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_key_missing_notices_render_short_and_without_buttons(
    repo: Repository, lang: str
) -> None:
    clock = Clock(2_000_000.0)
    placed_with = FakeProvider(clock=clock, key_id="key-a")
    svc = OrderService(repo, {placed_with.name: placed_with}, clock=clock)
    outcome = await svc.submit(chat_id=4, user_id=20, provider=ProviderName.TRONSAVE, request=MANY)
    await repo.set_user_lang(20, lang)
    # Some are matched already: still no Confirm button, which would use the other key.
    matched = [
        Transition(o, OrderState.MATCHED, "Matched", OrderChanges(matched_at=clock.now))
        for o in outcome.orders[:5]
    ]
    await repo.apply(matched, now=clock.now)
    other = FakeProvider(clock=clock, key_id="key-b")
    svc_b = OrderService(repo, {other.name: other}, clock=clock)
    rt = push_runtime(repo, svc_b, clock)
    await rt.poller.run_cycle()
    notes = await repo.unsent_notifications()
    assert {n.kind for n in notes} == {NoticeKind.KEY_MISSING}
    named: list[int] = []
    for note in notes:
        rendered = await render(rt, note)
        [text] = rendered.parts
        assert len(text) < TELEGRAM_LIMIT
        assert rendered.markup is None
        named += payload_of(note).order_ids or ()
        assert all(f"#{i}" in text for i in payload_of(note).order_ids or ())
    assert sorted(named) == [o.id for o in outcome.orders]


async def test_actions_on_an_order_of_another_key_are_not_sent(repo: Repository) -> None:
    clock = Clock(2_000_000.0)
    placed_with = FakeProvider(clock=clock, key_id="key-a")
    svc = OrderService(repo, {placed_with.name: placed_with}, clock=clock)
    request = OrderRequest(65_000, 900, 70, MANY.receivers[:1], 300)
    outcome = await svc.submit(
        chat_id=4, user_id=20, provider=ProviderName.TRONSAVE, request=request
    )
    [order] = outcome.orders
    other = FakeProvider(clock=clock, key_id="key-b")
    svc_b = OrderService(repo, {other.name: other}, clock=clock)
    assert not svc_b.can_cancel(order)
    [report] = await svc_b.cancel(chat_id=4, order_ids=[order.id])
    assert report.status is ActionStatus.NOT_ALLOWED
    await repo.apply(
        [Transition(order, OrderState.MATCHED, "Matched", OrderChanges(matched_at=clock.now))],
        now=clock.now,
    )
    [fresh] = await repo.orders_by_ids([order.id])
    assert not svc_b.can_confirm(fresh)
    [report] = await svc_b.confirm(chat_id=4, order_ids=[order.id])
    assert report.status is ActionStatus.NOT_ALLOWED
    assert not any(c.startswith(("cancel", "confirm")) for c in other.calls)
    assert svc.can_confirm(fresh)  # the key it was placed with still may


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_unreadable_notice_renders(repo: Repository, lang: str) -> None:
    clock = Clock(2_000_000.0)
    fake = FakeProvider(clock=clock)
    svc = OrderService(repo, {fake.name: fake}, clock=clock)
    outcome = await svc.submit(
        chat_id=4,
        user_id=20,
        provider=ProviderName.TRONSAVE,
        request=OrderRequest(65_000, 900, 70, MANY.receivers[:2], 300),
    )
    await repo.set_user_lang(20, lang)
    rt = push_runtime(repo, svc, clock)
    await repo.report_unreadable(
        outcome.orders[:1],
        now=clock.now,
        notifications=lambda orders: [
            NewNotification(
                4,
                NoticeKind.UNREADABLE,
                NoticePayload(orders[0].submission_id, order_ids=(orders[0].id,)),
            )
        ],
    )
    [note] = await repo.unsent_notifications()
    [text] = (await render(rt, note)).parts
    assert f"#{outcome.orders[0].id}" in text
    assert f"#{outcome.orders[1].id}" not in text
    assert ("Can't read" in text) if lang == "en" else ("无法读取" in text)
