"""What a user types: amounts, durations, deadlines, prices and receiver lists."""

from __future__ import annotations

import pytest

from bot.parsing import (
    MAX_AMOUNT,
    MAX_DEADLINE,
    MAX_DURATION,
    MAX_PRICE,
    MAX_RECEIVERS,
    MIN_AMOUNT,
    MIN_DEADLINE,
    MIN_DURATION,
    MIN_PRICE,
    InputError,
    parse_amount,
    parse_deadline,
    parse_duration,
    parse_price,
    parse_receivers,
    parse_seconds,
)
from bot.tron_address import address_from_bytes

VALID_A = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
VALID_B = "TLx8h8fjv5pyuxCu292ZgjbU14XZSiLGg4"
VALID_C = "TAktKDJa2n5hRvXVrgRaBx5fnhau4x4v9i"
BAD_CHECKSUM = "TKVSaJQDWeKFSEXmA44pjxduGTxy999999"
TOO_SHORT = "TFwUFWr3QV376677Z8VWXxGUAMF123456"


def _addresses(count: int) -> list[str]:
    return [address_from_bytes(i.to_bytes(20, "big")) for i in range(1, count + 1)]


# -- amounts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("65000", 65_000),
        ("65,000", 65_000),
        ("65 000", 65_000),
        ("65_000", 65_000),
        ("  65000  ", 65_000),
        ("65k", 65_000),
        ("65K", 65_000),
        ("131k", 131_000),
        ("65 k", 65_000),
        ("1m", 1_000_000),
        ("10000", MIN_AMOUNT),
        ("100000000", MAX_AMOUNT),
        ("100m", MAX_AMOUNT),
        ("10k", MIN_AMOUNT),
    ],
)
def test_amount_accepted(text: str, expected: int) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize("text", ["9999", "9k", "0", "100000001", "101m", "1000000k"])
def test_amount_out_of_range(text: str) -> None:
    with pytest.raises(InputError) as info:
        parse_amount(text)
    assert info.value.key == "input.amount_range"
    assert info.value.params == {"min": MIN_AMOUNT, "max": MAX_AMOUNT}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "-65000",
        "65000.5",
        "65.5k",
        "65,000.00",
        "65kk",
        "65g",
        "k",
        ",65000",
        "1e5",
        "0x10000",
        "６５０００",  # full-width digits: int() would take them, the parser must not
        "٦٥٠٠٠",  # Arabic-Indic digits
        "65000 TRX",
    ],
)
def test_amount_rejected_as_not_a_number(text: str) -> None:
    with pytest.raises(InputError) as info:
        parse_amount(text)
    assert info.value.key == "input.amount_not_number"
    assert info.value.params == {}


# -- durations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("900", 900),
        ("900s", 900),
        ("15m", 900),
        ("15M", 900),
        ("15 m", 900),
        (" 15m ", 900),
        ("1h", 3_600),
        ("1H", 3_600),
        ("3d", 3 * 86_400),
        ("300", MIN_DURATION),
        ("5m", MIN_DURATION),
        ("30d", MAX_DURATION),
    ],
)
def test_duration_accepted(text: str, expected: int) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["299", "4m", "31d", "2592001", "0", "721h"])
def test_duration_out_of_range(text: str) -> None:
    with pytest.raises(InputError) as info:
        parse_duration(text)
    assert info.value.key == "input.duration_range"
    assert info.value.params == {"min": MIN_DURATION, "max": MAX_DURATION}


@pytest.mark.parametrize(
    "text", ["", "   ", "1w", "h", "1.5h", "-15m", "15mm", "1h30m", "１h", "1234567890", "15 min"]
)
def test_duration_bad_format(text: str) -> None:
    with pytest.raises(InputError) as info:
        parse_duration(text)
    assert info.value.key == "input.duration_format"


def test_parse_seconds_returns_none_for_other_shapes() -> None:
    assert parse_seconds("2d") == 172_800
    assert parse_seconds("0") == 0
    assert parse_seconds("1w") is None
    assert parse_seconds("") is None


# -- deadline -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("60", MIN_DEADLINE), ("1m", 60), ("2m", 120), ("30m", 1_800), ("1d", MAX_DEADLINE)],
)
def test_deadline_accepted(text: str, expected: int) -> None:
    assert parse_deadline(text) == expected


