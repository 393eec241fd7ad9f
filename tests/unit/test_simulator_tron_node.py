"""TRON node simulator: answer shapes, energy and transfers, faults; and the real client
against it over 127.0.0.1."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any, cast

import httpx
import pytest
from pydantic import SecretStr

from bot.chain.abi import encode_address, encode_uint256
from bot.chain.address import to_hex
from bot.chain.client import TronNodeClient
from bot.chain.errors import ChainAuthError, ChainRateLimited, ChainUnavailable
from bot.chain.models import (
    TRANSFER_ENERGY_TO_HOLDER,
    TRANSFER_ENERGY_TO_NON_HOLDER,
    USDT_CONTRACT,
    EnergySource,
)
from bot.chain.sizing import transfer_energy
from bot.net.pacing import Pacer
from bot.sandbox.base import derive_address
from bot.sandbox.tron_node import TronNodeSimulator

SENDER = derive_address("node:sender")
HOLDER = derive_address("node:holder")
EMPTY = derive_address("node:empty")
GHOST = derive_address("node:ghost")  # never activated
KEY = "grid-key"


@pytest.fixture(scope="module")
def server() -> Iterator[TronNodeSimulator]:
    # No recovery by default: wall-clock milliseconds would blur exact energy figures.
    with TronNodeSimulator(api_key=KEY, recovery_seconds=0) as simulator:
        yield simulator


@pytest.fixture
def sim(server: TronNodeSimulator) -> TronNodeSimulator:
    server.reset()
    server.set_account(SENDER, energy_limit=200_000, usdt=50_000_000, trx_sun=100_000_000)
    server.set_account(HOLDER, usdt=1, trx_sun=100_000_000)
    server.set_account(EMPTY)
    return server


@pytest.fixture
def http(sim: TronNodeSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.base_url, timeout=5) as client:
        yield client


@pytest.fixture
async def chain(sim: TronNodeSimulator) -> AsyncIterator[TronNodeClient]:
    client = TronNodeClient(
        pacer=Pacer(0.0, hold=False),
        base_url=sim.base_url,
        api_key=SecretStr(KEY),
        timeout=5,
        backoff=lambda attempt: 0.05,
        energy_fee_ttl=0,
    )
    async with client:
        yield client


def wallet(http: httpx.Client, method: str, **body: Any) -> dict[str, Any]:
    response = http.post(f"/wallet/{method}", json={**body, "visible": True})
    assert response.status_code == 200, response.text
    return cast(dict[str, Any], response.json())


def counts(sim: TronNodeSimulator) -> dict[str, int]:
    return dict(cast(dict[str, int], sim.request_log()["counts"]))


# --- shapes ---------------------------------------------------------------------------------


def test_unknown_and_unactivated_accounts_are_empty(http: httpx.Client) -> None:
    assert wallet(http, "getaccount", address=GHOST) == {}
    assert wallet(http, "getaccountresource", address=GHOST) == {}
    assert wallet(http, "getaccountresource") == {}  # a missing address too


def test_zero_energy_fields_are_left_out(http: httpx.Client) -> None:
    body = wallet(http, "getaccountresource", address=EMPTY)
    assert body["freeNetLimit"] == 600
    assert "EnergyLimit" not in body
    assert "EnergyUsed" not in body
    assert wallet(http, "getaccountresource", address=SENDER)["EnergyLimit"] == 200_000


def test_hex_addresses_without_visible(http: httpx.Client) -> None:
    response = http.post("/wallet/getaccount", json={"address": to_hex(SENDER)})
    assert response.json()["address"] == SENDER


def test_a_malformed_address_or_body_gets_an_error_object(http: httpx.Client) -> None:
    assert "Error" in wallet(http, "getaccount", address="Tnope")
    response = http.post("/wallet/getaccount", content=b"{")
    assert response.status_code == 200
    assert "Error" in response.json()


def test_simulated_transfer_reports_the_penalty_inside_energy_used(
    sim: TronNodeSimulator, http: httpx.Client
) -> None:
    sim.configure(energy_penalty=2_000)
    body = wallet(
        http,
        "triggerconstantcontract",
        owner_address=SENDER,
        contract_address=USDT_CONTRACT,
        function_selector="transfer(address,uint256)",
        parameter=encode_address(HOLDER) + encode_uint256(1),
    )
    assert body["energy_used"] == TRANSFER_ENERGY_TO_HOLDER + 2_000
    assert body["energy_penalty"] == 2_000


def test_simulating_a_transfer_changes_nothing(sim: TronNodeSimulator, http: httpx.Client) -> None:
    before = sim.state()
    body = wallet(
        http,
        "triggerconstantcontract",
        owner_address=SENDER,
        contract_address=USDT_CONTRACT,
        function_selector="transfer(address,uint256)",
        parameter=encode_address(GHOST) + encode_uint256(1),
    )
    assert body["energy_used"] == TRANSFER_ENERGY_TO_NON_HOLDER
    assert sim.state() == before
    assert sim.account(GHOST) is None


def test_balance_of(http: httpx.Client) -> None:
    body = wallet(
        http,
        "triggerconstantcontract",
        owner_address=HOLDER,
        contract_address=USDT_CONTRACT,
        function_selector="balanceOf(address)",
        parameter=encode_address(SENDER),
    )
    assert body["result"] == {"result": True}
    assert body["constant_result"] == [encode_uint256(50_000_000)]


def test_other_contracts_are_refused(http: httpx.Client) -> None:
    body = wallet(
        http,
        "triggerconstantcontract",
        owner_address=SENDER,
        contract_address=HOLDER,
        function_selector="balanceOf(address)",
        parameter=encode_address(SENDER),
    )
    assert body["result"]["code"] == "CONTRACT_VALIDATE_ERROR"


def test_chain_parameters_carry_the_energy_fee(sim: TronNodeSimulator, http: httpx.Client) -> None:
    sim.configure(energy_fee=210)
    params = wallet(http, "getchainparameters")["chainParameter"]
    assert {"key": "getEnergyFee", "value": 210} in params
    assert any("value" not in p for p in params)  # zero-valued parameters come bare


def test_v1_pages_with_a_fingerprint(sim: TronNodeSimulator, http: httpx.Client) -> None:
    for amount in range(1, 6):
        sim.transfer_usdt(SENDER, HOLDER, amount)
    path = f"/v1/accounts/{SENDER}/transactions/trc20"
    first = http.get(path, params={"limit": 2, "only_from": "true"}).json()
    assert first["success"] is True
    assert [t["value"] for t in first["data"]] == ["5", "4"]  # newest first, as strings
    second = http.get(path, params={"limit": 2, "fingerprint": first["meta"]["fingerprint"]})
    third = http.get(
        path, params={"limit": 2, "fingerprint": second.json()["meta"]["fingerprint"]}
    )
    assert [t["value"] for t in third.json()["data"]] == ["1"]
    assert "fingerprint" not in third.json()["meta"]
    item = first["data"][0]
    assert item["from"] == SENDER
    assert item["to"] == HOLDER
    assert item["token_info"]["address"] == USDT_CONTRACT
    assert http.get(path, params={"only_to": "true"}).json()["data"] == []
    incoming = http.get(f"/v1/accounts/{HOLDER}/transactions/trc20", params={"only_to": "true"})
    assert len(incoming.json()["data"]) == 5


def test_v1_refuses_bad_parameters(http: httpx.Client) -> None:
    assert http.get("/v1/accounts/Tnope/transactions/trc20").status_code == 400
    path = f"/v1/accounts/{SENDER}/transactions/trc20"
    assert http.get(path, params={"limit": 201}).json()["success"] is False
    assert http.get(path, params={"fingerprint": "garbage!"}).status_code == 400


def test_a_wrong_key_is_401_and_no_key_is_served(http: httpx.Client) -> None:
    wrong = http.post("/wallet/getaccount", json={}, headers={"TRON-PRO-API-KEY": "other"})
    assert wrong.status_code == 401
    assert http.post("/wallet/getaccount", json={}).status_code == 200


# --- energy and transfers -------------------------------------------------------------------


def test_transfer_consumes_energy_by_the_payees_state(sim: TronNodeSimulator) -> None:
    to_holder = sim.transfer_usdt(SENDER, HOLDER, 1_000_000)
    assert to_holder["energy_used"] == TRANSFER_ENERGY_TO_HOLDER
    to_empty = sim.transfer_usdt(SENDER, EMPTY, 1_000_000)
    assert to_empty["energy_used"] == TRANSFER_ENERGY_TO_NON_HOLDER
    account = sim.account(SENDER)
    assert account is not None
    assert account["available_energy"] == 200_000 - 64_285 - 130_285
    assert account["usdt"] == 48_000_000
    payee = sim.account(EMPTY)
    assert payee is not None
    assert payee["usdt"] == 1_000_000
    ghost_payee = sim.transfer_usdt(SENDER, GHOST, 1)
    assert ghost_payee["to"] == GHOST
    assert (
        cast(dict[str, Any], sim.account(GHOST))["activated"] is False
    )  # TRC-20 does not activate


def test_energy_short_of_the_need_burns_trx(sim: TronNodeSimulator) -> None:
    sim.set_account(SENDER, energy_limit=10_000)
    record = sim.transfer_usdt(SENDER, HOLDER, 1, penalty=1_000)
    assert record["energy_used"] == 10_000
    assert record["energy_burned"] == 64_285 + 1_000 - 10_000
    assert record["burned_sun"] == (65_285 - 10_000) * 100
    sim.set_account(SENDER, trx_sun=0)
    with pytest.raises(ValueError, match="too little TRX"):
        sim.transfer_usdt(SENDER, HOLDER, 1)


def test_transfer_needs_an_activated_sender_holding_the_amount(sim: TronNodeSimulator) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        sim.transfer_usdt(GHOST, HOLDER, 1)
    with pytest.raises(ValueError, match="less than"):
        sim.transfer_usdt(HOLDER, SENDER, 2)


def test_energy_recovers_over_the_window(sim: TronNodeSimulator) -> None:
    sim.configure(recovery_seconds=86_400)
    sim.set_account(SENDER, energy_used=100_000)
    sim.advance_clock(43_200)
    account = sim.account(SENDER)
    assert account is not None
    assert account["energy_used"] == pytest.approx(50_000, abs=5)
    sim.advance_clock(43_200)
    assert cast(dict[str, Any], sim.account(SENDER))["energy_used"] == 0
    sim.configure(recovery_seconds=0)
    sim.set_account(SENDER, energy_used=100_000)
    sim.advance_clock(200_000)
    assert cast(dict[str, Any], sim.account(SENDER))["energy_used"] == 100_000


def test_delegation_needs_an_activated_account(sim: TronNodeSimulator) -> None:
    assert sim.delegate_energy(EMPTY, 65_000)["available_energy"] == 65_000
    assert sim.undelegate_energy(EMPTY, 65_000)["available_energy"] == 0
    with pytest.raises(ValueError, match="does not exist"):
        sim.delegate_energy(GHOST, 65_000)


def test_control_routes(sim: TronNodeSimulator, http: httpx.Client) -> None:
    made = http.post("/_sim/accounts", json={"address": GHOST, "usdt": 7, "energy_limit": 9})
    assert made.json()["activated"] is True
    sent = http.post("/_sim/usdt/transfer", json={"from": SENDER, "to": GHOST, "amount": 3})
    assert sent.json()["energy_used"] == TRANSFER_ENERGY_TO_HOLDER
    assert (
        http.post("/_sim/energy/delegate", json={"address": GHOST, "amount": 5}).status_code == 200
    )
    refused = http.post("/_sim/usdt/transfer", json={"from": EMPTY, "to": GHOST, "amount": 3})
    assert refused.status_code == 400
    assert http.post("/_sim/limit", json={"status": 500}).status_code == 400
    state = http.get("/_sim/state").json()
    assert state["transfers"][0]["to"] == GHOST
    assert {a["address"] for a in state["accounts"]} >= {SENDER, GHOST}


# --- the client against the simulator --------------------------------------------------------


async def test_client_reads_accounts(sim: TronNodeSimulator, chain: TronNodeClient) -> None:
    ghost = await chain.account_resources(GHOST)
    assert ghost.exists is False
    assert await chain.account_exists(GHOST) is False
    sender = await chain.account_resources(SENDER)
    assert (sender.exists, sender.available_energy) == (True, 200_000)
    empty = await chain.account_resources(EMPTY)
    assert (empty.exists, empty.energy_limit, empty.energy_used) == (True, 0, 0)
    assert await chain.usdt_balance(SENDER) == 50_000_000
    assert await chain.usdt_balance(GHOST) == 0


async def test_client_sees_a_transfer_and_its_energy(
    sim: TronNodeSimulator, chain: TronNodeClient
) -> None:
    since_ms = int(sim.now() * 1000) - 1
    assert await chain.outgoing_usdt_transfers(SENDER, since_ms) == []
    record = sim.transfer_usdt(SENDER, HOLDER, 2_500_000)
    sim.transfer_usdt(HOLDER, SENDER, 1)  # incoming: not listed
    [seen] = await chain.outgoing_usdt_transfers(SENDER, since_ms)
    assert seen.transaction_id == record["transaction_id"]
    assert (seen.sender, seen.payee, seen.value) == (SENDER, HOLDER, 2_500_000)
    after = await chain.account_resources(SENDER)
    assert after.available_energy == 200_000 - TRANSFER_ENERGY_TO_HOLDER
    assert await chain.outgoing_usdt_transfers(SENDER, seen.block_timestamp_ms + 1) == []


async def test_client_pages_through_a_long_history(
    sim: TronNodeSimulator, chain: TronNodeClient
) -> None:
    sim.set_account(SENDER, energy_limit=0, trx_sun=10**12)
    for _ in range(205):
        sim.transfer_usdt(SENDER, HOLDER, 1)
    found = await chain.outgoing_usdt_transfers(SENDER, 0)
    assert len(found) == 205
    assert len({t.transaction_id for t in found}) == 205
    assert counts(sim)["trc20_transactions"] == 2


async def test_client_sizes_transfers(sim: TronNodeSimulator, chain: TronNodeClient) -> None:
    assert await chain.simulate_usdt_transfer(SENDER, HOLDER) == TRANSFER_ENERGY_TO_HOLDER
    assert await chain.simulate_usdt_transfer(SENDER, EMPTY) == TRANSFER_ENERGY_TO_NON_HOLDER
    sim.configure(energy_penalty=3_000)
    assert await chain.simulate_usdt_transfer(SENDER, HOLDER) == TRANSFER_ENERGY_TO_HOLDER + 3_000
    record = sim.transfer_usdt(SENDER, HOLDER, 1)  # the real transfer uses what was simulated
    assert record["energy_used"] == TRANSFER_ENERGY_TO_HOLDER + 3_000
    # The sender holds no USDT: the simulation reverts and sizing falls back.
    assert await chain.simulate_usdt_transfer(EMPTY, HOLDER) is None
    need = await transfer_energy(chain, EMPTY, GHOST)
    assert (need.energy, need.source) == (TRANSFER_ENERGY_TO_NON_HOLDER, EnergySource.NON_HOLDER)
    sim.configure(simulation_fails=True)
    need = await transfer_energy(chain, SENDER, HOLDER)
    assert (need.energy, need.source) == (TRANSFER_ENERGY_TO_HOLDER, EnergySource.HOLDER)


async def test_client_reads_the_live_burn_price(
    sim: TronNodeSimulator, chain: TronNodeClient
) -> None:
    assert await chain.energy_fee() == 100
    sim.configure(energy_fee=210)
    assert await chain.energy_fee() == 210  # cache time 0 in this fixture


async def test_client_waits_out_an_injected_429(
    sim: TronNodeSimulator, chain: TronNodeClient
) -> None:
    sim.inject_limit(429, count=2, retry_after=0.1)
    assert await chain.account_exists(SENDER) is True
    assert cast(int, sim.request_log()["rate_limited"]) == 2


async def test_client_reports_a_403_block(sim: TronNodeSimulator, chain: TronNodeClient) -> None:
    sim.inject_limit(403)
    with pytest.raises(ChainRateLimited) as caught:
        await chain.account_exists(SENDER)
    assert caught.value.blocked is True
    assert caught.value.retry_after == 30.0
    with pytest.raises(ChainRateLimited):  # blocked: fails fast, nothing sent
        await chain.account_exists(SENDER)
    assert counts(sim)["getaccount"] == 1


async def test_client_meets_the_rate_limit_setting(
    sim: TronNodeSimulator, chain: TronNodeClient
) -> None:
    sim.configure(rate_limit_rps=1)
    assert await chain.account_exists(SENDER) is True
    assert await chain.account_exists(SENDER) is True  # 429, Retry-After 1, then served
    assert cast(int, sim.request_log()["rate_limited"]) >= 1


async def test_client_retries_a_dropped_request(
    sim: TronNodeSimulator, chain: TronNodeClient
) -> None:
    sim.add_fault("getaccountresource", "drop", count=1)
    assert (await chain.account_resources(SENDER)).exists
    sim.add_fault("getaccountresource", "error500", count=None)
    with pytest.raises(ChainUnavailable) as caught:
        await chain.account_resources(SENDER)
    assert caught.value.code == "HTTP_500"


async def test_client_with_a_wrong_key(sim: TronNodeSimulator) -> None:
    async with TronNodeClient(
        pacer=Pacer(0.0, hold=False), base_url=sim.base_url, api_key=SecretStr("wrong")
    ) as client:
        with pytest.raises(ChainAuthError):
            await client.account_exists(SENDER)


async def test_client_when_no_node_answers() -> None:
    async with TronNodeClient(
        pacer=Pacer(0.0, hold=False),
        base_url="http://127.0.0.1:9",
        max_retries=0,
        timeout=2,
    ) as client:
        with pytest.raises(ChainUnavailable) as caught:
            await client.account_exists(SENDER)
    assert caught.value.outcome_unknown is False


def test_command_line_runs_and_stops_on_ctrl_c() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.sandbox.tron_node",
            "--port",
            "0",
            "--account",
            f"{SENDER}:5000000:65000",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert url, line
        response = httpx.post(
            f"{url.group(0)}/wallet/getaccountresource", json={"address": SENDER, "visible": True}
        )
        assert response.json()["EnergyLimit"] == 65_000
        assert "POST /wallet/getaccountresource -> 200" in process.stderr.readline()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=5) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
