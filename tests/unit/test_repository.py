"""The SQLite repository: schema, compare-and-set transitions, the outbox, chats, users."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import fields
from pathlib import Path
from typing import cast

import pytest

from bot.domain import OPEN_STATES, NoticeKind, OrderState, ProviderName, SubmissionState
from bot.storage import rows
from bot.storage.migrations import MIGRATIONS
from bot.storage.repository import (
    NewNotification,
    NewOrder,
    NoticePayload,
    Order,
    OrderChanges,
    Repository,
    Submission,
    Transition,
)
from tests.support.storage import payload_of, queue_notice, queue_raw_notice, stored_order

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
    repo: Repository,
    *,
    chat_id: int = 10,
    provider: ProviderName = ProviderName.TRONSAVE,
    now: float = 100.0,
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
    repo: Repository,
    *pids: str,
    chat_id: int = 10,
    provider: ProviderName = ProviderName.TRONSAVE,
) -> list[Order]:
    sub = await _submission(repo, chat_id=chat_id, provider=provider)
    return await repo.record_orders(sub, [_new(p) for p in pids], now=101.0)


def _note(
    chat_id: int = 10,
    kind: NoticeKind = NoticeKind.MATCHED,
    submission_id: int = 1,
    order_ids: tuple[int, ...] | None = None,
) -> NewNotification:
    return NewNotification(chat_id, kind, NoticePayload(submission_id, order_ids=order_ids))


# -- schema ------------------------------------------------------------------------------


async def test_open_creates_schema_in_wal_mode(repo: Repository, db_path: Path) -> None:
    assert _sql(db_path, "PRAGMA quick_check") == [("ok",)]  # parent directory created
    assert _sql(db_path, "PRAGMA journal_mode") == [("wal",)]
    assert _sql(db_path, "PRAGMA user_version") == [(len(MIGRATIONS),)]
    assert len(MIGRATIONS) >= 2  # others append; never depend on the exact count
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
        (10, NoticeKind.MATCHED, NoticePayload(1))
    ]
    assert _count(db_path, "orders") == 2


async def test_record_orders_ignores_known_provider_ids(repo: Repository) -> None:
    sub = await _submission(repo)
    await repo.record_orders(sub, [_new("p1"), _new("p2")], now=150.0)
    again = await repo.record_orders(sub, [_new("p2"), _new("p3")], now=160.0)
    assert [o.provider_order_id for o in again] == ["p1", "p2", "p3"]
    assert again[1].created_at == 150.0  # the first copy is kept
    assert await repo.known_provider_ids(ProviderName.TRONSAVE, ["p1", "p3", "nope"]) == {
        "p1",
        "p3",
    }
    assert await repo.known_provider_ids(ProviderName.FEEE, ["p1"]) == set()


async def test_same_provider_id_allowed_for_another_provider(repo: Repository) -> None:
    await _orders(repo, "same", provider=ProviderName.TRONSAVE)
    await _orders(repo, "same", provider=ProviderName.FEEE)
    assert len(await repo.open_orders(ProviderName.TRONSAVE)) == 1
    assert len(await repo.open_orders(ProviderName.FEEE)) == 1


async def test_record_orders_is_atomic(repo: Repository, db_path: Path) -> None:
    sub = await _submission(repo)
    # The last statement of the transaction fails (a notice without a chat): the orders
    # inserted and the state change made before it must go too.
    broken = _note(chat_id=cast(int, None))
    with pytest.raises(sqlite3.IntegrityError):
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
        notify=_note(kind=NoticeKind.UNRESOLVED),
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
        notify=_note(kind=NoticeKind.NOT_CREATED),
    )
    assert lost is False
    stored = await repo.get_submission(sub.id)
    assert stored is not None
    assert stored.state is SubmissionState.UNCERTAIN
    assert stored.updated_at == 200.0
    assert [n.kind for n in await repo.unsent_notifications()] == [NoticeKind.UNRESOLVED]

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
        return [_note(order_ids=tuple(tr.order.id for tr in won))]


async def test_apply_wins_once(repo: Repository) -> None:
    (order,) = await _orders(repo, "p1")
    tr = Transition(
        order, OrderState.MATCHED, "matched", OrderChanges(matched_at=300.0, ends_at=1200.0)
    )
    notifier = Notifier()
    won = await repo.apply([tr], now=300.0, notifications=notifier)
    assert won == [tr]
    stored = await stored_order(repo, order.id)
    assert stored is not None
    assert (stored.state, stored.raw_status) == (OrderState.MATCHED, "matched")
    assert (stored.matched_at, stored.ends_at) == (300.0, 1200.0)
    assert len(notifier.calls) == 1
    notes = await repo.unsent_notifications()
    assert [(n.kind, n.payload, n.created_at) for n in notes] == [
        (NoticeKind.MATCHED, NoticePayload(1, order_ids=(order.id,)), 300.0)
    ]

    # The same transition again (an overlapping poll, a restart): nothing, no message.
    again = await repo.apply([tr], now=301.0, notifications=notifier)
    assert again == []
    assert len(notifier.calls) == 1
    assert len(await repo.unsent_notifications()) == 1


async def test_apply_stale_read_loses(repo: Repository) -> None:
    (order,) = await _orders(repo, "p1")
    first = Transition(order, OrderState.MATCHED, "matched")
    stale = Transition(order, OrderState.CANCELLED, "cancelled", OrderChanges(closed_at=9.0))
    assert await repo.apply([first], now=1.0) == [first]
    assert await repo.apply([stale], now=2.0, notifications=Notifier()) == []
    stored = await stored_order(repo, order.id)
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
    stored = await stored_order(repo, order.id)
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
    assert [n.payload for n in notes] == [NoticePayload(1, order_ids=(a.id, c.id))]


async def test_apply_two_transitions_of_one_order_compare_in_turn(repo: Repository) -> None:
    (order,) = await _orders(repo, "p1")
    first = Transition(order, OrderState.MATCHED, "matched", OrderChanges(matched_at=5.0))
    stale = Transition(order, OrderState.CANCELLED, "cancelled", OrderChanges(closed_at=6.0))
    moved = dataclasses.replace(order, state=OrderState.MATCHED, raw_status="matched")
    follow = Transition(moved, OrderState.COMPLETED, "done", OrderChanges(closed_at=7.0))
    assert await repo.apply([first, stale, follow], now=8.0) == [first, follow]
    stored = await stored_order(repo, order.id)
    assert stored is not None
    assert (stored.state, stored.raw_status) == (OrderState.COMPLETED, "done")
    assert (stored.matched_at, stored.closed_at) == (5.0, 7.0)


async def test_apply_writes_each_orders_own_columns_across_a_large_batch(
    repo: Repository,
) -> None:
    orders = await _orders(repo, *(f"p{i}" for i in range(1_203)))
    batch = [
        Transition(o, OrderState.MATCHED, "matched", OrderChanges(matched_at=float(i)))
        if i % 3
        else Transition(o, OrderState.EXPIRED, "expired", OrderChanges(closed_at=float(i)))
        for i, o in enumerate(orders)
    ]
    stale_read = batch[600]
    assert await repo.apply([stale_read], now=1.0) == [stale_read]
    won = await repo.apply(batch, now=2.0)
    assert won == batch[:600] + batch[601:]
    stored = {o.id: o for o in await repo.orders_by_ids([o.id for o in orders])}
    for i, o in enumerate(orders):
        got = stored[o.id]
        if i % 3:
            assert (got.state, got.matched_at, got.closed_at) == (OrderState.MATCHED, i, None)
        else:
            assert (got.state, got.matched_at, got.closed_at) == (OrderState.EXPIRED, None, i)


async def test_apply_without_winners_does_not_call_notifier(repo: Repository) -> None:
    (order,) = await _orders(repo, "p1")
    notifier = Notifier(fail=True)
    stale = Transition(
        dataclasses.replace(order, state=OrderState.MATCHED), OrderState.COMPLETED, "done"
    )
    assert await repo.apply([stale], now=1.0, notifications=notifier) == []
    assert notifier.calls == []


async def test_failing_notifier_rolls_everything_back(repo: Repository, db_path: Path) -> None:
    a, b = await _orders(repo, "a", "b")
    batch = [
        Transition(a, OrderState.MATCHED, "matched", OrderChanges(matched_at=5.0)),
        Transition(b, OrderState.FAILED, "failed", OrderChanges(closed_at=5.0)),
    ]
    notifier = Notifier(fail=True)
    with pytest.raises(RuntimeError, match="render failed"):
        await repo.apply(batch, now=5.0, notifications=notifier)
    assert len(notifier.calls) == 1
    for order in (a, b):
        assert await stored_order(repo, order.id) == order
    assert _count(db_path, "outbox") == 0
    # Nothing was lost either: the same batch applies once the notifier works.
    assert await repo.apply(batch, now=6.0, notifications=Notifier()) == batch
    assert _count(db_path, "outbox") == 1


async def test_changes_write_only_the_fields_set(repo: Repository) -> None:
    (order,) = await _orders(repo, "p1")
    matched = OrderChanges(matched_at=5.0, ends_at=905.0, delegate_txid="ab")
    assert await repo.apply([Transition(order, OrderState.MATCHED, "m", matched)], now=5.0)
    # A later change naming other facts leaves these as they are (None is "not learnt").
    closed = OrderChanges(closed_at=9.0, refund_sun=0)
    fresh = await stored_order(repo, order.id)
    assert fresh is not None
    assert await repo.apply([Transition(fresh, OrderState.CONFIRMED, "c", closed)], now=9.0)
    stored = await stored_order(repo, order.id)
    assert stored is not None
    assert (stored.matched_at, stored.ends_at, stored.delegate_txid) == (5.0, 905.0, "ab")
    assert (stored.closed_at, stored.refund_sun) == (9.0, 0)  # 0 is a value, written
    assert (stored.charge_sun, stored.delivered_amount) == (None, None)


def test_changes_name_only_facts_learnt_later() -> None:
    """OrderChanges' fields are the columns they write: each is an orders column, and
    none is the order's identity, owner, state or request."""
    columns = {
        c[1]
        for c in sqlite3.connect(":memory:")
        .executescript("\n".join(MIGRATIONS))
        .execute("PRAGMA table_info(orders)")
        .fetchall()
    }
    names = {f.name for f in fields(OrderChanges)}
    assert names <= columns
    fixed = {"id", "submission_id", "provider", "key_id", "provider_order_id", "chat_id"}
    assert not names & (fixed | {"receiver", "amount", "duration_sec", "state", "raw_status"})
    assert OrderChanges().columns() == {}
    assert OrderChanges(refund_sun=0, delegate_txid="x").columns() == {
        "refund_sun": 0,
        "delegate_txid": "x",
    }


