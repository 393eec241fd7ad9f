"""NoticeService: what a notice speaks of, read for the dispatcher in one call."""

from __future__ import annotations

from bot.domain import NoticeKind, ProviderName, SubmissionState
from bot.providers.port import OrderRequest
from bot.services.notices import NoticeService
from bot.services.orders import OrderService
from bot.storage.repository import NewNotification, NoticePayload, Repository
from tests.support.clock import Clock
from tests.support.fake_provider import FakeProvider

TWO = OrderRequest(65_000, 900, 70, ("TAddrOne", "TAddrTwo"), 300)


def order_service(repo: Repository) -> tuple[OrderService, Clock]:
    clock = Clock(2_000_000.0)
    fake = FakeProvider(clock=clock)
    return OrderService(repo, {fake.name: fake}, clock=clock), clock


async def test_a_notice_names_its_orders_and_knows_the_whole_submission(
    repo: Repository,
) -> None:
    svc, _ = order_service(repo)
    outcome = await svc.submit(chat_id=4, user_id=20, provider=ProviderName.TRONSAVE, request=TWO)
    first, second = outcome.orders
    await repo.set_user_lang(20, "zh")
    notices = NoticeService(repo)

    named = await notices.subject(NoticePayload(outcome.submission.id, order_ids=(second.id,)))
    assert named.submission is not None
    assert named.submission.id == outcome.submission.id
    assert named.language == "zh"
    assert [o.id for o in named.orders] == [second.id]
    assert [o.id for o in named.submission_orders] == [first.id, second.id]

    whole = await notices.subject(NoticePayload(outcome.submission.id))
    assert [o.id for o in whole.orders] == [first.id, second.id]


async def test_an_order_named_from_outside_the_submission_is_still_read(
    repo: Repository,
) -> None:
    svc, _ = order_service(repo)
    one = await svc.submit(chat_id=4, user_id=20, provider=ProviderName.TRONSAVE, request=TWO)
    other = await svc.submit(chat_id=4, user_id=20, provider=ProviderName.TRONSAVE, request=TWO)
    mine, stray = one.orders[1], other.orders[0]
    payload = NoticePayload(one.submission.id, order_ids=(stray.id, mine.id))
    subject = await NoticeService(repo).subject(payload)
    assert sorted([o.id for o in subject.orders]) == [o.id for o in subject.orders]
    assert {o.id for o in subject.orders} == {mine.id, stray.id}
    assert [o.id for o in subject.submission_orders] == [o.id for o in one.orders]


async def test_a_notice_of_a_pruned_submission_has_no_submission_nor_language(
    repo: Repository,
) -> None:
    subject = await NoticeService(repo).subject(NoticePayload(999, order_ids=()))
    assert subject.submission is None
    assert subject.language is None
    assert subject.orders == subject.submission_orders == []


async def test_a_deferred_notice_waits_and_a_sent_one_is_gone(repo: Repository) -> None:
    svc, clock = order_service(repo)
    outcome = await svc.submit(chat_id=4, user_id=20, provider=ProviderName.TRONSAVE, request=TWO)
    sub = outcome.submission
    await repo.set_submission_state(
        sub.id,
        SubmissionState.SUBMITTED,
        now=clock.now,
        expected=[SubmissionState.SUBMITTED],
        notify=NewNotification(4, NoticeKind.RECOVERED, NoticePayload(sub.id)),
    )
    notices = NoticeService(repo)
    [note] = await notices.due(10, after_id=0, now=clock.now)
    await notices.defer(note.id, next_try_at=clock.now + 60, attempts=1)
    assert await notices.due(10, after_id=0, now=clock.now) == []
    assert await notices.next_try() == clock.now + 60
    await notices.progress(note.id, parts_sent=1, render_level=1, parts=["a", "b"])
    [again] = await notices.due(10, after_id=0, now=clock.now + 60)
    assert (again.attempts, again.parts_sent, again.render_level) == (1, 1, 1)
    assert list(again.parts or ()) == ["a", "b"]
    await notices.sent(note.id, now=clock.now + 61)
    assert await notices.due(10, after_id=0, now=clock.now + 120) == []
    assert not await notices.chat_blocked(4)
    await notices.block_chat(4, now=clock.now)
    assert await notices.chat_blocked(4)
