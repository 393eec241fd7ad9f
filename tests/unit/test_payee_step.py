"""The payee step's pieces: its parser, its place in the draft, the one-line form's
marker and the suggested-amount button's data."""

from __future__ import annotations

import re

import pytest

from bot.parsing import InputError, parse_payee
from bot.sandbox.base import derive_address
from bot.telegram.callback_data import StepChoice, SuggestedAmount, wizard_pattern
from bot.telegram.draft import PAYEE, Draft
from bot.telegram.handlers.new_order import split_payee

PAYEE_ADDRESS = derive_address("payee-step:payee")


@pytest.mark.parametrize("text", ["skip", "SKIP", " - ", "跳过", "none"])
def test_skip_words_skip(text: str) -> None:
    assert parse_payee(text) is None


def test_one_valid_address_is_the_payee() -> None:
    assert parse_payee(f"  {PAYEE_ADDRESS}\n") == PAYEE_ADDRESS


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", "input.payee_empty"),
        (f"{PAYEE_ADDRESS}, {PAYEE_ADDRESS}", "input.payee_one"),
        ("TQk2eKHE9ZfCdVmyPnh8DfRMUF5b123456", "input.payee_invalid"),
    ],
)
def test_bad_payees_are_refused(text: str, key: str) -> None:
    with pytest.raises(InputError) as info:
        parse_payee(text)
    assert info.value.key == key


def test_the_draft_keeps_a_payee_or_a_skip_across_a_restart() -> None:
    draft = Draft()
    assert draft.answers.payee is None  # not asked
    draft.answer(PAYEE, None)
    again = Draft.from_dict(draft.to_dict())
    assert again.answers.payee == ""  # asked, skipped
    assert again.answers.payee_address is None
    draft.answer(PAYEE, PAYEE_ADDRESS)
    assert Draft.from_dict(draft.to_dict()).answers.payee_address == PAYEE_ADDRESS
    assert Draft.from_dict({"payee": 12}).answers.payee is None  # unreadable: not asked


def test_the_one_line_form_splits_at_the_payee_marker() -> None:
    args = ["65000", "1h", "70", "TA", "TB", "to", PAYEE_ADDRESS]
    assert split_payee(args) == (["65000", "1h", "70", "TA", "TB"], PAYEE_ADDRESS)
    assert split_payee(["65000", "1h", "70", "TA"]) == (["65000", "1h", "70", "TA"], None)
    assert split_payee(["65000", "1h", "70", "TA", "→"]) == (["65000", "1h", "70", "TA"], "")
    # "to" in the first three places is not a marker (the parsers refuse it there).
    assert split_payee(["to", "1h", "70", "TA"]) == (["to", "1h", "70", "TA"], None)


def test_the_suggested_amount_button_round_trips_and_refuses_junk() -> None:
    data = SuggestedAmount(130_285).pack()
    assert data == "w:size:130285"
    assert SuggestedAmount.unpack(data) == SuggestedAmount(130_285)
    for junk in ("w:size:", "w:size:-5", "w:size:1e5", "w:size:１２", "w:size:" + "9" * 13):
        assert SuggestedAmount.unpack(junk) is None
    assert StepChoice("payee", "skip").pack() == "w:payee:skip"
    assert re.match(wizard_pattern(), data)  # a stale one is answered as a closed form