async def test_update_order_details(repo: Repository) -> None:
    (order,) = await _orders(repo, "p1")
    await repo.update_order_details(
        order.id, OrderChanges(refund_sun=1_500_000, delegate_txid="ab12")
    )
    await repo.update_order_details(order.id, OrderChanges())  # nothing to do
    stored = await stored_order(repo, order.id)
    assert stored is not None
    assert (stored.refund_sun, stored.delegate_txid) == (1_500_000, "ab12")
    assert (stored.state, stored.raw_status) == (order.state, order.raw_status)


async def test_open_orders_only_open_states(repo: Repository) -> None:
    sub = await _submission(repo)
    await repo.record_orders(sub, [_new(s.value, state=s) for s in OrderState], now=1.0)
    await _orders(repo, "other-provider", provider=ProviderName.FEEE)
    open_orders = await repo.open_orders(ProviderName.TRONSAVE)
    assert {o.state for o in open_orders} == set(OPEN_STATES)
    assert {o.state for o in open_orders} == {
        OrderState.PENDING,
        OrderState.MATCHED,
        OrderState.UNKNOWN,
    }
    assert [o.id for o in open_orders] == sorted(o.id for o in open_orders)
    assert [o.provider_order_id for o in await repo.open_orders(ProviderName.FEEE)] == [
        "other-provider"
    ]


