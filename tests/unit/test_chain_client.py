"""TRON node client against recorded answer shapes: `{}`, missing fields, 429/403,
timeouts, malformed JSON, paging; and the settings and sizing built on it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from bot.chain.abi import encode_address, encode_uint256
from bot.chain.client import API_KEY_HEADER, TronNodeClient
from bot.chain.errors import (
    ChainAuthError,
    ChainBadAnswer,
    ChainRateLimited,
    ChainTimeout,
    ChainUnavailable,
)
from bot.chain.models import (
    TRANSFER_ENERGY_TO_HOLDER,
    TRANSFER_ENERGY_TO_NON_HOLDER,
    USDT_CONTRACT,
    AccountResources,
    EnergySource,
    Trc20Transfer,
)
from bot.chain.settings import ChainSettings
from bot.chain.sizing import transfer_energy
from bot.net.pacing import Pacer
from bot.sandbox.base import derive_address

BASE_URL = "https://node.test"
API_KEY = "grid-SECRET-0c1d2e3f"
ADDR = derive_address("chain:receiver")
PAYEE = derive_address("chain:payee")
OTHER = derive_address("chain:other")

# Shapes from TRON's HTTP API docs and TronGrid's v1 docs.
RESOURCE_DOC_SAMPLE = {  # the doc's own sample: no energy fields at all
    "freeNetUsed": 1,
    "freeNetLimit": 1500,
    "TotalNetLimit": 43200000000,
    "TotalNetWeight": 84687233463517,
    "TotalEnergyLimit": 90000000000,
    "TotalEnergyWeight": 13369831825062,
}
RESOURCE_WITH_ENERGY = {
    "freeNetLimit": 600,
    "EnergyLimit": 131_000,
    "EnergyUsed": 65_000,
    "TotalEnergyLimit": 180000000000,
    "TotalEnergyWeight": 19000000000,
}
TRANSFER_OK = {
    "result": {"result": True},
    "energy_used": 64_285,
    "energy_penalty": 0,
    "constant_result": ["0" * 63 + "1"],
    "transaction": {"ret": [{}], "visible": True, "txID": "ab" * 32},
}
TRANSFER_REVERT = {
    "result": {
        "code": "CONTRACT_EXE_ERROR",
        "message": b"REVERT opcode executed".hex(),
    },
    "energy_used": 620,
    "constant_result": [""],
    "transaction": {"ret": [{"ret": "FAILED"}], "visible": True},
}
CHAIN_PARAMETERS = {
    "chainParameter": [
        {"key": "getMaintenanceTimeInterval", "value": 21600000},
        {"key": "getAllowCreationOfContracts"},
        {"key": "getEnergyFee", "value": 100},
    ]
}


def trc20_item(
    txid: str, ms: int, sender: str = ADDR, token: str = USDT_CONTRACT
) -> dict[str, Any]:
    return {
        "transaction_id": txid,
        "token_info": {"symbol": "USDT", "address": token, "decimals": 6, "name": "Tether USD"},
        "block_timestamp": ms,
        "from": sender,
        "to": PAYEE,
        "type": "Transfer",
        "value": "1500000",
    }


class FakeTime:
    """One clock for the pacer and the client; sleeping moves it."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


Handler = Callable[[httpx.Request], httpx.Response]


