"""Retention: old closed orders, sent pushes, empty user rows and the state of chats
that left are deleted in batches; open orders, unsent pushes and live submissions never."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from bot.domain import NoticeKind, OrderState, ProviderName, SubmissionState
from bot.services.housekeeping import DAY, Retention, prune
from bot.storage.repository import (
    NewNotification,
    NewOrder,
    NoticePayload,
    Order,
    OrderChanges,
    Repository,
    Transition,
)
from tests.support.storage import queue_notice

RECEIVER = "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8"
NOW = 1_000 * DAY
OLD = NOW - 400 * DAY  # older than both retentions below
RECENT = NOW - 10 * DAY  # younger than both
RETENTION = Retention(outbox_seconds=30 * DAY, order_seconds=365 * DAY, batch=500)


def _count(path: Path, sql: str) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute(sql).fetchone()[0])


async def _orders(
    repo: Repository, n: int, *, chat_id: int = 10, at: float = OLD, tag: str = "o"
) -> list[Order]:
    sub = await repo.create_submission(
        chat_id=chat_id,
        user_id=chat_id,
        provider=ProviderName.TRONSAVE,
        key_id="k",
        amount=65_000,
        duration_sec=900,
        max_price=70,
        deadline_sec=300,
        receivers=[RECEIVER],
        now=at,
    )
    news = [NewOrder(f"{tag}-{chat_id}-{i}", RECEIVER, 65_000, 900) for i in range(n)]
    return await repo.record_orders(sub, news, now=at)


async def _close(repo: Repository, orders: list[Order], *, at: float) -> None:
    transitions = [
        Transition(o, OrderState.COMPLETED, "done", OrderChanges(closed_at=at)) for o in orders
    ]
    await repo.apply(transitions, now=at)


async def test_closed_orders_older_than_retention_go_with_their_submission(
    repo: Repository, tmp_path: Path
) -> None:
    path = tmp_path / "bot.sqlite3"
    old_closed = await _orders(repo, 3, tag="old")
    await _close(repo, old_closed, at=OLD)
    recent_closed = await _orders(repo, 2, tag="recent")
    await _close(repo, recent_closed, at=RECENT)
    old_open = await _orders(repo, 2, tag="open")  # created long ago, still pending
    report = await prune(repo, RETENTION, NOW)
    assert report.orders == 3 + 1  # three orders and their submission
    assert await repo.orders_by_ids([o.id for o in old_closed]) == []
    assert len(await repo.orders_by_ids([o.id for o in recent_closed])) == 2
    assert len(await repo.orders_by_ids([o.id for o in old_open])) == 2
    assert _count(path, "SELECT COUNT(*) FROM submissions") == 2


async def test_live_submissions_are_never_deleted(repo: Repository, tmp_path: Path) -> None:
    for state in (SubmissionState.SENDING, SubmissionState.UNCERTAIN, SubmissionState.FAILED):
        sub = await repo.create_submission(
            chat_id=1,
            user_id=1,
            provider=ProviderName.FEEE,
            key_id="k",
            amount=1,
            duration_sec=1,
            max_price=1,
            deadline_sec=1,
            receivers=[RECEIVER],
            now=OLD,
        )
        if state is not SubmissionState.SENDING:
            await repo.set_submission_state(
                sub.id, state, now=OLD, expected=[SubmissionState.SENDING]
            )
    await prune(repo, RETENTION, NOW)
    states = await repo.submissions_in(list(SubmissionState))
    assert sorted(s.state for s in states) == [SubmissionState.SENDING, SubmissionState.UNCERTAIN]


async def test_orders_of_a_chat_with_pushes_to_send_wait(repo: Repository) -> None:
    closed = await _orders(repo, 1, chat_id=77)
    await _close(repo, closed, at=OLD)
    await queue_notice(
        repo,
        NewNotification(
            77,
            NoticeKind.COMPLETED,
            NoticePayload(closed[0].submission_id, order_ids=(closed[0].id,)),
        ),
        now=OLD,
    )
    await prune(repo, RETENTION, NOW)
    assert len(await repo.orders_by_ids([closed[0].id])) == 1  # the push may name it
    [note] = await repo.unsent_notifications()
    await repo.mark_sent(note.id, now=RECENT)
    await prune(repo, RETENTION, NOW)
    assert await repo.orders_by_ids([closed[0].id]) == []


async def test_sent_and_parked_pushes_go_unsent_ones_stay(
    repo: Repository, tmp_path: Path
) -> None:
    path = tmp_path / "bot.sqlite3"
    for _ in range(4):
        await queue_notice(repo, NewNotification(5, NoticeKind.MATCHED, NoticePayload(1)), now=OLD)
    sent_old, sent_recent, parked, unsent = await repo.unsent_notifications()
    await repo.mark_sent(sent_old.id, now=OLD)
    await repo.mark_sent(sent_recent.id, now=RECENT)
    await repo.mark_dropped(parked.id, "too long")
    report = await prune(repo, RETENTION, NOW)
    assert report.outbox == 2
    left = set(_ids(path, "SELECT id FROM outbox"))
    assert left == {sent_recent.id, unsent.id}


def _ids(path: Path, sql: str) -> list[object]:
    with sqlite3.connect(path) as db:
        return [row[0] for row in db.execute(sql)]


async def test_pruning_runs_in_batches_and_carries_on_next_run(repo: Repository) -> None:
    closed = await _orders(repo, 1200)
    await _close(repo, closed, at=OLD)
    small = Retention(outbox_seconds=30 * DAY, order_seconds=365 * DAY, batch=100, max_batches=5)
    first = await prune(repo, small, NOW)
    assert first.orders == 500  # five batches of 100, then the run stops
    assert len(await repo.orders_by_ids([o.id for o in closed])) == 700
    while (await prune(repo, small, NOW)).orders:
        pass
    assert await repo.orders_by_ids([o.id for o in closed]) == []


async def test_user_rows_without_a_language_go(repo: Repository, tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    await repo.set_user_lang(1, "zh")
    await repo.set_user_lang(2, None)  # as older versions stored "auto"
    await repo.set_user_lang(3, "en")
    await repo.forget_user_lang(3)
    report = await prune(repo, RETENTION, NOW)
    assert report.users == 1
    assert _ids(path, "SELECT user_id FROM users") == [1]
    assert await repo.get_user_lang(1) == "zh"


async def test_ptb_state_of_chats_that_left_goes_after_retention(
    repo: Repository, tmp_path: Path
) -> None:
    path = tmp_path / "bot.sqlite3"
    left_long_ago, left_recently, group, stays = 501, 502, -100503, 504
    for chat in (left_long_ago, left_recently, group, stays):
        await repo.save_conversation("new_order", json.dumps([chat, abs(chat)]), '"amount"')
        await repo.save_data("chat", chat, '{"x": 1}')
        await repo.save_data("user", abs(chat), '{"drafts": {}}')
    await repo.save_conversation("new_order", json.dumps([5011, 5011]), '"amount"')
    await repo.set_chat_blocked(left_long_ago, OLD)
    await repo.set_chat_blocked(left_recently, RECENT)
    await repo.set_chat_blocked(group, OLD)
    report = await prune(repo, RETENTION, NOW)
    assert sorted(report.left_chats) == sorted([left_long_ago, group])
    convs = await repo.load_conversations("new_order")
    assert {json.loads(k)[0] for k in convs} == {left_recently, stays, 5011}
    assert set(await repo.load_data("chat")) == {left_recently, stays}
    # A group's members keep their own data; a private chat's user does not.
    assert set(await repo.load_data("user")) == {left_recently, abs(group), stays}
    # With nothing left of them, the chats' rows go too; a blocked one with orders stays.
    assert report.chats == 2
    assert _ids(path, "SELECT chat_id FROM chats ORDER BY chat_id") == [left_recently]
    again = await prune(repo, RETENTION, NOW)
    assert again.left_chats == []


async def test_a_blocked_chat_with_orders_keeps_its_mark(repo: Repository) -> None:
    await _orders(repo, 1, chat_id=900)
    await repo.set_chat_blocked(900, OLD)
    await prune(repo, RETENTION, NOW)
    assert await repo.is_chat_blocked(900)


async def test_old_orders_with_tracking_health_rows_are_pruned_with_them(
    repo: Repository, tmp_path: Path
) -> None:
    path = tmp_path / "bot.sqlite3"
    old_closed = await _orders(repo, 2, tag="watched")
    await repo.record_unreadable(old_closed[0].id, error="BAD_RESPONSE", next_poll_at=None)
    await _close(repo, old_closed, at=OLD)
    report = await prune(repo, RETENTION, NOW)
    assert report.orders == 2 + 1
    assert await repo.orders_by_ids([o.id for o in old_closed]) == []
    assert _count(path, "SELECT COUNT(*) FROM order_watch") == 0
