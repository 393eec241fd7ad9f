"""OrderService: submission bookkeeping, lost answers, confirm and cancel rules."""

from __future__ import annotations

import pytest

from bot.domain import NoticeKind, OrderState, ProviderName, SubmissionState
from bot.providers.errors import ProviderBusinessError, ProviderUnavailable
from bot.providers.port import OrderRequest, Quote
from bot.services.orders import (
    ActionStatus,
    NotYourOrder,
    OrderService,
    SubmitStatus,
    preferred_quote,
)
from bot.storage.repository import OrderChanges, Repository, Transition
from bot.tron_address import address_from_bytes
from tests.support.clock import Clock
from tests.support.fake_provider import FakeProvider
from tests.support.storage import stored_order

A1, A2 = address_from_bytes(b"\x01" * 20), address_from_bytes(b"\x02" * 20)
REQUEST = OrderRequest(65_000, 900, 70, (A1, A2), 300)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def service(repo: Repository, fake: FakeProvider, clock: Clock) -> OrderService:
    return OrderService(repo, {fake.name: fake}, clock=clock, recovery_window=600)


async def test_submit_stores_every_order_with_its_receiver(repo: Repository, clock: Clock) -> None:
    fake = FakeProvider()
    outcome = await service(repo, fake, clock).submit(
        chat_id=10, user_id=20, provider=ProviderName.TRONSAVE, request=REQUEST
    )
    assert outcome.status is SubmitStatus.SUBMITTED
    assert [(o.receiver, o.state) for o in outcome.orders] == [
        (A1, OrderState.PENDING),
        (A2, OrderState.PENDING),
    ]
    sub = await repo.get_submission(outcome.submission.id)
    assert sub is not None
    assert sub.state is SubmissionState.SUBMITTED
    assert fake.calls == ["submit"]


async def test_business_refusal_fails_the_submission_and_stores_nothing(
    repo: Repository, clock: Clock
) -> None:
    fake = FakeProvider(
        submit_error=ProviderBusinessError("tronsave", "INTERNAL_BALANCE_ACCOUNT_TOO_LOW")
    )
    outcome = await service(repo, fake, clock).submit(
        chat_id=10, user_id=20, provider=ProviderName.TRONSAVE, request=REQUEST
    )
    assert outcome.status is SubmitStatus.FAILED
    assert outcome.error is not None
    assert outcome.error.code == "INTERNAL_BALANCE_ACCOUNT_TOO_LOW"
    assert await repo.chat_orders(10, offset=0, limit=10) == ([], 0)
    sub = await repo.get_submission(outcome.submission.id)
    assert sub is not None
    assert sub.state is SubmissionState.FAILED
    assert "recover" not in fake.calls


async def test_connection_refused_before_sending_is_a_plain_failure(
    repo: Repository, clock: Clock
) -> None:
    fake = FakeProvider(
        submit_error=ProviderUnavailable("tronsave", "CONNECT_ERROR", outcome_unknown=False)
    )
    outcome = await service(repo, fake, clock).submit(
        chat_id=10, user_id=20, provider=ProviderName.TRONSAVE, request=REQUEST
    )
    assert outcome.status is SubmitStatus.FAILED
    assert "recover" not in fake.calls


async def test_lost_answer_adopts_the_created_orders_exactly_once(
    repo: Repository, clock: Clock
) -> None:
    fake = FakeProvider(
        submit_error=ProviderUnavailable("tronsave", "TIMEOUT", outcome_unknown=True),
        create_despite_error=True,
    )
    svc = service(repo, fake, clock)
    outcome = await svc.submit(
        chat_id=10, user_id=20, provider=ProviderName.TRONSAVE, request=REQUEST
    )
    assert outcome.status is SubmitStatus.RECOVERED
    assert sorted(o.receiver or "" for o in outcome.orders) == sorted([A1, A2])
    assert fake.calls.count("submit") == 1  # never retried
    # A later reconcile pass finds nothing left to do and adds nothing.
    await svc.reconcile_submissions()
    _orders, total = await repo.chat_orders(10, offset=0, limit=10)
    assert total == 2
    assert await repo.unsent_notifications() == []


