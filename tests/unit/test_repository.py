"""The SQLite repository: schema, compare-and-set transitions, the outbox, chats, users."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import pytest

from bot.domain import OPEN_STATES, OrderState, SubmissionState
from bot.storage.migrations import MIGRATIONS
from bot.storage.repository import (
    NewNotification,
    NewOrder,
    Order,
    Repository,
    Submission,
    Transition,
)

RECEIVERS = ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "TLx8h8fjv5pyuxCu292ZgjbU14XZSiLGg4")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.db"


@pytest.fixture
async def repo(db_path: Path) -> AsyncIterator[Repository]:
    repository = await Repository.open(db_path)
    try:
        yield repository
    finally:
        await repository.close()


def _sql(path: Path, query: str) -> list[tuple[object, ...]]:
    """Inspect the file with a separate, synchronous connection."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute(query).fetchall()
    conn.close()
    return rows


def _count(path: Path, table: str) -> int:
    return int(cast(int, _sql(path, f"SELECT COUNT(*) FROM {table}")[0][0]))


async def _submission(
    repo: Repository, *, chat_id: int = 10, provider: str = "tronsave", now: float = 100.0
) -> Submission:
    return await repo.create_submission(
        chat_id=chat_id,
        user_id=20,
        provider=provider,
        key_id="key1",
        amount=65_000,
        duration_sec=900,
        max_price=70,
        deadline_sec=300,
        receivers=RECEIVERS,
        now=now,
    )


def _new(
    pid: str, state: OrderState = OrderState.PENDING, raw: str | None = "pending"
) -> NewOrder:
    return NewOrder(
        provider_order_id=pid,
        receiver=RECEIVERS[0],
        amount=65_000,
        duration_sec=900,
        state=state,
        raw_status=raw,
    )


async def _orders(
    repo: Repository, *pids: str, chat_id: int = 10, provider: str = "tronsave"
) -> list[Order]:
    sub = await _submission(repo, chat_id=chat_id, provider=provider)
    return await repo.record_orders(sub, [_new(p) for p in pids], now=101.0)


def _note(chat_id: int = 10, kind: str = "matched", **payload: object) -> NewNotification:
    return NewNotification(chat_id=chat_id, kind=kind, payload=dict(payload))


# -- schema ------------------------------------------------------------------------------


