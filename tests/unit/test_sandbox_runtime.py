"""Sandbox mode: the simulators it starts match, deliver and refund on their own, and the
settings it yields point both providers at them."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from bot.config import ConfigError, Settings, load_settings
from bot.money import SUN_PER_TRX
from bot.sandbox import cli
from bot.sandbox.feee import FeeeSimulator
from bot.sandbox.runtime import BALANCE_TRX, TRONSAVE_MATCH_AFTER, Sandbox, sandboxed
from bot.sandbox.tron_node import TronNodeSimulator
from bot.sandbox.tronsave import TronSaveSimulator
from bot.tron_address import address_from_bytes

TOKEN = "123456:sandbox-unit-test-token"
A1 = address_from_bytes(b"\x71" * 20)


def _settings(**values: object) -> Settings:
    return load_settings(_env_file=None, telegram_bot_token=TOKEN, **values)


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    running = Sandbox(_settings(sandbox=True, tronsave_min_interval_seconds=0))
    running.start()
    try:
        yield running
    finally:
        running.stop()


def _tronsave(settings: Settings) -> httpx.Client:
    assert settings.tronsave_api_key is not None
    return httpx.Client(
        base_url=settings.tronsave_base_url,
        headers={"apikey": settings.tronsave_api_key.get_secret_value()},
    )


def test_sandbox_needs_no_provider_key_but_without_it_one_is_required() -> None:
    assert _settings(sandbox=True).sandbox is True
    with pytest.raises(ConfigError, match=r"no provider configured.*SANDBOX=true"):
        _settings()


def test_without_sandbox_the_settings_pass_through_and_nothing_starts() -> None:
    settings = _settings(tronsave_api_key="real-key")
    with sandboxed(settings) as used:
        assert used is settings


def test_sandbox_points_both_providers_at_local_simulators_and_stops_them() -> None:
    settings = _settings(
        sandbox=True, tronsave_api_key="real-key", feee_base_url="https://feee.io/open"
    )
    with sandboxed(settings) as used:
        assert used.tronsave_base_url.startswith("http://127.0.0.1:")
        assert used.feee_base_url.startswith("http://127.0.0.1:")
        assert used.feee_base_url.endswith("/open")
        assert used.tronsave_api_key is not None
        assert used.feee_api_key is not None
        assert used.tronsave_api_key.get_secret_value() != "real-key"  # never sent anywhere
        with httpx.Client(base_url=used.feee_base_url) as feee:
            answer = feee.get(
                "/v2/api/query",
                headers={
                    "key": used.feee_api_key.get_secret_value(),
                    "User-Agent": used.feee_user_agent,
                },
            ).json()
        assert answer["code"] == 0
        assert Decimal(str(answer["data"]["trx_money"])) == BALANCE_TRX
        url = used.tronsave_base_url
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/_sim/state", timeout=1)


def test_sandbox_keeps_its_orders_out_of_the_real_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with sandboxed(_settings(sandbox=True)) as used:
        assert used.database_path == Path("data/sandbox.sqlite3")
    monkeypatch.setenv("DATABASE_PATH", "/srv/bot/orders.sqlite3")
    with sandboxed(_settings(sandbox=True)) as used:
        assert used.database_path == Path("/srv/bot/sandbox.sqlite3")


def test_tronsave_orders_match_on_their_own_and_confirm_refunds(sandbox: Sandbox) -> None:
    settings = sandbox.apply(_settings(sandbox=True))
    assert sandbox.tronsave.balance() == BALANCE_TRX * SUN_PER_TRX
    with _tronsave(settings) as client:
        created = client.post(
            "/v0/fast-charge-order-request",
            json={
                "amount": 65_000,
                "duration_sec": 3_600,
                "max_price_accept": 100,
                "receivers": [A1],
                "deadline": 300,
            },
        ).json()
        [order_id] = created["order_ids"]
        tracked = client.post("/v0/fast-charge-order-tracking", json={"order_ids": [order_id]})
        assert tracked.json()["results"][0]["status"] == "Pending"  # not at once

        sandbox.tronsave.advance_clock(TRONSAVE_MATCH_AFTER)  # nobody calls match()
        tracked = client.post("/v0/fast-charge-order-tracking", json={"order_ids": [order_id]})
        assert tracked.json()["results"][0]["status"] == "Matched"

        confirmed = client.post(
            "/v0/fast-charge-order-confirmation", json={"order_ids": [order_id]}
        ).json()
    assert confirmed["confirmation_results"][0]["is_success"] is True
    order = sandbox.tronsave.order(order_id)
    assert order is not None
    assert isinstance(order["repay_amount"], int)
    assert order["repay_amount"] > 0


def test_feee_orders_are_delivered_at_once(sandbox: Sandbox) -> None:
    settings = sandbox.apply(_settings(sandbox=True))
    assert settings.feee_api_key is not None
    headers = {
        "key": settings.feee_api_key.get_secret_value(),
        "User-Agent": settings.feee_user_agent,
    }
    with httpx.Client(base_url=settings.feee_base_url, headers=headers) as client:
        placed = client.post(
            "/v2/order/submit",
            json={
                "resource_type": 1,
                "receive_address": A1,
                "resource_value": 65_000,
                "rent_duration": 1,
                "rent_time_unit": "h",
            },
        ).json()
        assert placed["code"] == 0, placed
        order_no = placed["data"]["order_no"]
        queried = client.get("/v2/order/query", params={"order_no": order_no}).json()
    assert queried["data"]["status"] == 6  # delegated, without any control call
    assert queried["data"]["frozen_tx_id"]


def test_the_tron_node_simulator_runs_and_its_url_is_kept(sandbox: Sandbox) -> None:
    answer = httpx.post(f"{sandbox.tron_node_url}/wallet/getchainparameters", json={})
    assert answer.status_code == 200
    assert any(p["key"] == "getEnergyFee" for p in answer.json()["chainParameter"])


def test_sandbox_points_the_chain_client_at_its_node_simulator() -> None:
    settings = _settings(sandbox=True, tron_chain_reads=False, trongrid_api_key="real-key")
    with sandboxed(settings) as used:
        assert used.tron_chain_reads
        assert used.tron_node_url.startswith("http://127.0.0.1:")
        assert used.trongrid_api_key is None  # the real key is never sent to the simulator
        answer = httpx.post(f"{used.tron_node_url}/wallet/getchainparameters", json={})
        assert answer.status_code == 200


def test_simulators_built_directly_do_nothing_on_their_own() -> None:
    with TronSaveSimulator() as tronsave, FeeeSimulator() as feee:
        assert tronsave.config()["auto_match_after"] is None
        assert feee.config()["auto_deliver_after"] is None


def test_command_line_options_follow_the_settings() -> None:
    tronsave, _ = cli.build(
        TronSaveSimulator,
        "t",
        0,
        ["--unit-price", "70", "--auto-match-after", "2.5", "--balance", "5", "--api-key", "k"],
    )
    assert tronsave.config()["unit_price"] == 70
    assert tronsave.config()["auto_match_after"] == 2.5
    assert tronsave.config()["api_key"] == "k"
    assert tronsave.balance() == 5
    feee, _ = cli.build(
        FeeeSimulator,
        "f",
        0,
        [
            "--no-resources",
            "--ua-whitelist",
            "A/1",
            "--ua-whitelist",
            "B/2",
            "--service-fee",
            "1.5",
        ],
    )
    assert feee.config()["no_resources"] is True
    assert feee.config()["ua_whitelist"] == frozenset({"A/1", "B/2"})
    assert feee.config()["service_fee"] == Decimal("1.5")
    node, _ = cli.build(
        TronNodeSimulator, "n", 0, ["--energy-penalty", "7", "--rate-limit-rps", "3"]
    )
    assert node.config()["energy_penalty"] == 7
    assert node.config()["rate_limit_rps"] == 3
    node, _ = cli.build(
        TronNodeSimulator, "n", 0, ["--penalty", "8"], aliases={"energy_penalty": "--penalty"}
    )
    assert node.config()["energy_penalty"] == 8
    with pytest.raises(SystemExit):
        cli.build(TronSaveSimulator, "t", 0, ["--no-such-option", "1"])


def test_a_sandbox_match_delegates_energy_on_the_node_and_a_confirm_takes_it_back(
    sandbox: Sandbox,
) -> None:
    settings = sandbox.apply(_settings(sandbox=True))
    node = sandbox.tron_node
    assert node.account(A1) is None
    with _tronsave(settings) as client:
        created = client.post(
            "/v0/fast-charge-order-request",
            json={
                "amount": 65_000,
                "duration_sec": 3_600,
                "max_price_accept": 100,
                "receivers": [A1],
                "deadline": 300,
            },
        ).json()
        [order_id] = created["order_ids"]
        sandbox.tronsave.advance_clock(TRONSAVE_MATCH_AFTER)
        sandbox.tronsave.state()  # the match rule runs
        account = node.account(A1)
        assert account is not None
        assert account["activated"] is True
        assert account["available_energy"] == 65_000
        # A transfer from the receiver (to a USDT holder) uses the rented energy only.
        payee = address_from_bytes(b"\x72" * 20)
        node.set_account(payee, usdt=1)
        spent = node.transfer_usdt(A1, payee, 1_000_000)
        assert spent["energy_burned"] == 0
        confirmed = client.post(
            "/v0/fast-charge-order-confirmation", json={"order_ids": [order_id]}
        ).json()
    assert confirmed["confirmation_results"][0]["is_success"] is True
    after = node.account(A1)
    assert after is not None
    assert after["energy_limit"] == 0