async def test_lost_answer_with_nothing_created_becomes_not_created_after_the_window(
    repo: Repository, clock: Clock
) -> None:
    fake = FakeProvider(
        submit_error=ProviderUnavailable("tronsave", "HTTP_502", outcome_unknown=True)
    )
    svc = service(repo, fake, clock)
    outcome = await svc.submit(
        chat_id=10, user_id=20, provider=ProviderName.TRONSAVE, request=REQUEST
    )
    assert outcome.status is SubmitStatus.UNCERTAIN
    clock.now += 60
    await svc.reconcile_submissions()
    sub = await repo.get_submission(outcome.submission.id)
    assert sub is not None
    assert sub.state is SubmissionState.UNCERTAIN
    assert await repo.unsent_notifications() == []
    clock.now += 600
    await svc.reconcile_submissions()
    sub = await repo.get_submission(outcome.submission.id)
    assert sub is not None
    assert sub.state is SubmissionState.FAILED
    notes = await repo.unsent_notifications()
    assert [(n.chat_id, n.kind) for n in notes] == [(10, NoticeKind.NOT_CREATED)]


async def test_orders_that_appear_late_are_adopted_with_a_push(
    repo: Repository, clock: Clock
) -> None:
    fake = FakeProvider(
        submit_error=ProviderUnavailable("tronsave", "TIMEOUT", outcome_unknown=True)
    )
    svc = service(repo, fake, clock)
    outcome = await svc.submit(
        chat_id=10, user_id=20, provider=ProviderName.TRONSAVE, request=REQUEST
    )
    assert outcome.status is SubmitStatus.UNCERTAIN
    fake.submit_error = None
    await fake.submit(REQUEST)  # the order shows up in the history later
    await svc.reconcile_submissions()
    await svc.reconcile_submissions()
    _, total = await repo.chat_orders(10, offset=0, limit=10)
    assert total == 2
    notes = await repo.unsent_notifications()
    assert [n.kind for n in notes] == [NoticeKind.RECOVERED]


async def test_recovery_skips_orders_already_owned_by_another_submission(
    repo: Repository, clock: Clock
) -> None:
    fake = FakeProvider()
    svc = service(repo, fake, clock)
    first = await svc.submit(
        chat_id=10, user_id=20, provider=ProviderName.TRONSAVE, request=REQUEST
    )
    fake.submit_error = ProviderUnavailable("tronsave", "TIMEOUT", outcome_unknown=True)
    second = await svc.submit(
        chat_id=10, user_id=20, provider=ProviderName.TRONSAVE, request=REQUEST
    )
    # The history only holds the first submission's orders: nothing may be adopted twice.
    assert second.status is SubmitStatus.UNCERTAIN
    assert second.orders == []
    _, total = await repo.chat_orders(10, offset=0, limit=10)
    assert total == len(first.orders)


async def test_provider_without_lookup_leaves_the_submission_unresolved(
    repo: Repository, clock: Clock
) -> None:
    fake = FakeProvider(
        name=ProviderName.FEEE,
        submit_error=ProviderUnavailable("feee", "TIMEOUT", outcome_unknown=True),
        recover_result="none",
    )
    outcome = await service(repo, fake, clock).submit(
        chat_id=10, user_id=20, provider=ProviderName.FEEE, request=REQUEST
    )
    assert outcome.status is SubmitStatus.UNRESOLVED


async def test_crashed_sending_submission_is_reconciled_after_it_goes_stale(
    repo: Repository, clock: Clock
) -> None:
    fake = FakeProvider()
    svc = service(repo, fake, clock)
    sub = await repo.create_submission(
        chat_id=10,
        user_id=20,
        provider=ProviderName.TRONSAVE,
        key_id="fakekey",
        amount=65_000,
        duration_sec=900,
        max_price=70,
        deadline_sec=300,
        receivers=[A1, A2],
        now=clock.now,
    )
    await fake.submit(REQUEST)  # the request reached the provider, then the bot died
    await svc.reconcile_submissions()
    assert (await repo.get_submission(sub.id)).state is SubmissionState.SENDING  # type: ignore[union-attr]
    clock.now += 300
    await svc.reconcile_submissions()
    assert (await repo.get_submission(sub.id)).state is SubmissionState.SUBMITTED  # type: ignore[union-attr]
    assert len(await repo.orders_of_submission(sub.id)) == 2


async def _matched(repo: Repository, svc: OrderService, clock: Clock) -> list[int]:
    outcome = await svc.submit(
        chat_id=10, user_id=20, provider=ProviderName.TRONSAVE, request=REQUEST
    )
    await repo.apply(
        [
            Transition(o, OrderState.MATCHED, "Matched", OrderChanges(matched_at=clock.now))
            for o in outcome.orders
        ],
        now=clock.now,
    )
    return [o.id for o in outcome.orders]


