"""Money is integer SUN inside the bot; TRX decimals appear only at the edges."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

SUN_PER_TRX = 1_000_000


def trx_to_sun(value: Decimal | str | int) -> int:
    """Convert a TRX amount (as the provider sent it) to integer SUN, rounding half up."""
    try:
        trx = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not a TRX amount: {value!r}") from exc
    if not trx.is_finite():
        raise ValueError(f"not a TRX amount: {value!r}")
    return int((trx * SUN_PER_TRX).to_integral_value(rounding=ROUND_HALF_UP))


def sun_to_trx(sun: int) -> Decimal:
    return Decimal(sun) / SUN_PER_TRX


def format_trx(sun: int) -> str:
    """`1234567` SUN -> `1.234567`; trailing zeros dropped, never scientific notation."""
    text = f"{sun_to_trx(sun):.6f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"
