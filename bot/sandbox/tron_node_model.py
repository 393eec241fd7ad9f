"""TRON node simulator, its data: settings, accounts, transfers and request parsing.

`bot.sandbox.tron_node` serves these; its docstring says what is simplified.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.chain.abi import decode_address
from bot.chain.address import from_hex, is_valid_address
from bot.chain.models import (
    TRANSFER_ENERGY_TO_HOLDER,
    TRANSFER_ENERGY_TO_NON_HOLDER,
    USDT_CONTRACT,
    USDT_DECIMALS,
)
from bot.sandbox.server import ApiError, Request, Response
from bot.sandbox.values import Coercer, as_bool, as_int, as_str

REVERT_ENERGY = 620


def _as_optional_str(value: object) -> str | None:
    return None if value is None else as_str(value)


def _as_count(value: object) -> int:
    number = as_int(value)
    if number < 0:
        raise ValueError(f"expected a non-negative integer, got {value!r}")
    return number


@dataclass(frozen=True)
class TronNodeSettings:
    api_key: str | None = None
    energy_fee: int = 100  # SUN per energy unit (getEnergyFee)
    holder_energy: int = TRANSFER_ENERGY_TO_HOLDER
    non_holder_energy: int = TRANSFER_ENERGY_TO_NON_HOLDER
    energy_penalty: int = 0  # USDT's dynamic energy penalty, per transfer
    recovery_seconds: int = 86_400
    rate_limit_rps: int = 0  # 0 = no limit
    simulation_fails: bool = False  # every transfer simulation reverts


COERCERS: dict[str, Coercer] = {
    "api_key": _as_optional_str,
    "energy_fee": _as_count,
    "holder_energy": _as_count,
    "non_holder_energy": _as_count,
    "energy_penalty": _as_count,
    "recovery_seconds": _as_count,
    "rate_limit_rps": _as_count,
    "simulation_fails": as_bool,
}


@dataclass
class SimAccount:
    address: str
    activated: bool
    created_at: float
    energy_limit: int = 0
    energy_used: int = 0  # as of `used_at`; decays over the recovery window
    used_at: float = 0.0
    usdt: int = 0  # 10⁻⁶ USDT
    trx_sun: int = 0

    def used_now(self, now: float, window: int) -> int:
        if window <= 0:
            return self.energy_used
        elapsed = max(0.0, now - self.used_at)
        if elapsed >= window:
            return 0
        return int(self.energy_used * (window - elapsed) / window)

    def available(self, now: float, window: int) -> int:
        return max(0, self.energy_limit - self.used_now(now, window))


@dataclass
class SimTransfer:
    transaction_id: str
    timestamp: float
    sender: str
    payee: str
    value: int
    energy_used: int  # from the sender's energy
    energy_burned: int  # paid for in TRX
    burned_sun: int

    def as_v1(self) -> dict[str, object]:
        return {
            "transaction_id": self.transaction_id,
            "token_info": {
                "symbol": "USDT",
                "address": USDT_CONTRACT,
                "decimals": USDT_DECIMALS,
                "name": "Tether USD",
            },
            "block_timestamp": int(self.timestamp * 1000),
            "from": self.sender,
            "to": self.payee,
            "type": "Transfer",
            "value": str(self.value),
        }


@dataclass
class Limit:
    status: int
    remaining: int
    retry_after: float | None


def require_address(address: str) -> None:
    if not is_valid_address(address):
        raise ValueError(f"not a TRON address: {address!r}")


def node_error(message: str) -> ApiError:
    return ApiError(Response(200, {"Error": message}))


def v1_error(message: str) -> ApiError:
    return ApiError(Response(400, {"success": False, "error": message, "statusCode": 400}))


def json_body(request: Request) -> dict[str, Any]:
    try:
        value = request.json()
    except ValueError:
        raise node_error("class com.google.gson.JsonSyntaxException : malformed JSON") from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise node_error("the request body must be a JSON object")
    return value


def address_field(body: Mapping[str, Any], name: str) -> str | None:
    """The address in `name`, base58 when `visible`, else hex; None when absent."""
    raw = body.get(name)
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise node_error(f"{name} must be a string")
    if body.get("visible") is True:
        if not is_valid_address(raw):
            raise node_error(f"INVALID address {raw}")
        return raw
    try:
        return from_hex(raw)
    except ValueError:
        raise node_error(f"INVALID hex address {raw}") from None


def decoded_address(word: str) -> str:
    try:
        return decode_address(word)
    except ValueError:
        raise node_error("bad address parameter") from None


def reverted(visible: bool) -> Response:
    message = "REVERT opcode executed"
    return Response(
        200,
        {
            "result": {
                "code": "CONTRACT_EXE_ERROR",
                "message": message if visible else message.encode().hex(),
            },
            "energy_used": REVERT_ENERGY,
            "constant_result": [""],
            "transaction": {"ret": [{"ret": "FAILED"}], "visible": visible},
        },
    )


def call_failed(code: str, message: str, visible: bool) -> Response:
    text = message if visible else message.encode().hex()
    return Response(200, {"result": {"code": code, "message": text}})


def v1_int(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise v1_error(f"{name} must be an integer") from None


def page_offset(fingerprint: str | None) -> int:
    if not fingerprint:
        return 0
    try:
        text = base64.urlsafe_b64decode(fingerprint.encode()).decode()
        if text.startswith("o:"):
            return int(text[2:])
    except (ValueError, binascii.Error):
        pass
    raise v1_error("invalid fingerprint")
