"""The ABI words a TRC-20 call needs: address and uint256 parameters, uint256 results.

Each parameter is one 32-byte word, hex without 0x. An address is its 20-byte account id
(without the 0x41 prefix), left-padded with zeros, as the EVM's address type.
"""

from __future__ import annotations

from bot.chain.address import address_body, address_from_bytes

WORD_HEX = 64
_UINT256_MAX = (1 << 256) - 1


def encode_address(address: str) -> str:
    return address_body(address).rjust(32, b"\0").hex()


def encode_uint256(value: int) -> str:
    if isinstance(value, bool) or not 0 <= value <= _UINT256_MAX:
        raise ValueError(f"not a uint256: {value!r}")
    return f"{value:064x}"


def encode_params(*words: str) -> str:
    return "".join(words)


def decode_uint256(word: str) -> int:
    """The first 32-byte word of a hex result. Raises ValueError on anything else."""
    digits = word.removeprefix("0x")
    if len(digits) < WORD_HEX:
        raise ValueError(f"a uint256 result is {WORD_HEX} hex characters, got {len(digits)}")
    try:
        return int(digits[:WORD_HEX], 16)
    except ValueError:
        raise ValueError(f"a uint256 result is hex, got {digits[:WORD_HEX]!r}") from None


def split_words(parameter: str) -> list[str]:
    """A parameter string cut into 32-byte words (the simulator decodes calls with it)."""
    digits = parameter.removeprefix("0x")
    if len(digits) % WORD_HEX or any(c not in "0123456789abcdefABCDEF" for c in digits):
        raise ValueError("parameters are whole 32-byte hex words")
    return [digits[i : i + WORD_HEX] for i in range(0, len(digits), WORD_HEX)]


def decode_address(word: str) -> str:
    """A 32-byte address word -> `T…`; the 12 padding bytes must be zero."""
    if len(word) != WORD_HEX or int(word[:24] or "0", 16) != 0:
        raise ValueError("not an address word")
    return address_from_bytes(bytes.fromhex(word[24:]))
