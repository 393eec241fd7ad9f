"""The composition root builds the TRON node client from the settings, or none at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import build_chain, build_runtime
from bot.chain.client import TronNodeClient
from bot.config import Settings
from bot.sandbox.tron_node import TronNodeSimulator

TOKEN = "123456:TEST-token"
ADDRESS = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"


def _settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        database_path=tmp_path / "bot.sqlite3",
        tronsave_api_key="ts-key",
        **values,
    )


def test_chain_reads_off_builds_no_client(tmp_path: Path) -> None:
    runtime = build_runtime(_settings(tmp_path, tron_chain_reads=False))
    assert runtime.chain is None


async def test_the_runtime_reads_the_configured_node_and_closes_the_client(
    tmp_path: Path,
) -> None:
    with TronNodeSimulator(recovery_seconds=0, energy_fee=210) as node:
        settings = _settings(tmp_path, tron_node_url=node.base_url, tron_requests_per_second=100)
        runtime = build_runtime(settings)
        assert isinstance(runtime.chain, TronNodeClient)
        await runtime.start()
        try:
            assert await runtime.chain.energy_fee() == 210
        finally:
            await runtime.stop()
        with pytest.raises(RuntimeError):
            await runtime.chain.account_exists(ADDRESS)


async def test_a_transport_given_for_tests_is_used(tmp_path: Path) -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        fee = {"key": "getEnergyFee", "value": 100}
        return httpx.Response(200, json={"chainParameter": [fee]})

    chain = build_chain(_settings(tmp_path), transport=httpx.MockTransport(answer))
    assert chain is not None
    try:
        assert await chain.energy_fee() == 100
    finally:
        await chain.aclose()
    assert seen == ["/wallet/getchainparameters"]
