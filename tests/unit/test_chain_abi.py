"""ABI words and base58check addresses used for TRC-20 calls."""

from __future__ import annotations

import os

import pytest

from bot import tron_address
from bot.chain.abi import (
    decode_address,
    decode_uint256,
    encode_address,
    encode_params,
    encode_uint256,
    split_words,
)
from bot.chain.address import address_body, address_from_bytes, from_hex, is_valid_address, to_hex

USDT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
USDT_HEX = "41a614f803b6fd780986a42c78ec9c7f77e6ded13c"  # as TRON's explorers show it
ZERO = "T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb"  # 0x41 followed by twenty zero bytes


def test_address_word_is_the_id_without_0x41_left_padded() -> None:
    word = encode_address(USDT)
    assert word == "0" * 24 + "a614f803b6fd780986a42c78ec9c7f77e6ded13c"
    assert len(word) == 64
    assert encode_address(ZERO) == "0" * 64


def test_uint256_word() -> None:
    assert encode_uint256(0) == "0" * 64
    assert encode_uint256(1_000_000) == "0" * 58 + "0f4240"
    assert encode_uint256(2**256 - 1) == "f" * 64


@pytest.mark.parametrize("value", [-1, 2**256, True])
def test_uint256_out_of_range(value: int) -> None:
    with pytest.raises(ValueError, match="uint256"):
        encode_uint256(value)


def test_transfer_parameters_are_two_words_in_order() -> None:
    parameter = encode_params(encode_address(USDT), encode_uint256(5))
    assert len(parameter) == 128
    first, second = split_words(parameter)
    assert decode_address(first) == USDT
    assert decode_uint256(second) == 5


def test_decode_uint256_reads_the_first_word() -> None:
    assert decode_uint256("0x" + encode_uint256(42) + "ff" * 32) == 42
    with pytest.raises(ValueError, match="64 hex"):
        decode_uint256("abc")
    with pytest.raises(ValueError, match="is hex"):
        decode_uint256("zz" * 32)


@pytest.mark.parametrize("parameter", ["abc", "g" * 64, "0" * 63])
def test_split_words_refuses_partial_or_non_hex(parameter: str) -> None:
    with pytest.raises(ValueError, match="32-byte"):
        split_words(parameter)


def test_decode_address_needs_zero_padding() -> None:
    with pytest.raises(ValueError, match="address word"):
        decode_address("1" + encode_address(USDT)[1:])


def test_hex_conversions() -> None:
    assert to_hex(USDT) == USDT_HEX
    assert from_hex(USDT_HEX) == USDT
    assert from_hex("0x" + USDT_HEX[2:]) == USDT  # a bare 20-byte id
    assert address_body(ZERO) == bytes(20)
    with pytest.raises(ValueError, match="hex"):
        from_hex("41zz")


@pytest.mark.parametrize(
    "text",
    [
        "",
        USDT[:-1],
        USDT[:-1] + ("u" if USDT[-1] != "u" else "v"),  # checksum broken
        USDT.replace("R", "0"),  # "0" is not in the alphabet
        "A" + USDT[1:],
        address_from_bytes(bytes(20)).lower(),
    ],
)
def test_invalid_addresses(text: str) -> None:
    assert not is_valid_address(text)
    with pytest.raises(ValueError, match="not a TRON address"):
        address_body(text)


def test_base58_package_agrees_with_the_hand_written_codec() -> None:
    # bot.tron_address can delegate to bot.chain.address without any change of behaviour.
    for _ in range(200):
        body = os.urandom(20)
        address = address_from_bytes(body)
        assert address == tron_address.address_from_bytes(body)
        assert is_valid_address(address)
        assert tron_address.is_valid_address(address)
        assert address_body(address) == body
    with pytest.raises(ValueError, match="20 bytes"):
        address_from_bytes(bytes(19))
