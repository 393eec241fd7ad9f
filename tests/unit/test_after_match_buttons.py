"""The after-match buttons' data (Rent again signed per chat, the /settings switch, the
summary's switch) and the draft field that carries the summary's choice."""

from __future__ import annotations

import pytest

from bot.telegram.callback_data import (
    MAX_BYTES,
    OrderAction,
    RentAgain,
    SettingsButton,
    WizardCommand,
    secret_from_token,
)
from bot.telegram.draft import Draft

SECRET = secret_from_token("123:token")
CHAT = -1001234567890


def test_rent_again_is_signed_for_its_chat_only() -> None:
    data = RentAgain(123_456_789_012).pack(SECRET, CHAT)
    assert len(data.encode()) <= MAX_BYTES
    assert RentAgain.unpack(SECRET, [CHAT], data) == RentAgain(123_456_789_012)
    assert RentAgain.unpack(SECRET, [CHAT + 1], data) is None  # copied to another chat
    assert RentAgain.unpack(secret_from_token("other"), [CHAT], data) is None
    forged = data.replace("123456789012", "123456789013")
    assert RentAgain.unpack(SECRET, [CHAT], forged) is None


@pytest.mark.parametrize(
    "data", ["ra:", "ra:1", "ra:x:tag", "ra:1:é", "ra:1:a:b", "a:c:1:tag", "ra:" + "9" * 30 + ":t"]
)
def test_malformed_rent_again_data_is_refused(data: str) -> None:
    assert RentAgain.unpack(SECRET, [CHAT], data) is None


def test_rent_again_and_order_actions_never_read_each_other() -> None:
    rent = RentAgain(5).pack(SECRET, CHAT)
    action = OrderAction("c", 5).pack(SECRET, CHAT)
    assert OrderAction.unpack(SECRET, [CHAT], rent) is None
    assert RentAgain.unpack(SECRET, [CHAT], action) is None


def test_the_settings_switch_and_the_summary_switch() -> None:
    assert SettingsButton.unpack(SettingsButton("ac").pack()) == SettingsButton("ac")
    assert SettingsButton.unpack("set:anything") is None
    assert WizardCommand.unpack(WizardCommand("ac").pack()) == WizardCommand("ac")


@pytest.mark.parametrize("value", [True, False, None])
def test_the_drafts_choice_survives_persistence(value: bool | None) -> None:
    draft = Draft(auto_confirm=value)
    assert Draft.from_dict(draft.to_dict()).auto_confirm is value


@pytest.mark.parametrize("stored", ["yes", 1, [], None])
def test_an_unreadable_stored_choice_follows_the_users_setting(stored: object) -> None:
    assert Draft.from_dict({"auto_confirm": stored}).auto_confirm is None
