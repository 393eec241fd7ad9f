"""TRON node simulator: a full node's `/wallet/*` HTTP API plus TronGrid's TRC-20 history.

Run by hand::

    python -m bot.sandbox.tron_node --port 8090 [--api-key K] [--energy-fee 100] \
        [--rps 0] [--penalty 0]

API (JSON; addresses base58 with ``"visible": true``, hex ``41…`` otherwise):

* ``POST /wallet/getaccount`` (endpoint name ``getaccount``): ``{}`` when not activated.
* ``POST /wallet/getaccountresource`` (``getaccountresource``): ``{}`` when not activated;
  ``EnergyLimit``/``EnergyUsed`` omitted when zero, as the real node does.
* ``POST /wallet/triggerconstantcontract`` (``triggerconstantcontract``) on the USDT
  contract: ``balanceOf(address)``, and ``transfer(address,uint256)`` simulated from
  ``owner_address``: ``energy_used`` = the holder / non-holder figure by the payee's
  balance plus the ``energy_penalty`` setting, which is also reported on its own as
  ``energy_penalty`` (TRON's reference: energy_used includes the penalty); a sender
  holding less
  than the amount gets the REVERT shape (``result.code`` CONTRACT_EXE_ERROR, transaction
  ``ret`` FAILED).
* ``POST /wallet/getchainparameters`` (``getchainparameters``): ``getEnergyFee`` among
  other parameters (one without ``value``, as zero values are sent).
* ``GET /v1/accounts/{address}/transactions/trc20`` (``trc20_transactions``): newest
  first, ``only_from``/``only_to``, ``contract_address``, ``min_timestamp``,
  ``max_timestamp`` (ms, inclusive), ``limit`` (default 20, at most 200, else 400) and
  ``fingerprint`` paging (``meta.fingerprint`` while more remain).

Header ``TRON-PRO-API-KEY`` is optional (TronGrid serves keyless clients); a key other
than ``api_key`` (when set) gets 401. ``rate_limit_rps`` > 0 limits accepted requests
per key (or IP without one) per second with 429.

Control API (no auth), besides the shared ``/_sim/`` routes of `BaseSimulator`:
``POST /_sim/accounts`` (``{"address", "activated"?, "energy_limit"?, "energy_used"?,
"usdt"?, "trx_sun"?}``), ``POST /_sim/energy/delegate`` and ``/_sim/energy/undelegate``
(``{"address", "amount"}``; delegating to an account that is not activated fails),
``POST /_sim/usdt/transfer`` (``{"from", "to", "amount", "penalty"?}``: consumes the
sender's energy, burns TRX for the rest at the burn price, records the transfer), and
``POST /_sim/limit`` (``{"status": 429|403, "count": 1, "retry_after": s|null}``: the
next requests are refused so).

Invented or simplified where the docs are silent:

* Energy recovers linearly over ``recovery_seconds`` (24 h; 0 = never), like java-tron's
  usage window; advancing the clock ages the usage. The limit is a plain number.
* Error bodies: ``{"Error": "..."}`` (HTTP 200) for a malformed address or JSON; 429
  ``{"Error": "request rate exceeded"}``; 403 ``{"Error": "... suspended for Ns"}``; v1
  errors ``{"success": false, "error": "...", "statusCode": 400}``. A simulated 500
  answers ``{"Error": "Simulated fault"}``.
* A real transfer then uses exactly what was simulated. A TRC-20 transfer does not
  activate its payee.

This module is the HTTP API; the state and lifecycle rules are in `bot.sandbox.tron_node_chain`,
the settings, records and request parsing in `bot.sandbox.tron_node_model`.
"""

from __future__ import annotations

import argparse
import base64
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from bot.chain.abi import decode_uint256, encode_uint256, split_words
from bot.chain.address import is_valid_address
from bot.chain.models import USDT_CONTRACT
from bot.sandbox import cli
from bot.sandbox.server import ControlRoute, Request, Response, Route
from bot.sandbox.tron_node_chain import TronNodeChain
from bot.sandbox.tron_node_model import (
    address_field,
    call_failed,
    decoded_address,
    json_body,
    node_error,
    page_offset,
    reverted,
    v1_error,
    v1_int,
)
from bot.sandbox.values import as_bool, as_int, as_str, new_txid

TRC20_ROUTE = "/v1/accounts/{address}/transactions/trc20"
_TRC20_PATH = re.compile(r"^/v1/accounts/([^/]+)/transactions/trc20/?$")
_ADDRESS_PARAM = "\0address"  # where `handle` puts the path's address; no URL can send it
KEY_HEADER = "tron-pro-api-key"
BALANCE_OF = "balanceOf(address)"
TRANSFER = "transfer(address,uint256)"
BALANCE_OF_ENERGY = 535
DEFAULT_PAGE = 20
MAX_PAGE = 200