@pytest.mark.parametrize("text", ["59", "86401", "2d", "25h", "0"])
def test_deadline_out_of_range(text: str) -> None:
    with pytest.raises(InputError) as info:
        parse_deadline(text)
    assert info.value.key == "input.deadline_range"
    assert info.value.params == {"min": MIN_DEADLINE, "max": MAX_DEADLINE}


def test_deadline_bad_format() -> None:
    with pytest.raises(InputError) as info:
        parse_deadline("soon")
    assert info.value.key == "input.duration_format"


# -- price --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"), [("70", 70), (" 70 ", 70), ("1", MIN_PRICE), ("1000", MAX_PRICE)]
)
def test_price_accepted(text: str, expected: int) -> None:
    assert parse_price(text) == expected


@pytest.mark.parametrize("text", ["0", "1001", "000", "99999"])
def test_price_out_of_range(text: str) -> None:
    with pytest.raises(InputError) as info:
        parse_price(text)
    assert info.value.key == "input.price_range"
    assert info.value.params == {"min": MIN_PRICE, "max": MAX_PRICE}


@pytest.mark.parametrize(
    "text", ["70.5", "７０", "-70", "+70", "70 sun", "", "1,000", "7 0", "70k"]
)
def test_price_not_integer(text: str) -> None:
    with pytest.raises(InputError) as info:
        parse_price(text)
    assert info.value.key == "input.price_not_integer"
    assert info.value.params == {}


# -- receivers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "separator",
    [" ", ",", ", ", "\n", "\r\n", "\t", ";", "，", "；", "、", " ,\n "],
)
def test_receivers_split_on_every_separator(separator: str) -> None:
    text = separator.join([VALID_A, VALID_B, VALID_C])
    assert parse_receivers(text) == [VALID_A, VALID_B, VALID_C]


def test_receivers_mixed_separators_and_padding() -> None:
    text = f"\n  {VALID_A}，{VALID_B}\n\n{VALID_C};  "
    assert parse_receivers(text) == [VALID_A, VALID_B, VALID_C]


def test_receivers_duplicates_dropped_keeping_first_order() -> None:
    text = f"{VALID_B} {VALID_A} {VALID_B} {VALID_C} {VALID_A}"
    assert parse_receivers(text) == [VALID_B, VALID_A, VALID_C]


def test_receivers_single() -> None:
    assert parse_receivers(VALID_A) == [VALID_A]


@pytest.mark.parametrize("text", ["", "   ", "\n\n", ",,,", " ，、；"])
def test_receivers_empty(text: str) -> None:
    with pytest.raises(InputError) as info:
        parse_receivers(text)
    assert info.value.key == "input.receivers_empty"


def test_receivers_invalid_reported_with_count_and_text() -> None:
    text = f"{VALID_A} {BAD_CHECKSUM} {VALID_B} hello"
    with pytest.raises(InputError) as info:
        parse_receivers(text)
    assert info.value.key == "input.receivers_invalid"
    assert info.value.params == {"count": 2, "addresses": f"{BAD_CHECKSUM}, hello"}


def test_receivers_invalid_shows_at_most_three_truncated() -> None:
    long_junk = "x" * 100
    text = " ".join([long_junk, TOO_SHORT, "a", "b", "c"])
    with pytest.raises(InputError) as info:
        parse_receivers(text)
    assert info.value.params["count"] == 5
    assert info.value.params["addresses"] == f"{'x' * 40}, {TOO_SHORT}, a"


def test_receivers_lowercased_address_is_invalid() -> None:
    with pytest.raises(InputError) as info:
        parse_receivers(VALID_A.lower())
    assert info.value.key == "input.receivers_invalid"
    assert info.value.params["count"] == 1


def test_receivers_exactly_max_is_accepted() -> None:
    addresses = _addresses(MAX_RECEIVERS)
    assert MAX_RECEIVERS == 100
    assert parse_receivers("\n".join(addresses)) == addresses


def test_receivers_duplicates_do_not_count_toward_max() -> None:
    addresses = _addresses(MAX_RECEIVERS)
    assert parse_receivers(" ".join(addresses + addresses[:10])) == addresses


def test_receivers_over_max() -> None:
    addresses = _addresses(MAX_RECEIVERS + 1)
    with pytest.raises(InputError) as info:
        parse_receivers(",".join(addresses))
    assert info.value.key == "input.receivers_too_many"
    assert info.value.params == {"max": MAX_RECEIVERS, "count": MAX_RECEIVERS + 1}


def test_input_error_defaults_to_empty_params() -> None:
    error = InputError("input.receivers_empty")
    assert error.params == {}
    assert isinstance(error, Exception)