async def test_orders_by_ids(repo: Repository) -> None:
    a, _, c = await _orders(repo, "a", "b", "c")
    assert await repo.orders_by_ids([c.id, a.id, 999]) == [a, c]
    assert await repo.orders_by_ids([]) == []
    assert await stored_order(repo, 999) is None


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
        payload = NoticePayload(i, order_ids=(i, 7), found=(RECEIVERS[0],), missing=())
        await queue_notice(repo, NewNotification(i, NoticeKind.STATUS, payload), now=10.0 + i)
    notes = await repo.unsent_notifications()
    assert [n.chat_id for n in notes] == [0, 1, 2, 3, 4]
    assert notes[2].kind is NoticeKind.STATUS
    assert notes[2].payload == NoticePayload(
        2, order_ids=(2, 7), found=(RECEIVERS[0],), missing=()
    )
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
        await queue_notice(repo, _note(submission_id=i), now=1.0)
    first = await repo.unsent_notifications(limit=3)
    assert [payload_of(n).submission_id for n in first] == [0, 1, 2]
    second = await repo.unsent_notifications(limit=3, after_id=first[-1].id)
    assert [payload_of(n).submission_id for n in second] == [3, 4, 5]
    third = await repo.unsent_notifications(limit=3, after_id=second[-1].id)
    assert [payload_of(n).submission_id for n in third] == [6]
    assert await repo.unsent_notifications(limit=3, after_id=third[-1].id) == []


