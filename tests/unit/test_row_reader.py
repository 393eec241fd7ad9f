"""Rows are read by column name whatever order a query lists its columns in, a column
the query leaves out takes the field's default, and stored text is converted."""

from __future__ import annotations

import sqlite3

import pytest

from bot.domain import ProviderName, SubmissionState
from bot.storage import rows
from bot.storage.rows import Submission

VALUES = {
    "id": 7,
    "chat_id": 10,
    "user_id": 20,
    "provider": "tronsave",
    "key_id": "k1",
    "amount": 65_000,
    "duration_sec": 900,
    "max_price": 70,
    "deadline_sec": 300,
    "receivers": '["TAddrOne", "TAddrTwo"]',
    "state": "submitted",
    "error_code": None,
    "created_at": 1.0,
    "updated_at": 2.0,
}


def select(columns: list[str]) -> sqlite3.Row:
    db = sqlite3.connect(":memory:")
    db.row_factory = sqlite3.Row
    listed = ", ".join(f"? AS {c}" for c in columns)
    row: sqlite3.Row = db.execute(f"SELECT {listed}", [VALUES[c] for c in columns]).fetchone()
    return row


@pytest.mark.parametrize("order", [list(VALUES), list(reversed(VALUES))])
def test_columns_in_any_order_read_the_same(order: list[str]) -> None:
    sub = rows.submission(select(order))
    assert sub == Submission(
        id=7,
        chat_id=10,
        user_id=20,
        provider=ProviderName.TRONSAVE,
        key_id="k1",
        amount=65_000,
        duration_sec=900,
        max_price=70,
        deadline_sec=300,
        receivers=("TAddrOne", "TAddrTwo"),
        state=SubmissionState.SUBMITTED,
        error_code=None,
        created_at=1.0,
        updated_at=2.0,
    )
    assert sub.sent_at is None  # not selected: the field's default


def test_a_reader_keeps_one_plan_per_select_list() -> None:
    reader = rows.RowReader(Submission, {"receivers": lambda v: ("x",)})
    first = reader(select(list(VALUES)))
    again = reader(select(list(reversed(VALUES))))
    assert first == again
    assert first.receivers == ("x",)
    assert len(reader._plans) == 2
