"""TRON base58check addresses, checked against the reference table (provider_apis.md §3.3)."""

from __future__ import annotations

import hashlib
import random

import pytest

from bot.tron_address import (
    _ALPHABET,
    _b58decode,
    _b58encode,
    _checksum,
    address_from_bytes,
    is_valid_address,
)

VALID = [
    "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",  # USDT contract (Feee examples)
    "TLx8h8fjv5pyuxCu292ZgjbU14XZSiLGg4",  # TronSave ZapBuy address
    "TAktKDJa2n5hRvXVrgRaBx5fnhau4x4v9i",
    "TAk6jzZqHwNUkUcbvMyAE1YAoUPk7r2T6h",
]

INVALID = [
    "TQk2eKHE9ZfCdVmyPnh8DfRMUF0123456",  # 33 characters and a "0"
    "TQk2eKHE9ZfCdVmyPnh8DfRMUF1111111",  # 33 characters
    "TQk2eKHE9ZfCdVmyPnh8DfRMUF5b123456",  # 34, base58, bad checksum
    "TKVSaJQDWeKFSEXmA44pjxduGTxy999999",  # bad checksum
    "TLoE6dE6EaEfeH6pbWHrtcTfMLtk111111",  # bad checksum
    "TFwUFWr3QV376677Z8VWXxGUAMF123456",  # 33 characters
]


def _encode_raw(raw: bytes) -> str:
    """Base58check-encode any payload (for building wrong-prefix addresses)."""
    return _b58encode(raw + hashlib.sha256(hashlib.sha256(raw).digest()).digest()[:4])


@pytest.mark.parametrize("address", VALID)
def test_reference_valid(address: str) -> None:
    assert is_valid_address(address)


@pytest.mark.parametrize("address", INVALID)
def test_reference_invalid(address: str) -> None:
    assert not is_valid_address(address)


@pytest.mark.parametrize("address", VALID)
def test_reference_valid_decodes_to_prefix_41(address: str) -> None:
    raw = _b58decode(address)
    assert raw is not None
    assert len(raw) == 25
    assert raw[0] == 0x41
    assert address_from_bytes(raw[1:21]) == address


def test_usdt_contract_known_hex() -> None:
    raw = _b58decode("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
    assert raw is not None
    assert raw[:21].hex() == "41a614f803b6fd780986a42c78ec9c7f77e6ded13c"


@pytest.mark.parametrize(
    "body",
    [bytes(20), b"\xff" * 20, bytes(range(20)), b"\x00" * 19 + b"\x01", b"\x80" + bytes(19)],
)
def test_address_from_bytes_edges(body: bytes) -> None:
    address = address_from_bytes(body)
    assert len(address) == 34
    assert address.startswith("T")
    assert is_valid_address(address)
    raw = _b58decode(address)
    assert raw is not None
    assert raw[1:21] == body


def test_address_from_bytes_round_trips_random() -> None:
    rng = random.Random(41)
    seen: set[str] = set()
    for _ in range(300):
        body = rng.randbytes(20)
        address = address_from_bytes(body)
        assert is_valid_address(address)
        raw = _b58decode(address)
        assert raw is not None
        assert raw == b"\x41" + body + _checksum(b"\x41" + body)
        seen.add(address)
    assert len(seen) == 300


@pytest.mark.parametrize("length", [0, 19, 21, 32])
def test_address_from_bytes_wrong_length(length: int) -> None:
    with pytest.raises(ValueError, match="20 bytes"):
        address_from_bytes(bytes(length))


@pytest.mark.parametrize("prefix", [0x00, 0x40, 0x42, 0xA0])
def test_wrong_prefix_byte_rejected(prefix: int) -> None:
    body = bytes(range(1, 21))
    forged = _encode_raw(bytes([prefix]) + body)
    assert not is_valid_address(forged)
    # Control: the same body with the right prefix passes.
    assert is_valid_address(_encode_raw(b"\x41" + body))


def test_wrong_prefix_with_34_chars_starting_with_t_rejected() -> None:
    # Find a non-0x41 prefix whose encoding still looks like a TRON address on the surface.
    body = bytes(range(1, 21))
    candidates = [_encode_raw(bytes([p]) + body) for p in range(256) if p != 0x41]
    lookalikes = [c for c in candidates if len(c) == 34 and c.startswith("T")]
    assert lookalikes, "expected some other prefix bytes to encode to T… as well"
    for address in lookalikes:
        assert not is_valid_address(address)


def test_bad_checksum_every_position() -> None:
    address = VALID[0]
    for i in range(1, len(address)):
        for replacement in ("2", "z"):
            if address[i] == replacement:
                continue
            mutated = address[:i] + replacement + address[i + 1 :]
            assert not is_valid_address(mutated), mutated


def test_checksum_bytes_flipped() -> None:
    raw = _b58decode(VALID[1])
    assert raw is not None
    broken = raw[:21] + bytes([raw[21] ^ 0x01]) + raw[22:]
    assert not is_valid_address(_b58encode(broken))


@pytest.mark.parametrize(
    "address",
    [
        VALID[0][:-1],
        VALID[0] + "1",
        VALID[0] + "a",
        "",
        "T",
        "T" * 34,
        "1" * 34,
    ],
)
def test_wrong_length_or_shape_rejected(address: str) -> None:
    assert not is_valid_address(address)


@pytest.mark.parametrize("char", ["0", "O", "I", "l", "+", "/", " ", "é", "Ｔ"])
def test_non_base58_characters_rejected(char: str) -> None:
    address = VALID[2]
    mutated = address[:10] + char + address[11:]
    assert len(mutated) == 34
    assert not is_valid_address(mutated)


def test_leading_and_trailing_whitespace_rejected() -> None:
    assert not is_valid_address(" " + VALID[0][:33])
    assert not is_valid_address(VALID[0] + "\n")


def test_base58_helpers_round_trip_with_leading_zeros() -> None:
    for data in (b"", b"\x00", b"\x00\x00\x01", b"\x00\xff", bytes(range(256))):
        assert _b58decode(_b58encode(data)) == data
    assert _b58encode(b"\x00\x00") == "11"
    assert _b58decode("0") is None
    assert set(_ALPHABET).isdisjoint("0OIl")
