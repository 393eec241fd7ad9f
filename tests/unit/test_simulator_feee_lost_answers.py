"""Feee simulator: a lost answer for the nth create and a price change after n orders,
through the HTTP control API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.sandbox.feee import FeeeSimulator
from tests.support.simulators import sim_counts, sim_orders

KEY = "sim-lost-answer-key"
ADDR = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
SUBMIT = "/v2/order/submit"
BODY = {
    "receive_address": ADDR,
    "resource_value": 65_000,
    "rent_duration": 1,
    "rent_time_unit": "h",
    "rent_time_second": 0,
}
PRICE: dict[str, str | int] = {"resource_value": 65_000, "rent_duration": 1, "rent_time_unit": "h"}


@pytest.fixture
def sim() -> Iterator[FeeeSimulator]:
    with FeeeSimulator(api_key=KEY, qps=0) as s:
        yield s


@pytest.fixture
def client(sim: FeeeSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{sim.base_url}/open", headers={"key": KEY}, timeout=5) as c:
        yield c


def _code(response: httpx.Response) -> Any:
    return response.json()["code"]


def test_the_nth_create_is_carried_out_then_answered_with_a_500(
    sim: FeeeSimulator, client: httpx.Client
) -> None:
    client.post("/_sim/orders/lose-answer", json={"nth": 2}).raise_for_status()
    assert _code(client.post(SUBMIT, json=BODY)) == 0
    lost = client.post(SUBMIT, json=BODY)
    assert (lost.status_code, _code(lost)) == (500, 500)
    assert _code(client.post(SUBMIT, json=BODY)) == 0  # the rule was used up
    assert len(sim_orders(sim)) == 3  # the 2nd order exists although its answer was lost
    assert sim_counts(sim)["submit_v2"] == 3


def test_a_delayed_answer_is_a_timeout_for_a_client_that_waits_less(
    sim: FeeeSimulator, client: httpx.Client
) -> None:
    body = {"nth": 1, "mode": "delay", "seconds": 1.0}
    client.post("/_sim/orders/lose-answer", json=body).raise_for_status()
    with pytest.raises(httpx.ReadTimeout):
        client.post(SUBMIT, json=BODY, timeout=0.2)
    assert len(sim_orders(sim)) == 1


def test_bad_lost_answer_rules_are_refused(client: httpx.Client) -> None:
    for body in ({"nth": 0}, {"mode": "drop"}, {"seconds": -1}):
        assert client.post("/_sim/orders/lose-answer", json=body).status_code == 400


def test_the_price_changes_after_n_orders(sim: FeeeSimulator, client: httpx.Client) -> None:
    rule = {"orders": 1, "price_v2": 150}
    client.post("/_sim/price/after-orders", json=rule).raise_for_status()
    assert client.get("/v2/order/price", params=PRICE).json()["data"]["price_in_sun"] == 100
    client.post(SUBMIT, json=BODY).raise_for_status()
    assert client.get("/v2/order/price", params=PRICE).json()["data"]["price_in_sun"] == 150
    assert sim_orders(sim)[0]["price_in_sun"] == 100
    assert client.post("/_sim/price/after-orders", json={"orders": 1}).status_code == 400


def test_reset_forgets_pending_rules(sim: FeeeSimulator, client: httpx.Client) -> None:
    sim.lose_answer(1)
    sim.reprice_after(1, price_v2=150)
    sim.reset()
    assert client.post(SUBMIT, json=BODY).status_code == 200
    assert sim.config()["price_v2"] == 100
