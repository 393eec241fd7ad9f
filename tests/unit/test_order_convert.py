"""The row <-> port copies in bot.services.orders.convert: each target field has a
source field of the same name and type, and the values come across unchanged."""

from __future__ import annotations

from dataclasses import fields

import pytest

from bot.domain import OrderState, PlacedOrder, ProviderName, SubmissionState
from bot.providers.port import SubmissionQuery, TrackedOrder
from bot.services.orders.convert import submission_query, tracked
from bot.storage.repository import NewOrder, Order, Submission


@pytest.mark.parametrize(
    ("target", "source"),
    [(TrackedOrder, Order), (SubmissionQuery, Submission), (NewOrder, PlacedOrder)],
)
def test_every_copied_field_has_the_same_name_and_type_on_both_sides(
    target: type, source: type
) -> None:
    source_types = {f.name: f.type for f in fields(source)}
    for f in fields(target):
        assert f.name in source_types, f"{source.__name__} lacks {f.name}"
        assert source_types[f.name] == f.type, f"{f.name}: {source_types[f.name]} vs {f.type}"


def test_values_come_across_unchanged() -> None:
    order = Order(
        7, 3, ProviderName.FEEE, "k", "p-7", 10, "T1", 65_000, 3600, OrderState.MATCHED,
        "2", 100.0, 400.0, 150.0, 3750.0, None, 90, None, 65_000, "tx", 99.5,
    )  # fmt: skip
    assert tracked(order) == TrackedOrder("p-7", 65_000, OrderState.MATCHED, "2", 100.0, 99.5)
    sub = Submission(
        3, 10, 20, ProviderName.TRONSAVE, "k", 65_000, 900, 200, 300, ("T1", "T2"),
        SubmissionState.UNCERTAIN, "X", 50.0, 60.0, 51.0, 55.0, -1.0, 2.0,
    )  # fmt: skip
    assert submission_query(sub) == SubmissionQuery(
        65_000, 900, 200, 300, ("T1", "T2"), 50.0, 51.0, 55.0, -1.0, 2.0
    )
    # The repository stores the very type the port returns: nothing to convert.
    assert NewOrder is PlacedOrder