def answers(*responses: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler giving `responses` in turn (the last one repeats), and the requests seen."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = responses[min(len(seen), len(responses)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler, seen


def ok(body: object) -> httpx.Response:
    return httpx.Response(200, json=body)


@asynccontextmanager
async def make_client(
    handler: Handler, *, api_key: str | None = API_KEY, **options: Any
) -> AsyncIterator[tuple[TronNodeClient, FakeTime]]:
    time = FakeTime()
    pacer = Pacer(0.0, hold=False, clock=time, sleep=time.sleep)
    options.setdefault("backoff", lambda attempt: 0.5)
    client = TronNodeClient(
        pacer=pacer,
        base_url=BASE_URL,
        api_key=SecretStr(api_key) if api_key else None,
        transport=httpx.MockTransport(handler),
        clock=time,
        **options,
    )
    async with client:
        yield client, time


def sent_json(request: httpx.Request) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(request.content)
    return body


# --- account resources and existence -------------------------------------------------------


async def test_resources_give_available_energy_and_send_the_key() -> None:
    handler, seen = answers(ok(RESOURCE_WITH_ENERGY))
    async with make_client(handler) as (client, _):
        resources = await client.account_resources(ADDR)
    assert resources == AccountResources(ADDR, True, energy_limit=131_000, energy_used=65_000)
    assert resources.available_energy == 66_000
    [request] = seen
    assert request.url.path == "/wallet/getaccountresource"
    assert request.headers[API_KEY_HEADER] == API_KEY
    assert sent_json(request) == {"address": ADDR, "visible": True}


async def test_missing_energy_fields_mean_zero() -> None:
    handler, _ = answers(ok(RESOURCE_DOC_SAMPLE))
    async with make_client(handler) as (client, _):
        resources = await client.account_resources(ADDR)
    assert resources.exists
    assert (resources.energy_limit, resources.energy_used, resources.available_energy) == (0, 0, 0)


async def test_empty_resources_mean_the_account_does_not_exist() -> None:
    handler, _ = answers(ok({}))
    async with make_client(handler) as (client, _):
        resources = await client.account_resources(ADDR)
    assert resources == AccountResources(ADDR, exists=False)
    assert resources.available_energy == 0


async def test_used_above_limit_leaves_no_energy() -> None:
    # Usage from before a delegation ended can exceed the limit left.
    handler, _ = answers(ok({"freeNetLimit": 600, "EnergyLimit": 1_000, "EnergyUsed": 5_000}))
    async with make_client(handler) as (client, _):
        assert (await client.account_resources(ADDR)).available_energy == 0


async def test_account_exists_reads_getaccount() -> None:
    handler, seen = answers(ok({}), ok({"address": ADDR, "balance": 5, "create_time": 1}))
    async with make_client(handler, api_key=None) as (client, _):
        assert await client.account_exists(ADDR) is False
        assert await client.account_exists(ADDR) is True
    assert seen[0].url.path == "/wallet/getaccount"
    assert API_KEY_HEADER not in seen[0].headers  # keyless TronGrid use sends no header


async def test_wrongly_typed_field_is_a_bad_answer() -> None:
    handler, _ = answers(ok({"EnergyLimit": "lots"}))
    async with make_client(handler) as (client, _):
        with pytest.raises(ChainBadAnswer) as caught:
            await client.account_resources(ADDR)
    assert caught.value.code == "BAD_RESPONSE"
    assert "EnergyLimit" in caught.value.detail


async def test_an_invalid_address_is_refused_before_sending() -> None:
    handler, seen = answers(ok({}))
    async with make_client(handler) as (client, _):
        with pytest.raises(ValueError, match="not a TRON address"):
            await client.account_resources("T" + "1" * 33)
    assert seen == []


# --- USDT balance and transfer simulation ----------------------------------------------------


async def test_usdt_balance_calls_balance_of_with_the_padded_address() -> None:
    handler, seen = answers(ok({**TRANSFER_OK, "constant_result": [encode_uint256(12_345_678)]}))
    async with make_client(handler) as (client, _):
        assert await client.usdt_balance(ADDR) == 12_345_678
    body = sent_json(seen[0])
    assert seen[0].url.path == "/wallet/triggerconstantcontract"
    assert body["function_selector"] == "balanceOf(address)"
    assert body["contract_address"] == USDT_CONTRACT
    assert body["owner_address"] == ADDR
    assert body["parameter"] == encode_address(ADDR)
    assert len(body["parameter"]) == 64
    assert body["visible"] is True


async def test_usdt_balance_failure_is_a_bad_answer_with_the_decoded_reason() -> None:
    handler, _ = answers(ok(TRANSFER_REVERT))
    async with make_client(handler) as (client, _):
        with pytest.raises(ChainBadAnswer) as caught:
            await client.usdt_balance(ADDR)
    assert caught.value.code == "CALL_FAILED"
    assert caught.value.detail == "REVERT opcode executed"


async def test_usdt_balance_without_result_is_a_bad_answer() -> None:
    handler, _ = answers(ok({"result": {"result": True}, "energy_used": 535}))
    async with make_client(handler) as (client, _):
        with pytest.raises(ChainBadAnswer):
            await client.usdt_balance(ADDR)


async def test_simulated_transfer_counts_the_penalty_once() -> None:
    # TRON's reference for triggerconstantcontract: energy_used is the total, "including
    # the basic energy consumption and penalty energy consumption"; adding energy_penalty
    # again would over-rent by the penalty.
    answer = {**TRANSFER_OK, "energy_used": 66_385, "energy_penalty": 2_100}
    handler, seen = answers(ok(answer))
    async with make_client(handler) as (client, _):
        assert await client.simulate_usdt_transfer(ADDR, PAYEE, 2_000_000) == 66_385
    body = sent_json(seen[0])
    assert body["function_selector"] == "transfer(address,uint256)"
    assert body["owner_address"] == ADDR
    assert body["parameter"] == encode_address(PAYEE) + encode_uint256(2_000_000)


@pytest.mark.parametrize(
    "answer",
    [
        TRANSFER_REVERT,
        {**TRANSFER_OK, "transaction": {"ret": [{"ret": "FAILED"}]}},
        {**TRANSFER_OK, "energy_used": 0},
        {**TRANSFER_OK, "constant_result": [encode_uint256(0)]},  # transfer() returned false
        {"result": {"result": False}},
    ],
    ids=["revert", "failed-ret", "no-energy", "returned-false", "result-false"],
)
async def test_a_simulation_that_cannot_run_gives_none(answer: dict[str, Any]) -> None:
    handler, _ = answers(ok(answer))
    async with make_client(handler) as (client, _):
        assert await client.simulate_usdt_transfer(ADDR, PAYEE) is None


# --- energy fee -------------------------------------------------------------------------------


async def test_energy_fee_is_read_and_cached_for_its_time() -> None:
    later = {"chainParameter": [{"key": "getEnergyFee", "value": 210}]}
    handler, seen = answers(ok(CHAIN_PARAMETERS), ok(later))
    async with make_client(handler, energy_fee_ttl=600) as (client, time):
        assert await client.energy_fee() == 100
        time.now += 599
        assert await client.energy_fee() == 100
        assert len(seen) == 1
        time.now += 2
        assert await client.energy_fee() == 210
    assert len(seen) == 2
    assert seen[0].url.path == "/wallet/getchainparameters"


@pytest.mark.parametrize(
    "answer",
    [
        {"chainParameter": [{"key": "getTransactionFee", "value": 1000}]},
        {"chainParameter": [{"key": "getEnergyFee"}]},
        {"nothing": []},
    ],
    ids=["missing", "zero", "no-list"],
)
async def test_energy_fee_missing_is_a_bad_answer(answer: dict[str, Any]) -> None:
    handler, _ = answers(ok(answer))
    async with make_client(handler) as (client, _):
        with pytest.raises(ChainBadAnswer):
            await client.energy_fee()


# --- outgoing TRC-20 transfers ------------------------------------------------------------------


async def test_outgoing_transfers_follow_the_fingerprint() -> None:
    first = {
        "data": [trc20_item("t3", 3_000), trc20_item("t2", 2_000)],
        "success": True,
        "meta": {"at": 5_000, "page_size": 2, "fingerprint": "FP1"},
    }
    second = {
        "data": [
            trc20_item("t1", 1_000),
            trc20_item("x", 1_000, sender=OTHER),  # not ours: dropped
            trc20_item("y", 1_000, token=OTHER),  # not USDT: dropped
        ],
        "success": True,
        "meta": {"at": 5_000, "page_size": 3},
    }
    handler, seen = answers(ok(first), ok(second))
    async with make_client(handler) as (client, _):
        transfers = await client.outgoing_usdt_transfers(ADDR, since_ms=1_000)
    assert [t.transaction_id for t in transfers] == ["t3", "t2", "t1"]
    assert transfers[0] == Trc20Transfer("t3", 3_000, ADDR, PAYEE, 1_500_000, USDT_CONTRACT)
    assert transfers[0].block_time == 3.0
    params = seen[0].url.params
    assert seen[0].method == "GET"
    assert seen[0].url.path == f"/v1/accounts/{ADDR}/transactions/trc20"
    assert params["only_from"] == "true"
    assert params["contract_address"] == USDT_CONTRACT
    assert params["min_timestamp"] == "1000"
    assert "fingerprint" not in params
    assert seen[1].url.params["fingerprint"] == "FP1"


async def test_outgoing_transfers_stop_at_max_pages() -> None:
    page = {"data": [trc20_item("t", 2_000)], "meta": {"fingerprint": "again"}}
    handler, seen = answers(ok(page))
    async with make_client(handler) as (client, _):
        transfers = await client.outgoing_usdt_transfers(ADDR, since_ms=0, max_pages=3)
    assert len(seen) == 3
    assert len(transfers) == 3


async def test_empty_history() -> None:
    handler, _ = answers(ok({"data": [], "success": True, "meta": {"at": 1, "page_size": 0}}))
    async with make_client(handler) as (client, _):
        assert await client.outgoing_usdt_transfers(ADDR, since_ms=0) == []


async def test_v1_error_answer_is_a_bad_answer() -> None:
    handler, _ = answers(httpx.Response(400, json={"success": False, "error": "bad limit"}))
    async with make_client(handler) as (client, _):
        with pytest.raises(ChainBadAnswer) as caught:
            await client.outgoing_usdt_transfers(ADDR, since_ms=0)
    assert caught.value.http_status == 400


async def test_a_plain_node_without_v1_is_not_found() -> None:
    handler, seen = answers(httpx.Response(404, text="Not Found"))
    async with make_client(handler) as (client, _):
        with pytest.raises(ChainUnavailable) as caught:
            await client.outgoing_usdt_transfers(ADDR, since_ms=0)
    assert caught.value.code == "NOT_FOUND"
    assert caught.value.outcome_unknown is False
    assert len(seen) == 1


# --- rate limits -----------------------------------------------------------------------------


async def test_429_is_retried_after_retry_after() -> None:
    limited = httpx.Response(429, headers={"Retry-After": "3"}, json={"Error": "rate"})
    handler, seen = answers(limited, ok({}))
    async with make_client(handler) as (client, time):
        assert await client.account_exists(ADDR) is False
    assert len(seen) == 2
    assert sum(time.slept) >= 3.0  # the pacer held the retry until Retry-After passed


async def test_429_without_retry_after_uses_the_backoff() -> None:
    handler, seen = answers(httpx.Response(429), ok({}))
    async with make_client(handler, backoff=lambda attempt: 1.5) as (client, time):
        await client.account_exists(ADDR)
    assert time.slept == [1.5]
    assert len(seen) == 2


async def test_persistent_429_gives_rate_limited_after_the_retries() -> None:
    handler, seen = answers(httpx.Response(429, headers={"Retry-After": "1"}))
    async with make_client(handler, max_retries=2) as (client, _):
        with pytest.raises(ChainRateLimited) as caught:
            await client.account_exists(ADDR)
    assert len(seen) == 3
    assert caught.value.retry_after == 1.0
    assert caught.value.blocked is False


async def test_long_retry_after_fails_fast_until_it_has_passed() -> None:
    handler, seen = answers(httpx.Response(429, headers={"Retry-After": "120"}), ok({}))
    async with make_client(handler, max_wait=10) as (client, time):
        with pytest.raises(ChainRateLimited):
            await client.account_exists(ADDR)
        assert len(seen) == 1
        time.now += 60
        with pytest.raises(ChainRateLimited) as caught:
            await client.account_exists(ADDR)
        assert caught.value.code == "BLOCKED"
        assert caught.value.retry_after == pytest.approx(60)
        assert len(seen) == 1  # nothing sent while blocked
        time.now += 61
        assert await client.account_exists(ADDR) is False
    assert len(seen) == 2
    assert time.slept == []  # no call sat out the block


async def test_403_temporary_block_honours_the_suspension() -> None:
    body = {
        "Error": "The key exceeds the frequency limit(15), and the query server is "
        "suspended for 30s"
    }
    handler, seen = answers(httpx.Response(403, json=body), ok({}))
    async with make_client(handler) as (client, time):
        with pytest.raises(ChainRateLimited) as caught:
            await client.account_exists(ADDR)
        assert caught.value.blocked is True
        assert caught.value.retry_after == 30.0
        assert caught.value.http_status == 403
        time.now += 29
        with pytest.raises(ChainRateLimited):
            await client.account_exists(ADDR)
        time.now += 2
        assert await client.account_exists(ADDR) is False
    assert len(seen) == 2


async def test_403_with_retry_after_header_and_no_text() -> None:
    handler, _ = answers(httpx.Response(403, headers={"Retry-After": "45"}, text=""))
    async with make_client(handler) as (client, _):
        with pytest.raises(ChainRateLimited) as caught:
            await client.account_exists(ADDR)
    assert caught.value.retry_after == 45.0


async def test_short_403_block_is_not_retried_inside_the_call() -> None:
    handler, seen = answers(httpx.Response(403, headers={"Retry-After": "2"}), ok({}))
    async with make_client(handler) as (client, _):
        with pytest.raises(ChainRateLimited):
            await client.account_exists(ADDR)
        assert len(seen) == 1
        assert await client.account_exists(ADDR) is False  # waits in the pacer, then asks


# --- timeouts, transport and bad answers --------------------------------------------------------


async def test_read_timeout_is_retried_then_reported_with_unknown_outcome() -> None:
    handler, seen = answers(httpx.ReadTimeout("slow"))
    async with make_client(handler, max_retries=1) as (client, _):
        with pytest.raises(ChainTimeout) as caught:
            await client.account_resources(ADDR)
    assert len(seen) == 2
    assert caught.value.code == "TIMEOUT"
    assert caught.value.outcome_unknown is True


async def test_connect_error_was_not_sent() -> None:
    handler, _ = answers(httpx.ConnectError("refused"))
    async with make_client(handler, max_retries=0) as (client, _):
        with pytest.raises(ChainUnavailable) as caught:
            await client.account_resources(ADDR)
    assert not isinstance(caught.value, ChainTimeout)
    assert caught.value.code == "CONNECT_ERROR"
    assert caught.value.outcome_unknown is False


async def test_connect_timeout_is_a_timeout_that_was_not_sent() -> None:
    handler, _ = answers(httpx.ConnectTimeout("slow"))
    async with make_client(handler, max_retries=0) as (client, _):
        with pytest.raises(ChainTimeout) as caught:
            await client.account_resources(ADDR)
    assert caught.value.outcome_unknown is False


async def test_timeout_then_success() -> None:
    handler, seen = answers(httpx.ReadTimeout("slow"), ok(RESOURCE_WITH_ENERGY))
    async with make_client(handler) as (client, _):
        assert (await client.account_resources(ADDR)).available_energy == 66_000
    assert len(seen) == 2


async def test_5xx_is_retried_then_unavailable() -> None:
    handler, seen = answers(httpx.Response(503, text="busy"))
    async with make_client(handler, max_retries=2) as (client, _):
        with pytest.raises(ChainUnavailable) as caught:
            await client.energy_fee()
    assert len(seen) == 3
    assert caught.value.code == "HTTP_503"


async def test_a_long_retry_after_on_a_5xx_is_capped_for_everyone() -> None:
    busy = httpx.Response(503, headers={"Retry-After": "300"}, text="maintenance")
    handler, seen = answers(busy, ok({}))
    async with make_client(handler, max_wait=10) as (client, time):
        assert await client.account_exists(ADDR) is False
    assert len(seen) == 2
    assert time.slept == [10.0]  # not 300 s of the shared pacer


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"{not json", "BAD_JSON"),
        (b"<html>gateway</html>", "BAD_JSON"),
        (b"[1, 2]", "BAD_RESPONSE"),
        (b'{"Error": "class java.lang.IllegalArgumentException : INVALID address"}', "NODE_ERROR"),
    ],
)
async def test_unusable_2xx_answers_are_bad_answers_not_retried(content: bytes, code: str) -> None:
    handler, seen = answers(httpx.Response(200, content=content))
    async with make_client(handler) as (client, _):
        with pytest.raises(ChainBadAnswer) as caught:
            await client.account_resources(ADDR)
    assert caught.value.code == code
    assert len(seen) == 1


