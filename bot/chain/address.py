"""TRON addresses: base58check of 0x41 + a 20-byte account id (via the `base58` package)."""

from __future__ import annotations

import base58

ADDRESS_PREFIX = 0x41
_BODY_LEN = 20


def _decode(text: str) -> bytes | None:
    if len(text) != 34 or not text.startswith("T"):
        return None
    try:
        raw = base58.b58decode_check(text)
    except ValueError:  # bad character or checksum
        return None
    if len(raw) != 1 + _BODY_LEN or raw[0] != ADDRESS_PREFIX:
        return None
    return raw


def is_valid_address(text: str) -> bool:
    return _decode(text) is not None


def address_body(address: str) -> bytes:
    """The 20-byte account id of a base58 address. Raises ValueError if it is not one."""
    raw = _decode(address)
    if raw is None:
        raise ValueError(f"not a TRON address: {address!r}")
    return raw[1:]


def address_from_bytes(body: bytes) -> str:
    """The base58 address of a 20-byte account id."""
    if len(body) != _BODY_LEN:
        raise ValueError("an account id is 20 bytes")
    return base58.b58encode_check(bytes([ADDRESS_PREFIX]) + body).decode()


def to_hex(address: str) -> str:
    """`T…` -> `41…` (42 hex characters), the node's non-visible form."""
    return (bytes([ADDRESS_PREFIX]) + address_body(address)).hex()


def from_hex(text: str) -> str:
    """`41…` (or a bare 40-character id, or `0x…`) -> `T…`."""
    digits = text.removeprefix("0x")
    try:
        raw = bytes.fromhex(digits)
    except ValueError as exc:
        raise ValueError(f"not a hex address: {text!r}") from exc
    if len(raw) == 1 + _BODY_LEN and raw[0] == ADDRESS_PREFIX:
        raw = raw[1:]
    return address_from_bytes(raw)
