"""Receiver-by-receiver report lines and the splitting that keeps them within Telegram's
4,096 characters, for 100 receivers in both languages."""

from __future__ import annotations

import pytest

from bot.domain import OrderState, ProviderName
from bot.i18n import LANGS, Lang
from bot.providers.errors import FailureReason, ProviderBusinessError
from bot.providers.port import ReceiverStatus
from bot.services.orders import ReceiverReport
from bot.storage.repository import Order
from bot.telegram.long_text import chunk_lines
from bot.telegram.submit_report import receiver_lines
from bot.tron_address import address_from_bytes

RECEIVERS = [address_from_bytes(i.to_bytes(2, "big") * 10) for i in range(1, 101)]


def _order(order_id: int, receiver: str) -> Order:
    return Order(
        order_id, 1, ProviderName.FEEE, "k", f"{order_id:022d}", 10, receiver, 65_000, 3_600,
        OrderState.PENDING, "4", 0.0, None, None, None, None, None, None, None, None, None,
    )  # fmt: skip


def _report() -> list[ReceiverReport]:
    """Worst case for length: refusals with reasons, one uncertain, many not attempted."""
    refusal = ProviderBusinessError(
        "feee",
        "20005",
        "the receiving address is not activated",
        reason=FailureReason.RECEIVER_NOT_ACTIVATED,
    )
    report = [
        ReceiverReport(r, ReceiverStatus.ORDERED, _order(i + 1, r))
        for i, r in enumerate(RECEIVERS[:40])
    ]
    report += [ReceiverReport(r, ReceiverStatus.REFUSED, error=refusal) for r in RECEIVERS[40:70]]
    report.append(ReceiverReport(RECEIVERS[70], ReceiverStatus.UNCERTAIN))
    report += [ReceiverReport(r, ReceiverStatus.NOT_ATTEMPTED) for r in RECEIVERS[71:]]
    return report


@pytest.mark.parametrize("lang", LANGS)
def test_100_receivers_split_into_messages_that_fit_and_lose_nothing(lang: Lang) -> None:
    lines = receiver_lines(lang, "feee", _report())
    chunks = chunk_lines(lines, header="title")
    assert len(chunks) > 1
    assert all(len(c) <= 4096 for c in chunks)
    assert chunks[0].startswith("title\n")
    joined = "\n".join(chunks)
    assert all(f"<code>{r}</code>" in joined for r in RECEIVERS[40:])  # to act on: in full
    assert all(f"#{i} · " in joined for i in range(1, 41))
    # The uncertain receiver comes first, before any refusal or order.
    assert lines[1].startswith(f"❔ <code>{RECEIVERS[70]}</code>")


def test_chunk_lines_keeps_lines_whole_and_in_order_within_the_limit() -> None:
    # Only what any correct splitter guarantees (the splitting itself may change).
    lines = ["aaaa", "bbbb", "cc", "d" * 8]
    chunks = chunk_lines(lines, limit=9)
    assert all(len(c) <= 9 for c in chunks)
    assert [line for c in chunks for line in c.split("\n")] == lines
    assert chunk_lines(["a", "b"], limit=10) == ["a\nb"]
    long = chunk_lines(["x" * 25], limit=10)
    assert all(len(c) <= 10 for c in long)
    assert "".join(long) == "x" * 25
    headed = chunk_lines(["ab", "cd", "ef"], header="H", limit=6)
    assert all(len(c) <= 6 for c in headed)
    assert headed[0].startswith("H\n")
