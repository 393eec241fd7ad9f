"""The notices that end a search for a lost submission's orders fit one Telegram message."""

from __future__ import annotations

import pytest

from bot.handlers.push import _addresses
from bot.i18n import Html, Lang, t
from bot.tron_address import address_from_bytes

ADDRESSES = [address_from_bytes(n.to_bytes(20, "big")) for n in range(1, 101)]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("kind", ["recovery_partial", "recovery_unknown"])
def test_a_hundred_receivers_found_and_missing_fit_one_message(lang: Lang, kind: str) -> None:
    text = t(
        lang,
        f"push.{kind}",
        submission=12345,
        orders=Html(""),
        found=_addresses(lang, ADDRESSES[:50]),
        missing=_addresses(lang, ADDRESSES[50:]),
    )
    assert len(text) <= 4096
    assert ADDRESSES[0] in text
    assert ADDRESSES[50] in text
    assert t(lang, "push.more", count=30) in text  # 50 named as 20 and "30 more"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_receivers_reads_as_none(lang: Lang) -> None:
    assert _addresses(lang, []) == t(lang, "push.none")
    assert _addresses(lang, None) == t(lang, "push.none")