async def test_401_is_an_auth_error_and_the_key_never_leaks() -> None:
    handler, seen = answers(httpx.Response(401, text=f"ApiKey {API_KEY} not exists"))
    async with make_client(handler) as (client, _):
        with pytest.raises(ChainAuthError) as caught:
            await client.account_exists(ADDR)
    assert API_KEY not in str(caught.value)
    assert "***" in caught.value.detail
    assert len(seen) == 1


async def test_requests_are_paced() -> None:
    handler, _ = answers(ok({}))
    time = FakeTime()
    pacer = Pacer(0.25, hold=False, clock=time, sleep=time.sleep)
    async with TronNodeClient(
        pacer=pacer, base_url=BASE_URL, transport=httpx.MockTransport(handler), clock=time
    ) as client:
        for _ in range(3):
            await client.account_exists(ADDR)
    assert time.slept == [0.25, 0.25]


# --- settings ---------------------------------------------------------------------------------


def test_settings_defaults_and_blank_key() -> None:
    settings = ChainSettings(trongrid_api_key="  ")
    assert settings.tron_node_url == "https://api.trongrid.io"
    assert settings.trongrid_api_key is None
    assert ChainSettings(tron_node_url="http://127.0.0.1:8090/").tron_node_url == (
        "http://127.0.0.1:8090"
    )
    pacer = ChainSettings(tron_requests_per_second=4).make_pacer()
    assert pacer.min_interval == 0.25