async def test_confirm_twice_calls_the_provider_once(repo: Repository, clock: Clock) -> None:
    fake = FakeProvider(refunds={"tronsave-0001": 357_500})
    svc = service(repo, fake, clock)
    ids = await _matched(repo, svc, clock)
    first = await svc.confirm(chat_id=10, order_ids=ids[:1])
    assert [r.status for r in first] == [ActionStatus.DONE]
    assert first[0].order.state is OrderState.CONFIRMED
    assert first[0].order.refund_sun == 357_500
    assert first[0].order.charge_sun == 65_000 * 60
    second = await svc.confirm(chat_id=10, order_ids=ids[:1])
    assert [r.status for r in second] == [ActionStatus.ALREADY]
    assert [c for c in fake.calls if c.startswith("confirm")] == ["confirm:1"]


async def test_confirm_reports_the_providers_fail_reason(repo: Repository, clock: Clock) -> None:
    fake = FakeProvider(confirm_fail={"tronsave-0002": "Order is being reclaimed"})
    svc = service(repo, fake, clock)
    ids = await _matched(repo, svc, clock)
    reports = await svc.confirm(chat_id=10, order_ids=ids)
    assert [(r.status, r.fail_reason) for r in reports] == [
        (ActionStatus.DONE, None),
        (ActionStatus.REFUSED, "Order is being reclaimed"),
    ]
    assert reports[1].order.state is OrderState.MATCHED


async def test_confirm_of_a_pending_order_sends_nothing(repo: Repository, clock: Clock) -> None:
    fake = FakeProvider()
    svc = service(repo, fake, clock)
    outcome = await svc.submit(
        chat_id=10, user_id=20, provider=ProviderName.TRONSAVE, request=REQUEST
    )
    reports = await svc.confirm(chat_id=10, order_ids=[outcome.orders[0].id])
    assert [r.status for r in reports] == [ActionStatus.NOT_ALLOWED]
    assert not any(c.startswith("confirm") for c in fake.calls)


async def test_orders_of_another_chat_are_refused_without_a_call(
    repo: Repository, clock: Clock
) -> None:
    fake = FakeProvider()
    svc = service(repo, fake, clock)
    ids = await _matched(repo, svc, clock)
    with pytest.raises(NotYourOrder):
        await svc.confirm(chat_id=999, order_ids=ids)
    with pytest.raises(NotYourOrder):
        await svc.cancel(chat_id=999, order_ids=ids)
    with pytest.raises(NotYourOrder):
        await svc.confirm(chat_id=10, order_ids=[123456])
    assert not any(c.startswith(("confirm", "cancel")) for c in fake.calls)


async def test_cancel_only_pending_orders(repo: Repository, clock: Clock) -> None:
    fake = FakeProvider()
    svc = service(repo, fake, clock)
    outcome = await svc.submit(
        chat_id=10, user_id=20, provider=ProviderName.TRONSAVE, request=REQUEST
    )
    ids = [o.id for o in outcome.orders]
    reports = await svc.cancel(chat_id=10, order_ids=ids[:1])
    assert [(r.status, r.order.state) for r in reports] == [
        (ActionStatus.DONE, OrderState.CANCELLED)
    ]
    again = await svc.cancel(chat_id=10, order_ids=ids[:1])
    assert [r.status for r in again] == [ActionStatus.ALREADY]
    assert [c for c in fake.calls if c.startswith("cancel")] == ["cancel:1"]


async def test_confirm_all_of_a_submission(repo: Repository, clock: Clock) -> None:
    fake = FakeProvider()
    svc = service(repo, fake, clock)
    ids = await _matched(repo, svc, clock)
    order = await stored_order(repo, ids[0])
    assert order is not None
    reports = await svc.confirm_submission(chat_id=10, submission_id=order.submission_id)
    assert {r.order.id for r in reports} == set(ids)
    assert all(r.status is ActionStatus.DONE for r in reports)
    with pytest.raises(NotYourOrder):
        await svc.confirm_submission(chat_id=11, submission_id=order.submission_id)


def test_preferred_quote_is_the_cheapest_within_the_max_price() -> None:
    cheap_but_dear = Quote(ProviderName.FEEE, 80, 5_000_000, None, None)
    within = Quote(ProviderName.TRONSAVE, 60, 6_000_000, None, None)
    assert preferred_quote([cheap_but_dear, within], max_price=70) is within
    assert preferred_quote([cheap_but_dear, within], max_price=90) is cheap_but_dear
    # Nothing within the max: still the cheapest, so the summary can show why it fails.
    assert preferred_quote([cheap_but_dear, within], max_price=10) is cheap_but_dear