async def test_payloads_written_by_earlier_versions_load(repo: Repository) -> None:
    """Rows as the bot wrote them before payloads were typed (json.dumps, sorted keys)."""
    old = [
        ("matched", '{"order_ids": [3, 4], "submission_id": 2}'),
        ("recovery_partial", '{"found": ["TA"], "missing": ["TB", "TB"], "order_ids": [],'
         ' "submission_id": 5}'),
        ("interrupted", '{"submission_id": 7}'),
    ]  # fmt: skip
    for kind, payload in old:
        await queue_raw_notice(repo, 10, kind, payload, now=1.0)
    notes = await repo.unsent_notifications()
    assert [(n.kind, n.payload) for n in notes] == [
        (NoticeKind.MATCHED, NoticePayload(2, order_ids=(3, 4))),
        (
            NoticeKind.RECOVERY_PARTIAL,
            NoticePayload(5, order_ids=(), found=("TA",), missing=("TB", "TB")),
        ),
        (NoticeKind.INTERRUPTED, NoticePayload(7)),
    ]
    # Written back, each is the same JSON again.
    assert [payload_of(n).to_json() for n in notes] == [p for _, p in old]


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        ("matched", '{"submission_id": "broken"}'),
        ("matched", "{}"),
        ("matched", "not json"),
        ("matched", '{"submission_id": 1, "order_ids": ["x"]}'),
        ("from_a_newer_bot", '{"submission_id": 1}'),
    ],
)
async def test_an_unreadable_notice_loads_without_stopping_the_others(
    repo: Repository, kind: str, payload: str
) -> None:
    await queue_raw_notice(repo, 10, kind, payload, now=1.0)
    await queue_notice(repo, _note(submission_id=3), now=2.0)
    bad, good = await repo.unsent_notifications()
    assert bad.kind is None or bad.payload is None
    assert (good.kind, good.payload) == (NoticeKind.MATCHED, NoticePayload(3))


async def test_unreadable_stored_parts_mean_a_fresh_rendering(repo: Repository) -> None:
    await queue_notice(repo, _note(submission_id=3), now=1.0)
    [note] = await repo.unsent_notifications()
    await repo.set_notification_progress(note.id, parts_sent=1, render_level=0, parts=["a"])
    assert [n.parts for n in await repo.unsent_notifications()] == [("a",)]
    async with repo._tx() as db:
        await db.execute("UPDATE outbox SET parts = 'not json' WHERE id = ?", (note.id,))
    [again] = await repo.unsent_notifications()
    assert (again.parts, again.parts_sent, again.payload) == ((), 1, NoticePayload(3))


