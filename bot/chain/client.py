"""`TronNodeClient`: the `ChainReader` port over a full node's HTTP API and TronGrid's v1.

The calls and what their answers mean; pacing, retries and failures are the transport's
(transport.py), TronGrid's paging is trongrid.py's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, Unpack

import httpx

from bot.chain import trongrid
from bot.chain.abi import decode_uint256, encode_address, encode_params, encode_uint256
from bot.chain.address import is_valid_address
from bot.chain.answers import AccountResourceBody, ChainParameters, TriggerBody, parse
from bot.chain.errors import ChainBadAnswer
from bot.chain.models import USDT_CONTRACT, AccountResources, Trc20Transfer
from bot.chain.settings import ChainSettings
from bot.chain.transport import API_KEY_HEADER, NodeTransport, TransportOptions
from bot.net.http import DETAIL_LIMIT
from bot.net.pacing import Pacer

__all__ = ["API_KEY_HEADER", "TronNodeClient"]

log = logging.getLogger(__name__)

ENERGY_FEE_PARAMETER = "getEnergyFee"


class TronNodeClient(NodeTransport):
    def __init__(
        self,
        *,
        pacer: Pacer,
        energy_fee_ttl: float = 600.0,
        **options: Unpack[TransportOptions],
    ) -> None:
        super().__init__(pacer=pacer, **options)
        self._energy_fee_ttl = energy_fee_ttl
        self._fee: tuple[int, float] | None = None  # (SUN per energy, fetched at)
        self._fee_lock = asyncio.Lock()

    @classmethod
    def from_settings(
        cls,
        settings: ChainSettings,
        pacer: Pacer,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> TronNodeClient:
        return cls(
            pacer=pacer,
            base_url=settings.tron_node_url,
            api_key=settings.trongrid_api_key,
            timeout=settings.tron_timeout_seconds,
            energy_fee_ttl=settings.tron_energy_fee_cache_seconds,
            transport=transport,
        )

    # --- the port ---

    async def account_resources(self, address: str) -> AccountResources:
        raw = await self._wallet("getaccountresource", {"address": _checked(address)})
        if not raw:  # `{}`: the node does not know the address
            return AccountResources(address=address, exists=False)
        body = parse(AccountResourceBody, raw)
        return AccountResources(
            address=address,
            exists=True,
            energy_limit=body.energy_limit,
            energy_used=body.energy_used,
        )

    async def account_exists(self, address: str) -> bool:
        raw = await self._wallet("getaccount", {"address": _checked(address)})
        return bool(raw)

    async def usdt_balance(self, address: str) -> int:
        body = await self._trigger(address, "balanceOf(address)", encode_address(address))
        if not body.succeeded:
            raise ChainBadAnswer("CALL_FAILED", _call_message(body))
        if not body.constant_result:
            raise ChainBadAnswer("BAD_RESPONSE", "balanceOf returned no result")
        try:
            return decode_uint256(body.constant_result[0])
        except ValueError as exc:
            raise ChainBadAnswer("BAD_RESPONSE", f"balanceOf: {exc}") from None

    async def simulate_usdt_transfer(self, sender: str, payee: str, amount: int = 1) -> int | None:
        parameter = encode_params(encode_address(_checked(payee)), encode_uint256(amount))
        body = await self._trigger(sender, "transfer(address,uint256)", parameter)
        returned = _first_word(body)
        if not body.succeeded or body.energy_used == 0 or returned == 0:
            # A revert (the sender holds too little USDT, say): the caller falls back.
            log.info("tron transfer simulation did not run: %s", _call_message(body))
            return None
        # TRON's reference: energy_used is the total, the penalty (energy_penalty) included.
        return body.energy_used

    async def energy_fee(self) -> int:
        async with self._fee_lock:
            if self._fee is not None and self._clock() - self._fee[1] < self._energy_fee_ttl:
                return self._fee[0]
            raw = await self._wallet("getchainparameters", {})
            params = parse(ChainParameters, raw).chain_parameter
            fee = next((p.value for p in params if p.key == ENERGY_FEE_PARAMETER), 0)
            if fee <= 0:
                raise ChainBadAnswer("BAD_RESPONSE", f"{ENERGY_FEE_PARAMETER} missing or zero")
            self._fee = (fee, self._clock())
            return fee

    async def outgoing_usdt_transfers(
        self, address: str, since_ms: int, *, max_pages: int = 5
    ) -> list[Trc20Transfer]:
        return await trongrid.outgoing_usdt_transfers(
            self._get, _checked(address), since_ms, max_pages=max_pages
        )

    async def _get(self, path: str, params: Mapping[str, str | int]) -> dict[str, Any]:
        return await self._request("GET", path, params=params)

    async def _trigger(self, owner: str, selector: str, parameter: str) -> TriggerBody:
        raw = await self._wallet(
            "triggerconstantcontract",
            {
                "owner_address": _checked(owner),
                "contract_address": USDT_CONTRACT,
                "function_selector": selector,
                "parameter": parameter,
            },
        )
        return parse(TriggerBody, raw)


def _checked(address: str) -> str:
    if not is_valid_address(address):
        raise ValueError(f"not a TRON address: {address!r}")
    return address


def _first_word(body: TriggerBody) -> int | None:
    if not body.constant_result:
        return None
    try:
        return decode_uint256(body.constant_result[0])
    except ValueError:
        return None


def _call_message(body: TriggerBody) -> str:
    """The node's reason, hex-decoded when it comes hex-encoded (it does without `visible`)."""
    message = body.result.message or body.result.code or "no result"
    try:
        decoded = bytes.fromhex(message).decode()
    except ValueError:
        return message[:DETAIL_LIMIT]
    return decoded[:DETAIL_LIMIT] if decoded.isprintable() else message[:DETAIL_LIMIT]
