"""Signed callback data (order actions): only data this bot signed for this chat is
accepted."""

from __future__ import annotations

import random
import string
from collections.abc import Sequence

import pytest

from bot.telegram.callback_data import OrderAction, Verb, secret_from_token

SECRET = secret_from_token("123456:TEST-token")
OTHER_SECRET = secret_from_token("654321:other-token")
CHAT = 1_001
GROUP = -1_001_234_567_890
Action = OrderAction


def sign(secret: bytes, chat_id: int, verb: Verb, target: int) -> str:
    return OrderAction(verb, target).pack(secret, chat_id)


def verify(secret: bytes, chat_id: int, data: str) -> OrderAction | None:
    return OrderAction.unpack(secret, [chat_id], data)


def verify_any(secret: bytes, chat_ids: Sequence[int], data: str) -> OrderAction | None:
    return OrderAction.unpack(secret, chat_ids, data)


def test_secret_is_derived_and_stable() -> None:
    assert len(SECRET) == 32
    assert secret_from_token("123456:TEST-token") == SECRET
    assert OTHER_SECRET != SECRET


@pytest.mark.parametrize("verb", ["c", "ca", "x"])
@pytest.mark.parametrize("chat", [CHAT, GROUP, 0])
@pytest.mark.parametrize("target", [0, 1, 42, 10**17, 10**18 - 1])
def test_round_trip(verb: Verb, chat: int, target: int) -> None:
    data = sign(SECRET, chat, verb, target)
    assert data.startswith(f"a:{verb}:{target}:")
    assert verify(SECRET, chat, data) == Action(verb, target)


@pytest.mark.parametrize("verb", ["c", "ca", "x"])
def test_fits_telegram_64_bytes_for_large_ids(verb: Verb) -> None:
    for target in (10**17, 10**18 - 1):
        data = sign(SECRET, GROUP, verb, target)
        assert len(data.encode()) <= 64
        assert verify(SECRET, GROUP, data) == Action(verb, target)


def test_sign_is_deterministic_and_chat_bound() -> None:
    assert sign(SECRET, CHAT, "c", 5) == sign(SECRET, CHAT, "c", 5)
    assert sign(SECRET, CHAT, "c", 5) != sign(SECRET, CHAT + 1, "c", 5)


def test_tag_for_another_chat_is_refused() -> None:
    data = sign(SECRET, CHAT, "c", 7)
    assert verify(SECRET, CHAT + 1, data) is None
    assert verify(SECRET, -CHAT, data) is None
    assert verify(SECRET, CHAT, data) is not None


def test_other_secret_is_refused() -> None:
    assert verify(OTHER_SECRET, CHAT, sign(SECRET, CHAT, "c", 7)) is None


def test_changed_target_is_refused() -> None:
    tag = sign(SECRET, CHAT, "c", 7).rsplit(":", 1)[1]
    assert verify(SECRET, CHAT, f"a:c:8:{tag}") is None
    assert verify(SECRET, CHAT, f"a:c:07:{tag}") is None
    assert verify(SECRET, CHAT, f"a:c:7:{tag}") == Action("c", 7)


@pytest.mark.parametrize(("signed", "forged"), [("c", "x"), ("x", "c"), ("c", "ca"), ("ca", "c")])
def test_changed_verb_is_refused(signed: Verb, forged: str) -> None:
    tag = sign(SECRET, CHAT, signed, 7).rsplit(":", 1)[1]
    assert verify(SECRET, CHAT, f"a:{forged}:7:{tag}") is None


def test_truncated_tag_is_refused() -> None:
    data = sign(SECRET, CHAT, "x", 99)
    for cut in range(1, len(data.rsplit(":", 1)[1]) + 1):
        assert verify(SECRET, CHAT, data[:-cut]) is None
    assert verify(SECRET, CHAT, data.rsplit(":", 1)[0] + ":") is None


def test_altered_tag_is_refused() -> None:
    data = sign(SECRET, CHAT, "x", 99)
    last = data[-1]
    replacement = "A" if last != "A" else "B"
    assert verify(SECRET, CHAT, data[:-1] + replacement) is None
    assert verify(SECRET, CHAT, data + "A") is None


def test_extra_fields_are_refused() -> None:
    data = sign(SECRET, CHAT, "c", 7)
    assert verify(SECRET, CHAT, data + ":extra") is None
    assert verify(SECRET, CHAT, "z:" + data) is None
    assert verify(SECRET, CHAT, data + ":") is None


@pytest.mark.parametrize("target", ["-1", "1.5", "abc", "", " 7", "0x7", "1e3", "１２"])
def test_non_numeric_target_is_refused(target: str) -> None:
    data = f"a:c:{target}:AAAAAAAAAAA"
    assert verify(SECRET, CHAT, data) is None


def test_target_over_18_digits_is_refused_even_if_signed() -> None:
    data = sign(SECRET, CHAT, "c", 10**18)
    assert verify(SECRET, CHAT, data) is None


@pytest.mark.parametrize(
    "data",
    [
        "",
        ":",
        ":::",
        "a",
        "a:c",
        "a:c:1",
        "a:q:1:AAAAAAAAAAA",
        "b:c:1:AAAAAAAAAAA",
        "w:stop",
        "l:new",
        "lang:zh",
        "a:c:1:é",  # non-ASCII tag: hmac.compare_digest would raise TypeError on it
        "a:c:1:\ud800",
        "a:c:1:\x00",
        "a:ca:" + "9" * 1000 + ":AAAAAAAAAAA",
    ],
)
def test_malformed_data_is_refused(data: str) -> None:
    assert verify(SECRET, CHAT, data) is None


def test_verify_never_raises_on_garbage() -> None:
    rng = random.Random(20_240_601)
    valid = sign(SECRET, CHAT, "ca", 12_345)
    alphabets = [
        string.printable,
        string.ascii_letters + string.digits + "-_:",
        "ac x:0123456789",
        "".join(chr(c) for c in range(0x20, 0x2000)),
    ]
    samples: list[str] = []
    for i in range(400):
        alphabet = alphabets[i % len(alphabets)]
        samples.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 70))))
    for i in range(200):
        # Well-formed prefixes with a random (often non-ASCII) tag or target.
        verb = rng.choice(["c", "ca", "x"])
        junk = "".join(
            rng.choice(alphabets[i % len(alphabets)]) for _ in range(rng.randint(0, 16))
        )
        samples.extend([f"a:{verb}:{rng.randint(0, 10**18)}:{junk}", f"a:{verb}:{junk}:AAAA"])
    for _ in range(100):
        # The real thing with one character replaced.
        pos = rng.randrange(len(valid))
        samples.append(valid[:pos] + chr(rng.randint(0x21, 0x3000)) + valid[pos + 1 :])
    accepted = [s for s in samples if verify(SECRET, CHAT, s) is not None]
    assert accepted == [s for s in samples if s == valid]


def test_a_supergroup_accepts_buttons_signed_for_the_group_it_was() -> None:
    secret = secret_from_token("123:abc")
    data = sign(secret, -42, "ca", 7)
    assert verify(secret, -1000042, data) is None
    assert verify_any(secret, [-1000042, -42], data) == Action("ca", 7)
    assert verify_any(secret, [-1000042, -43], data) is None
    assert verify_any(secret, [], data) is None