class TronNodeSimulator(TronNodeChain):
    """The full node's `/wallet/*` API and TronGrid's TRC-20 history over `TronNodeChain`."""

    endpoints = (
        "getaccount",
        "getaccountresource",
        "triggerconstantcontract",
        "getchainparameters",
        "trc20_transactions",
    )

    # ---- request handling ---------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        # Routes are exact paths: the account in a v1 path moves to a hidden query value.
        match = _TRC20_PATH.match(request.path)
        if match:
            query = {**request.query, _ADDRESS_PARAM: match.group(1)}
            request = replace(request, path=TRC20_ROUTE, query=query)
        return super().handle(request)

    def _api_routes(self) -> list[Route]:
        return [
            Route("POST", "/wallet/getaccount", "getaccount", self._getaccount),
            Route("POST", "/wallet/getaccountresource", "getaccountresource", self._resources),
            Route(
                "POST",
                "/wallet/triggerconstantcontract",
                "triggerconstantcontract",
                self._trigger,
            ),
            Route("POST", "/wallet/getchainparameters", "getchainparameters", self._params),
            Route("GET", "/wallet/getchainparameters", "getchainparameters", self._params),
            Route("GET", TRC20_ROUTE, "trc20_transactions", self._trc20),
        ]

    def _extra_control_routes(self) -> list[ControlRoute]:
        def account(body: Mapping[str, Any]) -> object:
            def opt(name: str) -> int | None:
                return None if body.get(name) is None else as_int(body[name])

            return self.set_account(
                as_str(body["address"]),
                activated=as_bool(body.get("activated", True)),
                energy_limit=opt("energy_limit"),
                energy_used=opt("energy_used"),
                usdt=opt("usdt"),
                trx_sun=opt("trx_sun"),
            )

        def transfer(body: Mapping[str, Any]) -> object:
            penalty = body.get("penalty")
            return self.transfer_usdt(
                as_str(body["from"]),
                as_str(body["to"]),
                as_int(body["amount"]),
                penalty=None if penalty is None else as_int(penalty),
            )

        def limit(body: Mapping[str, Any]) -> object:
            retry = body.get("retry_after")
            self.inject_limit(
                as_int(body.get("status", 429)),
                as_int(body.get("count", 1)),
                None if retry is None else float(retry),
            )
            return {"ok": True}

        def energy(act: str) -> ControlRoute:
            method = self.delegate_energy if act == "delegate" else self.undelegate_energy
            return ControlRoute(
                "POST",
                f"/_sim/energy/{act}",
                lambda b: method(as_str(b["address"]), as_int(b["amount"])),
            )

        return [
            ControlRoute("POST", "/_sim/accounts", account),
            energy("delegate"),
            energy("undelegate"),
            ControlRoute("POST", "/_sim/usdt/transfer", transfer),
            ControlRoute("POST", "/_sim/limit", limit),
        ]

    # ---- base hooks -------------------------------------------------------------------

    def _gate(self, request: Request, route: Route) -> Response | None:
        key = request.headers.get(KEY_HEADER, "")
        expected = self._settings.api_key
        if key and expected is not None and key != expected:
            return Response(401, {"Error": "ApiKey not exists"})
        if self._limits:
            limit = self._limits[0]
            limit.remaining -= 1
            if limit.remaining <= 0:
                self._limits.pop(0)
            return self._limited(limit.status, limit.retry_after)
        rps = self._settings.rate_limit_rps
        if not self._limiter.admit(key or request.client_ip, rps, 1.0):
            return self._limited(429, 1.0)
        return None

    @staticmethod
    def _limited(status: int, retry_after: float | None) -> Response:
        headers = () if retry_after is None else (("Retry-After", f"{retry_after:g}"),)
        if status == 403:
            seconds = 30 if retry_after is None else retry_after
            message = (
                "The key exceeds the frequency limit, and the query server is suspended "
                f"for {seconds:g}s"
            )
            return Response(403, {"Error": message}, headers)
        return Response(429, {"Error": "request rate exceeded"}, headers)

    def _not_found(self, request: Request) -> Response:
        return Response(404, {"Error": f"{request.path} not found"})

    def _fault_response(self, route: Route) -> Response:
        return Response(500, {"Error": "Simulated fault"})

    # ---- API handlers (lock held) -------------------------------------------------------

    def _getaccount(self, request: Request) -> Response:
        account = self._activated(address_field(json_body(request), "address"))
        if account is None:
            return Response(200, {})
        body: dict[str, object] = {
            "address": account.address,
            "create_time": int(account.created_at * 1000),
            "account_resource": {"energy_window_size": 28_800},
        }
        if account.trx_sun:
            body["balance"] = account.trx_sun
        return Response(200, body)

    def _resources(self, request: Request) -> Response:
        account = self._activated(address_field(json_body(request), "address"))
        if account is None:
            return Response(200, {})
        now, window = self.now(), self._settings.recovery_seconds
        body: dict[str, object] = {
            "freeNetLimit": 600,
            "TotalNetLimit": 43_200_000_000,
            "TotalNetWeight": 26_000_000_000,
            "TotalEnergyLimit": 180_000_000_000,
            "TotalEnergyWeight": 19_000_000_000,
        }
        # The node leaves out zero-valued fields.
        if account.energy_limit:
            body["EnergyLimit"] = account.energy_limit
        if used := account.used_now(now, window):
            body["EnergyUsed"] = used
        return Response(200, body)

    def _params(self, request: Request) -> Response:
        return Response(
            200,
            {
                "chainParameter": [
                    {"key": "getMaintenanceTimeInterval", "value": 21_600_000},
                    {"key": "getAccountUpgradeCost", "value": 9_999_000_000},
                    {"key": "getCreateAccountFee", "value": 100_000},
                    {"key": "getTransactionFee", "value": 1_000},
                    {"key": "getAllowCreationOfContracts"},  # zero: no value sent
                    {"key": "getEnergyFee", "value": self._settings.energy_fee},
                    {"key": "getDynamicEnergyThreshold", "value": 5_000_000_000},
                ]
            },
        )

    def _trigger(self, request: Request) -> Response:
        body = json_body(request)
        visible = body.get("visible") is True
        owner = address_field(body, "owner_address")
        contract = address_field(body, "contract_address")
        if owner is None:
            raise node_error("owner_address is required")
        if contract != USDT_CONTRACT:
            return call_failed(
                "CONTRACT_VALIDATE_ERROR", "No contract or not a smart contract", visible
            )
        selector = body.get("function_selector")
        try:
            words = split_words(str(body.get("parameter", "")))
        except ValueError as exc:
            raise node_error(str(exc)) from None
        if selector == BALANCE_OF and len(words) == 1:
            holder = self._accounts.get(decoded_address(words[0]))
            balance = holder.usdt if holder else 0
            return Response(
                200,
                {
                    "result": {"result": True},
                    "energy_used": BALANCE_OF_ENERGY,
                    "constant_result": [encode_uint256(balance)],
                    "transaction": {"ret": [{}], "visible": visible, "txID": new_txid()},
                },
            )
        if selector == TRANSFER and len(words) == 2:
            payee = decoded_address(words[0])  # a read: no account is created
            amount = decode_uint256(words[1])
            sender = self._accounts.get(owner)
            if self._settings.simulation_fails or sender is None or sender.usdt < amount:
                return reverted(visible)
            return Response(
                200,
                {
                    "result": {"result": True},
                    "energy_used": self._transfer_energy(payee) + self._settings.energy_penalty,
                    "energy_penalty": self._settings.energy_penalty,
                    "constant_result": [encode_uint256(1)],
                    "transaction": {"ret": [{}], "visible": visible, "txID": new_txid()},
                },
            )
        return reverted(visible)

    def _trc20(self, request: Request) -> Response:
        query = request.query
        address = query.get(_ADDRESS_PARAM, "")
        if not is_valid_address(address):
            raise v1_error(f"Invalid address: {address}")
        limit = v1_int(query, "limit", DEFAULT_PAGE)
        if not 1 <= limit <= MAX_PAGE:
            raise v1_error(f"limit must be between 1 and {MAX_PAGE}")
        low = v1_int(query, "min_timestamp", 0)
        high = v1_int(query, "max_timestamp", 2**62)
        contract = query.get("contract_address")
        only_from = query.get("only_from") == "true"
        only_to = query.get("only_to") == "true"
        matching = [
            t
            for t in reversed(self._transfers)
            if address in (t.sender, t.payee)
            and (not only_from or t.sender == address)
            and (not only_to or t.payee == address)
            and (contract in (None, "", USDT_CONTRACT))
            and low <= int(t.timestamp * 1000) <= high
        ]
        if query.get("order_by") == "block_timestamp,asc":
            matching.reverse()
        start = page_offset(query.get("fingerprint"))
        window = matching[start : start + limit]
        meta: dict[str, object] = {"at": int(self.now() * 1000), "page_size": len(window)}
        if start + limit < len(matching):
            meta["fingerprint"] = base64.urlsafe_b64encode(f"o:{start + limit}".encode()).decode()
        return Response(200, {"data": [t.as_v1() for t in window], "success": True, "meta": meta})


def main(argv: Sequence[str] | None = None) -> None:
    def accounts_option(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--account",
            action="append",
            default=[],
            metavar="ADDRESS[:USDT[:ENERGY_LIMIT]]",
            help="an activated account to start with (repeatable)",
        )

    simulator, args = cli.build(
        TronNodeSimulator,
        "TRON node simulator (full node HTTP API + TronGrid v1)",
        8090,
        argv,
        aliases={"energy_penalty": "--penalty", "rate_limit_rps": "--rps"},
        extend=accounts_option,
    )
    for address, usdt, energy in _account_specs(args.account):
        simulator.set_account(address, usdt=usdt, energy_limit=energy, trx_sun=100_000_000)
    cli.serve(simulator, args.log_level)


def _account_specs(specs: Iterable[str]) -> list[tuple[str, int, int]]:
    parsed = []
    for spec in specs:
        address, usdt, energy, *_ = [*spec.split(":"), "0", "0"]
        parsed.append((address, int(usdt), int(energy)))
    return parsed


if __name__ == "__main__":
    main()
