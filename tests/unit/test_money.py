"""TRX <-> SUN conversion and display."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.money import SUN_PER_TRX, format_trx, sun_to_trx, trx_to_sun


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("4.26127"), 4_261_270),
        ("4.26127", 4_261_270),
        ("3.92", 3_920_000),
        (Decimal("3.92"), 3_920_000),
        (1, 1_000_000),
        (0, 0),
        ("0", 0),
        ("0.000001", 1),
        ("1e-6", 1),
        ("1E2", 100_000_000),
        (" 2.5 ", 2_500_000),
        ("123456789.123456", 123_456_789_123_456),
        (10**12, 10**18),
        ("-1.5", -1_500_000),
    ],
)
def test_trx_to_sun(value: Decimal | str | int, expected: int) -> None:
    result = trx_to_sun(value)
    assert result == expected
    assert type(result) is int


def test_float_artefacts_do_not_leak_through_str() -> None:
    # A float that the provider's JSON decoder may produce: str() keeps it exact.
    assert trx_to_sun(Decimal(str(0.1 + 0.2))) == 300_000


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.0000005", 1),  # exactly half: up
        ("0.00000049", 0),
        ("0.00000051", 1),
        ("1.0000015", 1_000_002),  # half-up, not banker's (which would give ...002 too)
        ("1.0000025", 1_000_003),  # banker's rounding would give 1_000_002
        ("2.9999995", 3_000_000),
        ("-0.0000005", -1),  # half away from zero
        (Decimal("4.2612745"), 4_261_275),
        (Decimal("4.2612755"), 4_261_276),
    ],
)
def test_trx_to_sun_rounds_half_up_at_seventh_decimal(value: str | Decimal, expected: int) -> None:
    assert trx_to_sun(value) == expected


@pytest.mark.parametrize(
    "value", ["nan", "NaN", "inf", "-inf", "Infinity", "", "abc", "1,5", "1.2.3", "0x10"]
)
def test_trx_to_sun_rejects_junk(value: str) -> None:
    with pytest.raises(ValueError, match="not a TRX amount"):
        trx_to_sun(value)


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_trx_to_sun_rejects_non_finite_decimals(value: Decimal) -> None:
    with pytest.raises(ValueError, match="not a TRX amount"):
        trx_to_sun(value)


def test_sun_to_trx_is_exact() -> None:
    assert sun_to_trx(4_261_270) == Decimal("4.26127")
    assert sun_to_trx(1) == Decimal("0.000001")
    assert SUN_PER_TRX == 1_000_000


@pytest.mark.parametrize(
    ("sun", "expected"),
    [
        (0, "0"),
        (1, "0.000001"),
        (10, "0.00001"),
        (999_999, "0.999999"),
        (1_000_000, "1"),
        (1_500_000, "1.5"),
        (1_234_567, "1.234567"),
        (4_261_270, "4.26127"),
        (10_000_000, "10"),
        (100_000_000, "100"),
        (1_000_000_000_000_000, "1000000000"),
        (123_456_789_000_000_000_001, "123456789000000.000001"),
        (10**30, "1" + "0" * 24),
        (-1_500_000, "-1.5"),
        (-1, "-0.000001"),
    ],
)
def test_format_trx(sun: int, expected: str) -> None:
    assert format_trx(sun) == expected


@pytest.mark.parametrize("sun", [1, 10**6, 10**20, 10**40, 7 * 10**25 + 3])
def test_format_trx_never_scientific(sun: int) -> None:
    text = format_trx(sun)
    assert "e" not in text.lower()
    assert "E" not in text
    assert trx_to_sun(text) == sun


def test_format_round_trips() -> None:
    for sun in (0, 1, 42, 65_000, 3_920_000, 4_261_270, 987_654_321_012):
        assert trx_to_sun(format_trx(sun)) == sun
