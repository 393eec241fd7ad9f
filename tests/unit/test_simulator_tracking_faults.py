"""The simulators reproduce the tracking faults the bot must survive: a tracking request
refused whole because of one id, a tracked status of null, a Feee record with null or
missing fields. Each is reachable through the HTTP control API."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bot.sandbox.feee import FeeeSimulator
from bot.sandbox.tronsave import TronSaveSimulator
from bot.tron_address import address_from_bytes

A1 = address_from_bytes(b"\x51" * 20)
A2 = address_from_bytes(b"\x52" * 20)


@pytest.fixture
def tronsave() -> Iterator[tuple[TronSaveSimulator, httpx.Client]]:
    with (
        TronSaveSimulator(api_key="k", rate_interval=0) as sim,
        httpx.Client(base_url=sim.base_url, headers={"apikey": "k"}) as client,
    ):
        yield sim, client


@pytest.fixture
def feee() -> Iterator[tuple[FeeeSimulator, httpx.Client]]:
    with (
        FeeeSimulator(api_key="k", qps=1000) as sim,
        httpx.Client(base_url=sim.base_url + "/open", headers={"key": "k"}) as client,
    ):
        yield sim, client


def _track(client: httpx.Client, ids: list[str]) -> httpx.Response:
    return client.post("/v0/fast-charge-order-tracking", json={"order_ids": ids})


def test_tronsave_refuses_a_whole_tracking_request_for_one_id(
    tronsave: tuple[TronSaveSimulator, httpx.Client],
) -> None:
    sim, client = tronsave
    bad, good = sim.load_orders([{"receiver": A1}, {"receiver": A2}])
    answer = client.post("/_sim/orders/refuse-tracking", json={"order_ids": [bad]})
    assert answer.status_code == 200, answer.text
    refused = _track(client, [good, bad])
    assert refused.status_code == 400
    assert refused.json() == {"error": True, "message": "TSAS:408 INVALID_PARAMS Invalid orderId"}
    assert _track(client, [good]).json()["results"] == [{"order_id": good, "status": "Pending"}]
    client.post("/_sim/orders/refuse-tracking", json={"order_ids": []})
    assert _track(client, [good, bad]).status_code == 200


def test_tronsave_tracks_an_order_with_a_null_status(
    tronsave: tuple[TronSaveSimulator, httpx.Client],
) -> None:
    sim, client = tronsave
    [oid] = sim.load_orders([{"receiver": A1}])
    client.post("/_sim/orders/null-status", json={"order_ids": [oid]})
    assert _track(client, [oid]).json()["results"] == [{"order_id": oid, "status": None}]


def test_feee_answers_with_null_and_missing_fields(
    feee: tuple[FeeeSimulator, httpx.Client],
) -> None:
    _sim, client = feee
    body = {
        "resource_type": 1,
        "receive_address": A1,
        "resource_value": 65_000,
        "rent_duration": 1,
        "rent_time_unit": "h",
    }
    order_no = client.post("/v2/order/submit", json=body).json()["data"]["order_no"]
    answer = client.post(
        "/_sim/orders/odd-fields",
        json={"order_no": order_no, "null": ["status", "price_in_sun"], "missing": ["pay_amount"]},
    )
    assert answer.status_code == 200, answer.text
    data = client.get("/v2/order/query", params={"order_no": order_no}).json()["data"]
    assert (data["status"], data["price_in_sun"]) == (None, None)
    assert "pay_amount" not in data
    assert data["resource_value"] == 65_000
    client.post("/_sim/orders/odd-fields", json={"order_no": order_no})
    data = client.get("/v2/order/query", params={"order_no": order_no}).json()["data"]
    assert data["status"] == 4
    assert "pay_amount" in data