# -- row mapping --------------------------------------------------------------------------


async def test_rows_map_by_column_name_in_any_order(repo: Repository) -> None:
    (order,) = await _orders(repo, "p1", provider=ProviderName.FEEE)
    assert order.provider is ProviderName.FEEE
    assert order.state is OrderState.PENDING
    sub = await repo.get_submission(order.submission_id)
    assert sub is not None
    assert sub.provider is ProviderName.FEEE

    async def reversed_row(table: str, columns: str, row_id: int) -> sqlite3.Row:
        listed = ", ".join(reversed(columns.split(", ")))
        sql = f"SELECT 'x' AS unrelated, {listed} FROM {table} WHERE id = ?"
        async with repo._db.execute(sql, (row_id,)) as cur:
            row = await cur.fetchone()
        assert row is not None
        return row

    assert rows.order(await reversed_row("orders", rows.ORDER_COLUMNS, order.id)) == order
    row = await reversed_row("submissions", rows.SUBMISSION_COLUMNS, sub.id)
    assert rows.submission(row) == sub


async def test_a_database_with_the_unwritten_fail_reason_column_still_opens(
    db_path: Path,
) -> None:
    drop = next(i for i, m in enumerate(MIGRATIONS) if "DROP COLUMN fail_reason" in m)
    db_path.parent.mkdir(parents=True)
    with sqlite3.connect(db_path) as conn:
        conn.executescript("\n".join(MIGRATIONS[:drop]) + f"\nPRAGMA user_version = {drop};")
        conn.execute(
            "INSERT INTO submissions (id, chat_id, user_id, provider, key_id, amount,"
            " duration_sec, max_price, deadline_sec, receivers, state, created_at, updated_at)"
            " VALUES (1, 10, 20, 'tronsave', 'k', 65000, 900, 70, 300, '[\"TA\"]',"
            " 'submitted', 1.0, 1.0)"
        )
        conn.execute(
            "INSERT INTO orders (submission_id, provider, key_id, provider_order_id, chat_id,"
            " receiver, amount, duration_sec, state, raw_status, created_at, fail_reason)"
            " VALUES (1, 'tronsave', 'k', 'p1', 10, 'TA', 65000, 900, 'matched', 'm', 1.0, NULL)"
        )
    conn.close()
    repo = await Repository.open(db_path)
    try:
        [order] = await repo.orders_of_submission(1)
        assert (order.provider_order_id, order.state) == ("p1", OrderState.MATCHED)
    finally:
        await repo.close()
    columns = {r[1] for r in _sql(db_path, "PRAGMA table_info(orders)")}
    assert "fail_reason" not in columns
    assert "delegate_txid" in columns


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
    enqueues = [
        queue_notice(repo, _note(kind=NoticeKind.STATUS, submission_id=i), now=2.0)
        for i in range(30)
    ]
    lang_writes = [repo.set_user_lang(i % 3, "zh" if i % 2 else "en") for i in range(12)]
    results = await asyncio.gather(*calls, *enqueues, *lang_writes)

    won = [tr for result in results[: len(calls)] if result for tr in result]
    assert len(won) == len(orders)  # exactly one winner per order
    assert {tr.order.id for tr in won} == {o.id for o in orders}
    for tr in won:
        stored = await stored_order(repo, tr.order.id)
        assert stored is not None
        assert (stored.state, stored.raw_status) == (tr.state, tr.state.value)
    assert _count(db_path, "outbox") == 30 + len(orders)
    assert len(await repo.unsent_notifications()) == 30 + len(orders)
    assert len(await repo.open_orders(ProviderName.TRONSAVE)) == sum(
        1 for tr in won if tr.state is OrderState.MATCHED
    )
    assert _sql(db_path, "PRAGMA integrity_check") == [("ok",)]
