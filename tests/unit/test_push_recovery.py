"""The notices that end a search for a lost submission's orders name every receiver and
fit Telegram's limit, split into parts where one message would not do."""

from __future__ import annotations

import pytest

from bot.i18n import Html, Lang, t
from bot.telegram.long_text import split_text, utf16_len
from bot.telegram.push_render import _addresses
from bot.tron_address import address_from_bytes

ADDRESSES = [address_from_bytes(n.to_bytes(20, "big")) for n in range(1, 101)]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("kind", ["recovery_partial", "recovery_unknown"])
def test_a_hundred_receivers_found_and_missing_are_all_named_within_the_limit(
    lang: Lang, kind: str
) -> None:
    text = t(
        lang,
        f"push.{kind}",
        submission=12345,
        orders=Html(""),
        found=_addresses(lang, ADDRESSES[:50]),
        missing=_addresses(lang, ADDRESSES[50:]),
    )
    parts = split_text(text)
    assert all(utf16_len(p) <= 4096 for p in parts)
    joined = "".join(parts)
    assert all(a in joined for a in ADDRESSES)  # every receiver, the user must check each


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_receivers_reads_as_none(lang: Lang) -> None:
    assert _addresses(lang, []) == t(lang, "push.none")
    assert _addresses(lang, None) == t(lang, "push.none")