async def test_open_creates_schema_in_wal_mode(repo: Repository, db_path: Path) -> None:
    assert _sql(db_path, "PRAGMA quick_check") == [("ok",)]  # parent directory created
    assert _sql(db_path, "PRAGMA journal_mode") == [("wal",)]
    assert _sql(db_path, "PRAGMA user_version") == [(len(MIGRATIONS),)]
    assert len(MIGRATIONS) >= 2
    tables = {r[0] for r in _sql(db_path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables >= {"submissions", "orders", "outbox", "chats", "users", "ptb_conversations"}


async def test_migrations_are_idempotent(db_path: Path) -> None:
    first = await Repository.open(db_path)
    sub = await _submission(first)
    await first.close()
    second = await Repository.open(db_path)
    try:
        assert await second.get_submission(sub.id) == sub
        assert _sql(db_path, "PRAGMA user_version") == [(len(MIGRATIONS),)]
    finally:
        await second.close()
    assert _sql(db_path, "PRAGMA user_version") == [(len(MIGRATIONS),)]


async def test_migrations_resume_from_the_stored_version(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    with sqlite3.connect(db_path) as conn:
        conn.executescript(f"{MIGRATIONS[0]}\nPRAGMA user_version = 1;")
        conn.execute("INSERT INTO users (user_id, lang) VALUES (1, 'zh')")
    conn.close()
    repo = await Repository.open(db_path)
    try:
        assert await repo.get_user_lang(1) == "zh"
        await repo.save_data("user", 1, "{}")
        assert await repo.load_data("user") == {1: "{}"}
    finally:
        await repo.close()
    assert _sql(db_path, "PRAGMA user_version") == [(len(MIGRATIONS),)]


async def test_newer_schema_is_refused(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    with sqlite3.connect(db_path) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer than this bot"):
        await Repository.open(db_path)


# -- submissions and orders --------------------------------------------------------------


async def test_create_submission(repo: Repository) -> None:
    sub = await _submission(repo, now=123.5)
    assert sub.state is SubmissionState.SENDING
    assert sub.receivers == RECEIVERS
    assert (sub.chat_id, sub.user_id, sub.provider, sub.key_id) == (10, 20, "tronsave", "key1")
    assert (sub.amount, sub.duration_sec, sub.max_price, sub.deadline_sec) == (
        65_000,
        900,
        70,
        300,
    )
    assert sub.error_code is None
    assert sub.created_at == sub.updated_at == 123.5
    assert await repo.get_submission(sub.id) == sub
    assert await repo.get_submission(sub.id + 1) is None
    assert await repo.submissions_in([SubmissionState.SENDING]) == [sub]
    assert await repo.submissions_in([SubmissionState.SUBMITTED]) == []


async def test_record_orders_marks_submitted_with_orders(repo: Repository, db_path: Path) -> None:
    sub = await _submission(repo)
    orders = await repo.record_orders(
        sub,
        [
            _new("p1"),
            NewOrder("p2", RECEIVERS[1], 131_000, 3_600, deadline_at=500.0, charge_sun=9_170_000),
        ],
        now=150.0,
        notify=_note(submission_id=sub.id),
    )
    assert [o.provider_order_id for o in orders] == ["p1", "p2"]
    assert all(o.submission_id == sub.id and o.chat_id == 10 for o in orders)
    assert all(o.provider == "tronsave" and o.key_id == "key1" for o in orders)
    assert orders[1].receiver == RECEIVERS[1]
    assert (orders[1].amount, orders[1].duration_sec) == (131_000, 3_600)
    assert (orders[1].deadline_at, orders[1].charge_sun) == (500.0, 9_170_000)
    assert orders[1].state is OrderState.PENDING
    assert orders[0].created_at == 150.0
    stored = await repo.get_submission(sub.id)
    assert stored is not None
    assert stored.state is SubmissionState.SUBMITTED
    assert stored.updated_at == 150.0
    notes = await repo.unsent_notifications()
    assert [(n.chat_id, n.kind, n.payload) for n in notes] == [
        (10, "matched", {"submission_id": 1})
    ]
    assert _count(db_path, "orders") == 2


async def test_record_orders_ignores_known_provider_ids(repo: Repository) -> None:
    sub = await _submission(repo)
    await repo.record_orders(sub, [_new("p1"), _new("p2")], now=150.0)
    again = await repo.record_orders(sub, [_new("p2"), _new("p3")], now=160.0)
    assert [o.provider_order_id for o in again] == ["p1", "p2", "p3"]
    assert again[1].created_at == 150.0  # the first copy is kept
    assert await repo.known_provider_ids("tronsave", ["p1", "p3", "nope"]) == {"p1", "p3"}
    assert await repo.known_provider_ids("feee", ["p1"]) == set()


async def test_same_provider_id_allowed_for_another_provider(repo: Repository) -> None:
    await _orders(repo, "same", provider="tronsave")
    await _orders(repo, "same", provider="feee")
    assert len(await repo.open_orders("tronsave")) == 1
    assert len(await repo.open_orders("feee")) == 1


async def test_record_orders_is_atomic(repo: Repository, db_path: Path) -> None:
    sub = await _submission(repo)
    # The last statement of the transaction fails (the payload is not JSON): the orders
    # inserted and the state change made before it must go too.
    broken = _note(unserialisable=object())
    with pytest.raises(TypeError):
        await repo.record_orders(sub, [_new("p1"), _new("p2")], now=150.0, notify=broken)
    stored = await repo.get_submission(sub.id)
    assert stored is not None
    assert stored.state is SubmissionState.SENDING
    assert await repo.orders_of_submission(sub.id) == []
    assert await repo.unsent_notifications() == []
    assert _count(db_path, "orders") == 0
    # The connection is usable afterwards.
    assert len(await repo.record_orders(sub, [_new("p1")], now=151.0)) == 1


async def test_set_submission_state_compare_and_set(repo: Repository) -> None:
    sub = await _submission(repo)
    won = await repo.set_submission_state(
        sub.id,
        SubmissionState.UNCERTAIN,
        now=200.0,
        expected=[SubmissionState.SENDING],
        error_code="TIMEOUT",
        notify=_note(kind="unresolved"),
    )
    assert won is True
    stored = await repo.get_submission(sub.id)
    assert stored is not None
    assert (stored.state, stored.error_code, stored.updated_at) == (
        SubmissionState.UNCERTAIN,
        "TIMEOUT",
        200.0,
    )
    assert len(await repo.unsent_notifications()) == 1

    lost = await repo.set_submission_state(
        sub.id,
        SubmissionState.FAILED,
        now=300.0,
        expected=[SubmissionState.SENDING],
        notify=_note(kind="not_created"),
    )
    assert lost is False
    stored = await repo.get_submission(sub.id)
    assert stored is not None
    assert stored.state is SubmissionState.UNCERTAIN
    assert stored.updated_at == 200.0
    assert [n.kind for n in await repo.unsent_notifications()] == ["unresolved"]

    assert await repo.set_submission_state(
        sub.id,
        SubmissionState.FAILED,
        now=400.0,
        expected=[SubmissionState.SENDING, SubmissionState.UNCERTAIN],
    )
    assert await repo.submissions_in([SubmissionState.FAILED]) == [
        s for s in [await repo.get_submission(sub.id)] if s is not None
    ]
    assert not await repo.set_submission_state(
        sub.id + 99, SubmissionState.FAILED, now=1.0, expected=list(SubmissionState)
    )


# -- transitions -------------------------------------------------------------------------


class Notifier:
    def __init__(self, *, fail: bool = False) -> None:
        self.calls: list[list[Transition]] = []
        self.fail = fail

    def __call__(self, won: list[Transition]) -> list[NewNotification]:
        self.calls.append(list(won))
        if self.fail:
            raise RuntimeError("render failed")
        return [_note(kind="matched", order_ids=[tr.order.id for tr in won])]


async def test_apply_wins_once(repo: Repository) -> None:
    (order,) = await _orders(repo, "p1")
    tr = Transition(order, OrderState.MATCHED, "matched", {"matched_at": 300.0, "ends_at": 1200.0})
    notifier = Notifier()
    won = await repo.apply([tr], now=300.0, notifications=notifier)
    assert won == [tr]
    stored = await repo.get_order(order.id)
    assert stored is not None
    assert (stored.state, stored.raw_status) == (OrderState.MATCHED, "matched")
    assert (stored.matched_at, stored.ends_at) == (300.0, 1200.0)
    assert len(notifier.calls) == 1
    notes = await repo.unsent_notifications()
    assert [(n.kind, n.payload, n.created_at) for n in notes] == [
        ("matched", {"order_ids": [order.id]}, 300.0)
    ]

    # The same transition again (an overlapping poll, a restart): nothing, no message.
    again = await repo.apply([tr], now=301.0, notifications=notifier)
    assert again == []
    assert len(notifier.calls) == 1
    assert len(await repo.unsent_notifications()) == 1


async def test_apply_stale_read_loses(repo: Repository) -> None:
    (order,) = await _orders(repo, "p1")
    first = Transition(order, OrderState.MATCHED, "matched")
    stale = Transition(order, OrderState.CANCELLED, "cancelled", {"closed_at": 9.0})
    assert await repo.apply([first], now=1.0) == [first]
    assert await repo.apply([stale], now=2.0, notifications=Notifier()) == []
    stored = await repo.get_order(order.id)
    assert stored is not None
    assert stored.state is OrderState.MATCHED
    assert stored.closed_at is None
    # A transition from the fresh read wins.
    fresh = Transition(stored, OrderState.COMPLETED, "done")
    assert await repo.apply([fresh], now=3.0) == [fresh]


async def test_apply_compares_raw_status_too(repo: Repository) -> None:
    (order,) = await _orders(repo, "p1")
    moved = Transition(order, OrderState.PENDING, "queued")  # same state, new raw status
    assert await repo.apply([moved], now=1.0) == [moved]
    stale = Transition(order, OrderState.MATCHED, "matched")
    assert await repo.apply([stale], now=2.0) == []
    stored = await repo.get_order(order.id)
    assert stored is not None
    assert (stored.state, stored.raw_status) == (OrderState.PENDING, "queued")


async def test_apply_null_raw_status(repo: Repository) -> None:
    sub = await _submission(repo)
    (order,) = await repo.record_orders(sub, [_new("p1", raw=None)], now=1.0)
    assert order.raw_status is None
    tr = Transition(order, OrderState.MATCHED, None)
    assert await repo.apply([tr], now=2.0) == [tr]
    assert await repo.apply([tr], now=3.0) == []


async def test_apply_notifies_only_winners(repo: Repository) -> None:
    a, b, c = await _orders(repo, "a", "b", "c")
    assert await repo.apply([Transition(b, OrderState.MATCHED, "matched")], now=1.0)
    batch = [
        Transition(a, OrderState.MATCHED, "matched"),
        Transition(b, OrderState.MATCHED, "matched"),  # stale: b already moved
        Transition(c, OrderState.EXPIRED, "expired"),
    ]
    notifier = Notifier()
    won = await repo.apply(batch, now=2.0, notifications=notifier)
    assert won == [batch[0], batch[2]]
    assert notifier.calls == [[batch[0], batch[2]]]
    notes = await repo.unsent_notifications()
    assert [n.payload for n in notes] == [{"order_ids": [a.id, c.id]}]


async def test_apply_without_winners_does_not_call_notifier(repo: Repository) -> None:
    (order,) = await _orders(repo, "p1")
    notifier = Notifier(fail=True)
    stale = Transition(
        Order(**{**order.__dict__, "state": OrderState.MATCHED}), OrderState.COMPLETED, "done"
    )
    assert await repo.apply([stale], now=1.0, notifications=notifier) == []
    assert notifier.calls == []


async def test_failing_notifier_rolls_everything_back(repo: Repository, db_path: Path) -> None:
    a, b = await _orders(repo, "a", "b")
    batch = [
        Transition(a, OrderState.MATCHED, "matched", {"matched_at": 5.0}),
        Transition(b, OrderState.FAILED, "failed", {"fail_reason": "x"}),
    ]
    notifier = Notifier(fail=True)
    with pytest.raises(RuntimeError, match="render failed"):
        await repo.apply(batch, now=5.0, notifications=notifier)
    assert len(notifier.calls) == 1
    for order in (a, b):
        assert await repo.get_order(order.id) == order
    assert _count(db_path, "outbox") == 0
    # Nothing was lost either: the same batch applies once the notifier works.
    assert await repo.apply(batch, now=6.0, notifications=Notifier()) == batch
    assert _count(db_path, "outbox") == 1


async def test_apply_rejects_unknown_columns_before_writing(repo: Repository) -> None:
    a, b = await _orders(repo, "a", "b")
    batch = [
        Transition(a, OrderState.MATCHED, "matched"),
        Transition(b, OrderState.MATCHED, "matched", {"chat_id": 666}),
    ]
    with pytest.raises(ValueError, match="chat_id"):
        await repo.apply(batch, now=1.0)
    assert await repo.get_order(a.id) == a  # the first one was rolled back
    assert await repo.get_order(b.id) == b


@pytest.mark.parametrize("column", ["state", "raw_status", "chat_id", "amount", "receiver", "id"])
async def test_update_order_details_rejects_other_columns(repo: Repository, column: str) -> None:
    (order,) = await _orders(repo, "p1")
    with pytest.raises(ValueError, match="not a mutable order column"):
        await repo.update_order_details(order.id, **{column: 1})
    assert await repo.get_order(order.id) == order


async def test_update_order_details(repo: Repository) -> None:
    (order,) = await _orders(repo, "p1")
    await repo.update_order_details(order.id, refund_sun=1_500_000, delegate_txid="ab12")
    await repo.update_order_details(order.id)  # nothing to do
    stored = await repo.get_order(order.id)
    assert stored is not None
    assert (stored.refund_sun, stored.delegate_txid) == (1_500_000, "ab12")
    assert (stored.state, stored.raw_status) == (order.state, order.raw_status)


async def test_open_orders_only_open_states(repo: Repository) -> None:
    sub = await _submission(repo)
    await repo.record_orders(sub, [_new(s.value, state=s) for s in OrderState], now=1.0)
    await _orders(repo, "other-provider", provider="feee")
    open_orders = await repo.open_orders("tronsave")
    assert {o.state for o in open_orders} == set(OPEN_STATES)
    assert {o.state for o in open_orders} == {
        OrderState.PENDING,
        OrderState.MATCHED,
        OrderState.UNKNOWN,
    }
    assert [o.id for o in open_orders] == sorted(o.id for o in open_orders)
    assert [o.provider_order_id for o in await repo.open_orders("feee")] == ["other-provider"]
    assert await repo.open_orders("nobody") == []


async def test_orders_by_ids(repo: Repository) -> None:
    a, _, c = await _orders(repo, "a", "b", "c")
    assert await repo.orders_by_ids([c.id, a.id, 999]) == [a, c]
    assert await repo.orders_by_ids([]) == []
    assert await repo.get_order(999) is None


async def test_chat_orders_newest_first_with_paging(repo: Repository) -> None:
    mine = await _orders(repo, *(f"m{i}" for i in range(7)), chat_id=1)
    await _orders(repo, "o1", "o2", chat_id=2)
    ids = [o.id for o in reversed(mine)]
    page, total = await repo.chat_orders(1, offset=0, limit=3)
    assert total == 7
    assert [o.id for o in page] == ids[:3]
    page, total = await repo.chat_orders(1, offset=3, limit=3)
    assert [o.id for o in page] == ids[3:6]
    page, total = await repo.chat_orders(1, offset=6, limit=3)
    assert [o.id for o in page] == ids[6:]
    page, total = await repo.chat_orders(1, offset=9, limit=3)
    assert (page, total) == ([], 7)
    assert await repo.chat_orders(3, offset=0, limit=5) == ([], 0)


# -- outbox ------------------------------------------------------------------------------


async def test_outbox_sent_and_dropped(repo: Repository, db_path: Path) -> None:
    for i in range(5):
        await repo.enqueue(
            _note(chat_id=i, kind="status", n=i, nested={"b": [1, 2]}), now=10.0 + i
        )
    notes = await repo.unsent_notifications()
    assert [n.chat_id for n in notes] == [0, 1, 2, 3, 4]
    assert notes[2].payload == {"n": 2, "nested": {"b": [1, 2]}}
    assert notes[2].created_at == 12.0
    await repo.mark_sent(notes[0].id, now=20.0)
    await repo.mark_dropped(notes[1].id, "blocked")
    remaining = await repo.unsent_notifications()
    assert [n.id for n in remaining] == [n.id for n in notes[2:]]
    assert _sql(db_path, f"SELECT sent_at, dropped FROM outbox WHERE id = {notes[0].id}") == [
        (20.0, None)
    ]
    assert _sql(db_path, f"SELECT sent_at, dropped FROM outbox WHERE id = {notes[1].id}") == [
        (None, "blocked")
    ]


async def test_outbox_paging_with_after_id(repo: Repository) -> None:
    for i in range(7):
        await repo.enqueue(_note(n=i), now=1.0)
    first = await repo.unsent_notifications(limit=3)
    assert [n.payload["n"] for n in first] == [0, 1, 2]
    second = await repo.unsent_notifications(limit=3, after_id=first[-1].id)
    assert [n.payload["n"] for n in second] == [3, 4, 5]
    third = await repo.unsent_notifications(limit=3, after_id=second[-1].id)
    assert [n.payload["n"] for n in third] == [6]
    assert await repo.unsent_notifications(limit=3, after_id=third[-1].id) == []


# -- chats and users ---------------------------------------------------------------------


async def test_chat_blocked_flag(repo: Repository) -> None:
    assert await repo.is_chat_blocked(5) is False
    await repo.set_chat_blocked(5, 123.0)
    assert await repo.is_chat_blocked(5) is True
    assert await repo.is_chat_blocked(6) is False
    await repo.set_chat_blocked(5, None)
    assert await repo.is_chat_blocked(5) is False


async def test_user_lang(repo: Repository) -> None:
    assert await repo.get_user_lang(1) is None
    await repo.set_user_lang(1, "zh")
    assert await repo.get_user_lang(1) == "zh"
    await repo.set_user_lang(1, "en")
    assert await repo.get_user_lang(1) == "en"
    await repo.set_user_lang(1, None)
    assert await repo.get_user_lang(1) is None
    assert await repo.get_user_lang(2) is None


# -- concurrency -------------------------------------------------------------------------


async def test_concurrent_writers_leave_a_consistent_db(repo: Repository, db_path: Path) -> None:
    orders = await _orders(repo, *(f"p{i}" for i in range(20)))
    targets = [OrderState.MATCHED, OrderState.EXPIRED, OrderState.FAILED]
    calls = []
    for order in orders:
        # Three pollers race to move each order, each to a different state.
        for state in targets:
            tr = Transition(order, state, state.value)
            calls.append(repo.apply([tr], now=1.0, notifications=Notifier()))
    enqueues = [repo.enqueue(_note(kind="status", n=i), now=2.0) for i in range(30)]
    lang_writes = [repo.set_user_lang(i % 3, "zh" if i % 2 else "en") for i in range(12)]
    results = await asyncio.gather(*calls, *enqueues, *lang_writes)

    won = [tr for result in results[: len(calls)] if result for tr in result]
    assert len(won) == len(orders)  # exactly one winner per order
    assert {tr.order.id for tr in won} == {o.id for o in orders}
    for tr in won:
        stored = await repo.get_order(tr.order.id)
        assert stored is not None
        assert (stored.state, stored.raw_status) == (tr.state, tr.state.value)
    assert _count(db_path, "outbox") == 30 + len(orders)
    assert len(await repo.unsent_notifications()) == 30 + len(orders)
    assert len(await repo.open_orders("tronsave")) == sum(
        1 for tr in won if tr.state is OrderState.MATCHED
    )
    assert _sql(db_path, "PRAGMA integrity_check") == [("ok",)]
