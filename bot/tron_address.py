"""TRON base58check addresses: 0x41 + 20 bytes, 4-byte double-SHA-256 checksum."""

from __future__ import annotations

import hashlib

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}


def _b58decode(text: str) -> bytes | None:
    number = 0
    for char in text:
        digit = _INDEX.get(char)
        if digit is None:
            return None
        number = number * 58 + digit
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    leading = len(text) - len(text.lstrip("1"))
    return b"\x00" * leading + body


def _b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rem = divmod(number, 58)
        out = _ALPHABET[rem] + out
    leading = len(data) - len(data.lstrip(b"\x00"))
    return "1" * leading + out


def _checksum(payload: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]


def is_valid_address(text: str) -> bool:
    if len(text) != 34 or not text.startswith("T"):
        return False
    raw = _b58decode(text)
    if raw is None or len(raw) != 25 or raw[0] != 0x41:
        return False
    return raw[21:] == _checksum(raw[:21])


def address_from_bytes(body: bytes) -> str:
    """Build the address for a 20-byte account id (used by simulators and tests)."""
    if len(body) != 20:
        raise ValueError("an account id is 20 bytes")
    payload = b"\x41" + body
    return _b58encode(payload + _checksum(payload))
