"""Values the simulators share: ids, JSON, and coercers for settings changed at run time."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from bot.tron_address import address_from_bytes


def new_hex(nbytes: int) -> str:
    return secrets.token_hex(nbytes)


def new_txid() -> str:
    """An on-chain-looking transaction hash (64 hex characters)."""
    return secrets.token_hex(32)


def stable_hex(seed: str, nchars: int) -> str:
    """Hex characters that are stable for a given seed (account ids derived from a key)."""
    return hashlib.sha256(seed.encode()).hexdigest()[:nchars]


def derive_address(seed: str) -> str:
    """A valid TRON address that is stable for a given seed (e.g. API key + role)."""
    return address_from_bytes(hashlib.sha256(seed.encode()).digest()[:20])


def _json_default(value: object) -> object:
    # Decimal -> float is exact here: TRX amounts have <= 6 decimals and < 15 significant
    # digits, and float repr is the shortest round-trip text, so 4.26127 stays "4.26127".
    # Whole amounts come out as "4.0", i.e. always a JSON number with decimals.
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dump_json(value: object) -> bytes:
    return json.dumps(value, default=_json_default, ensure_ascii=False).encode()


# Coercers for `configure()`: the HTTP control API hands over plain JSON values.


def as_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"expected an integer, got {value!r}")
    return int(value)


def as_float(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)


def as_optional_float(value: object) -> float | None:
    return None if value is None else as_float(value)


def as_decimal(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise TypeError(f"expected a decimal amount, got {value!r}")
    try:
        result = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"expected a decimal amount, got {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"expected a decimal amount, got {value!r}")
    return result


def as_bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


def as_str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value


def as_str_set(value: object) -> frozenset[str]:
    if not isinstance(value, list | tuple | set | frozenset):
        raise TypeError(f"expected a list of strings, got {value!r}")
    return frozenset(as_str(item) for item in value)


def as_optional_str_set(value: object) -> frozenset[str] | None:
    return None if value is None else as_str_set(value)


Coercer = Callable[[object], object]


def coerce_changes(
    changes: Mapping[str, object], coercers: Mapping[str, Coercer]
) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(coercers))
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(unknown)}")
    return {name: coercers[name](value) for name, value in changes.items()}


def body_object(value: object) -> Mapping[str, Any]:
    """The control API takes JSON objects only; an empty body means `{}`."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError("the request body must be a JSON object")
    return cast(dict[str, Any], value)
