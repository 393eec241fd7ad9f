"""The wizard's draft: kept in user_data as the plain dict the bot has always stored, so
a draft saved before a restart (or by an older version) loads, and nothing stored can
make loading fail."""

from __future__ import annotations

from typing import Any

import pytest

from bot.providers.port import OrderRequest
from bot.telegram.draft import Answers, Draft, Offer

RECEIVER = "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8"
REQUEST = OrderRequest(65_000, 3600, 70, (RECEIVER,), 300)
# A draft at the summary, as the dict-based wizard stored it.
OLD_DICT: dict[str, Any] = {
    "deadline": 300,
    "amount": 65_000,
    "duration": 3600,
    "price": 70,
    "receivers": [RECEIVER],
    "provider": "tronsave",
    "nonce": "n0nce_AB",
    "offer": {
        "nonce": "n0nce_AB",
        "provider": "tronsave",
        "request": {
            "amount": 65_000,
            "duration": 3600,
            "price": 70,
            "receivers": [RECEIVER],
            "deadline": 300,
        },
    },
}


def test_an_old_stored_draft_loads_and_stores_back_the_same() -> None:
    draft = Draft.from_dict(OLD_DICT)
    assert draft.answers.request() == REQUEST
    assert draft.provider == "tronsave"
    assert draft.offer == Offer("n0nce_AB", "tronsave", REQUEST)
    assert draft.to_dict() == OLD_DICT


def test_a_draft_mid_way_keeps_only_what_was_answered() -> None:
    draft = Draft.from_dict({"deadline": 300, "amount": 65_000})
    assert draft.answers == Answers(amount=65_000, deadline=300)
    assert draft.to_dict() == {"deadline": 300, "amount": 65_000}
    with pytest.raises(ValueError, match="incomplete"):
        draft.answers.request()


def test_answers_are_stored_by_step() -> None:
    draft = Draft()
    for step, value in [
        ("amount", 65_000),
        ("duration", 3600),
        ("price", 70),
        ("receivers", (RECEIVER,)),
        ("deadline", 300),
    ]:
        draft.answer(step, value)
    assert draft.answers.request() == REQUEST
    with pytest.raises(ValueError, match="not a wizard step"):
        draft.answer("provider", "feee")


@pytest.mark.parametrize(
    "stored",
    [
        {},
        {"amount": "lots", "receivers": "TJR", "provider": 5, "nonce": ["x"]},
        {"offer": "broken"},
        {"offer": {"nonce": "n", "request": {"amount": 1}}},
        {"offer": {"nonce": 3, "request": OLD_DICT["offer"]["request"]}},
        {"amount": True, "duration": None, "receivers": [1, 2]},
    ],
)
def test_unreadable_values_are_left_unanswered(stored: dict[str, Any]) -> None:
    draft = Draft.from_dict(stored)
    assert draft.offer is None
    assert draft.nonce is None
    assert draft.answers.amount is None
    assert draft.answers.receivers is None


def test_a_confirm_is_bound_to_the_live_offer_only() -> None:
    draft = Draft.from_dict(OLD_DICT)
    assert draft.bound_offer("tronsave", "n0nce_AB") == draft.offer
    assert draft.bound_offer("feee", "n0nce_AB") is None  # another provider
    assert draft.bound_offer("tronsave", "other") is None  # another summary
    assert draft.bound_offer("tronsave", "") is None
    draft.nonce = None  # pressed once, or voided by another button
    assert draft.bound_offer("tronsave", "n0nce_AB") is None
    assert "nonce" not in draft.to_dict()