@pytest.mark.parametrize(
    "changes",
    [{"tron_node_url": "api.trongrid.io"}, {"tron_requests_per_second": 0}],
)
def test_settings_refuse_bad_values(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ChainSettings(**changes)


async def test_client_from_settings_uses_url_key_and_timeout() -> None:
    handler, seen = answers(ok({}))
    settings = ChainSettings(
        tron_node_url="http://node.local:8090", trongrid_api_key=API_KEY, tron_timeout_seconds=3
    )
    client = TronNodeClient.from_settings(
        settings, settings.make_pacer(), transport=httpx.MockTransport(handler)
    )
    async with client:
        await client.account_exists(ADDR)
    assert str(seen[0].url) == "http://node.local:8090/wallet/getaccount"
    assert seen[0].headers[API_KEY_HEADER] == API_KEY
    assert seen[0].extensions["timeout"]["read"] == 3


# --- sizing -----------------------------------------------------------------------------------


class FakeChain:
    def __init__(self, simulated: int | None, payee_usdt: int) -> None:
        self.simulated = simulated
        self.payee_usdt = payee_usdt
        self.calls: list[str] = []

    async def account_resources(self, address: str) -> AccountResources:
        raise NotImplementedError

    async def account_exists(self, address: str) -> bool:
        raise NotImplementedError

    async def usdt_balance(self, address: str) -> int:
        self.calls.append(f"balance:{address}")
        return self.payee_usdt

    async def simulate_usdt_transfer(self, sender: str, payee: str, amount: int = 1) -> int | None:
        self.calls.append(f"simulate:{sender}->{payee}")
        return self.simulated

    async def energy_fee(self) -> int:
        raise NotImplementedError

    async def outgoing_usdt_transfers(
        self, address: str, since_ms: int, *, max_pages: int = 5
    ) -> list[Trc20Transfer]:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


@pytest.mark.parametrize(
    ("simulated", "payee_usdt", "energy", "source", "calls"),
    [
        (70_000, 0, 70_000, EnergySource.SIMULATED, 1),
        (None, 5, TRANSFER_ENERGY_TO_HOLDER, EnergySource.HOLDER, 2),
        (None, 0, TRANSFER_ENERGY_TO_NON_HOLDER, EnergySource.NON_HOLDER, 2),
    ],
)
async def test_transfer_energy_falls_back_by_the_payees_balance(
    simulated: int | None, payee_usdt: int, energy: int, source: EnergySource, calls: int
) -> None:
    chain = FakeChain(simulated, payee_usdt)
    need = await transfer_energy(chain, ADDR, PAYEE)
    assert (need.energy, need.source, need.sender, need.payee) == (energy, source, ADDR, PAYEE)
    assert len(chain.calls) == calls
    if calls == 2:
        assert chain.calls[1] == f"balance:{PAYEE}"  # the payee's, not the sender's


def test_fallback_figures() -> None:
    assert (TRANSFER_ENERGY_TO_HOLDER, TRANSFER_ENERGY_TO_NON_HOLDER) == (64_285, 130_285)
