"""Feee.io simulator: envelope, durations, business codes, limits, faults and lifecycle."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from bot.sandbox.base import derive_address
from bot.sandbox.feee import FeeeSimulator
from bot.tron_address import is_valid_address

KEY = "feee-key"
UA = "Feee.io Client/1.0.0 (https://feee.io)"
ADDR_A = derive_address("test:a")
ADDR_B = derive_address("test:b")
TXID = re.compile(r"^[0-9a-f]{64}$")

PRICE_V2 = "/v2/order/price"
PRICE_V3 = "/v3/order/price"
SUBMIT = "/v2/order/submit"
CREATE_V3 = "/v3/order/create"
QUERY = "/v2/order/query"
CANCEL = "/v2/order/cancel"
API_QUERY = "/v2/api/query"


def submit_body(address: str = ADDR_A, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resource_type": 1,
        "receive_address": address,
        "resource_value": 65_000,
        "rent_duration": 1,
        "rent_time_unit": "h",
        "rent_time_second": 0,
    }
    body.update(overrides)
    return body


@pytest.fixture(scope="module")
def server() -> Iterator[FeeeSimulator]:
    with FeeeSimulator(api_key=KEY, qps=0, balance="100") as simulator:
        yield simulator


@pytest.fixture
def sim(server: FeeeSimulator) -> FeeeSimulator:
    server.reset()  # one server for the module; each test starts from the constructor state
    return server


@pytest.fixture
def client(sim: FeeeSimulator) -> Iterator[httpx.Client]:
    headers = {"key": KEY, "User-Agent": UA}
    with httpx.Client(base_url=f"{sim.base_url}/open", headers=headers, timeout=5) as http:
        yield http


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == 0, body
    uuid.UUID(body["request_id"])
    data: dict[str, Any] = body["data"]
    return data


def refused(response: httpx.Response, code: int) -> str:
    body = response.json()
    assert (body["code"], body["data"]) == (code, None), body
    msg: str = body["msg"]
    return msg


def submit(client: httpx.Client, **overrides: Any) -> dict[str, Any]:
    return ok(client.post(SUBMIT, json=submit_body(**overrides)))


# ---- prices ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "pay_amount", "seconds"),
    [
        ({"rent_duration": 1, "rent_time_unit": "h"}, "7.06", 3_600),  # 65,000 x 100 SUN + 0.56
        ({"rent_duration": 3, "rent_time_unit": "d"}, "20.06", 259_200),  # per-day price x 3
        ({"rent_duration": 10, "rent_time_unit": "m"}, "7.06", 600),
        ({"rent_duration": 1, "rent_time_unit": "d", "rent_time_second": 900}, "7.06", 900),
    ],
)
def test_v2_price_quote(
    client: httpx.Client, params: dict[str, Any], pay_amount: str, seconds: int
) -> None:
    response = client.get(PRICE_V2, params={"resource_value": 65_000, **params})
    assert f'"pay_amount": {pay_amount}' in response.text  # a JSON number with decimals
    data = ok(response)
    assert data == {
        "resource_value": 65_000,
        "pay_amount": float(pay_amount),
        "service_amount": 0.56,
        "rent_duration": params["rent_duration"],
        "rent_time_unit": params["rent_time_unit"],
        "rent_time_second": seconds,
        "price_in_sun": 100,
    }


def test_v3_price_is_a_fixed_five_minutes(client: httpx.Client) -> None:
    data = ok(client.get(PRICE_V3, params={"resource_value": 65_000}))
    assert data["price_in_sun"] == 80
    assert data["pay_amount"] == pytest.approx(65_000 * 80 / 1e6 + 0.56)
    assert (data["rent_duration"], data["rent_time_unit"], data["rent_time_second"]) == (
        5,
        "m",
        300,
    )


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"rent_duration": 2, "rent_time_unit": "h"}, "1 or 3"),
        ({"rent_duration": 5, "rent_time_unit": "m"}, "must be 10"),
        ({"rent_duration": 31, "rent_time_unit": "d"}, "between 1 and 30"),
        ({"rent_time_unit": "w"}, "one of d, h, m"),
        ({"rent_time_second": 601}, "multiple of 3"),
        ({"rent_time_second": 300}, "at least 600"),
        ({"rent_duration": "one"}, "rent_duration must be an integer"),
        ({"resource_value": 1_000}, "resource_value must be at least 32000"),
        ({"resource_type": 0}, "resource_type"),
        ({"receive_address": "TQk2eKHE9ZfCdVmyPnh8DfRMUF5b123456"}, "not a valid TRON address"),
        ({"receive_address": None}, "receive_address is required"),
    ],
)
def test_parameter_errors(
    sim: FeeeSimulator, client: httpx.Client, overrides: dict[str, Any], fragment: str
) -> None:
    assert fragment in refused(client.post(SUBMIT, json=submit_body(**overrides)), 10001)
    assert sim.state()["orders"] == []


def test_malformed_body(client: httpx.Client) -> None:
    response = client.post(SUBMIT, content=b"{", headers={"Content-Type": "application/json"})
    assert "JSON" in refused(response, 10001)


# ---- orders ------------------------------------------------------------------------------


def test_submit_returns_a_waiting_order_and_charges(
    sim: FeeeSimulator, client: httpx.Client
) -> None:
    before = time.time()
    order = submit(client)
    assert re.fullmatch(r"\d{22}", order["order_no"])
    assert order["status"] == 4
    assert order["business_status"] == 1
    assert order["frozen_tx_id"] == ""
    assert order["frozen_resource_value"] == 0
    assert order["freeze_time"] == order["rent_expire_time"] == 0
    assert order["pay_amount"] == 7.06
    assert order["receive_address"] == ADDR_A
    assert order["is_split"] == 0
    assert order["rent_time_second"] == 3_600
    assert before - 1 <= order["create_time"] <= time.time()
    assert order["pay_time"] == order["create_time"]
    assert sim.balance() == Decimal("92.94")


def test_paths_are_served_at_the_root_too(sim: FeeeSimulator) -> None:
    with httpx.Client(base_url=sim.base_url, headers={"key": KEY}) as root:
        order = ok(
            root.post(CREATE_V3, json={"receive_address": ADDR_B, "resource_value": 40_000})
        )
        assert order["rent_time_second"] == 300
        assert order["price_in_sun"] == 80
        assert ok(root.get(QUERY, params={"order_no": order["order_no"]}))["status"] == 4


def test_query_errors(client: httpx.Client) -> None:
    assert "order_no" in refused(client.get(QUERY), 10001)
    refused(client.get(QUERY, params={"order_no": "1" * 22}), 20004)


def test_business_codes(sim: FeeeSimulator, client: httpx.Client) -> None:
    sim.configure(not_activated=[ADDR_B])
    refused(client.post(SUBMIT, json=submit_body(ADDR_B)), 20005)
    sim.configure(no_resources=True)
    refused(client.post(SUBMIT, json=submit_body()), 20009)
    sim.configure(no_resources=False, balance="1")
    refused(client.post(SUBMIT, json=submit_body()), 20002)
    assert sim.balance() == Decimal(1)


def test_more_than_five_incomplete_orders_per_address(
    sim: FeeeSimulator, client: httpx.Client
) -> None:
    for _ in range(5):
        submit(client)
    refused(client.post(SUBMIT, json=submit_body()), 20014)
    submit(client, address=ADDR_B)  # another address is fine
    sim.deliver()
    submit(client)  # delivered orders are complete


def test_api_query(sim: FeeeSimulator, client: httpx.Client) -> None:
    submit(client)
    data = ok(client.get(API_QUERY))
    assert data["trx_money"] == 92.94
    assert is_valid_address(data["recharge_address"])
    assert data["today_energy_value"] == 65_000
    assert data["today_consume_trx_amount"] == 7.06
    assert data["qps"] == 0
    assert data["whitelist"] == {"ip": [], "user_agent": []}


# ---- auth, whitelists, rate limit --------------------------------------------------------


def test_api_key_errors(sim: FeeeSimulator) -> None:
    with httpx.Client(base_url=sim.base_url) as anonymous:
        assert "required" in refused(anonymous.get(API_QUERY), 10002)
        assert "invalid" in refused(anonymous.get(API_QUERY, headers={"key": "nope"}), 10002)


def test_user_agent_and_ip_whitelists(sim: FeeeSimulator, client: httpx.Client) -> None:
    sim.configure(ua_whitelist=["Other/1.0"])
    refused(client.get(API_QUERY), 20013)
    sim.configure(ua_whitelist=[UA], ip_whitelist=["10.0.0.1"])
    refused(client.get(API_QUERY), 20012)
    sim.configure(ip_whitelist=["127.0.0.1"])
    ok(client.get(API_QUERY))


def test_qps_limit_across_endpoints(sim: FeeeSimulator, client: httpx.Client) -> None:
    sim.configure(qps=2)
    assert client.get(API_QUERY).status_code == 200
    assert client.get(QUERY, params={"order_no": "1"}).status_code == 200
    limited = client.get(API_QUERY)
    assert limited.status_code == 429
    assert limited.json()["code"] == 429
    time.sleep(1.0)
    assert client.get(API_QUERY).status_code == 200
    assert sim.request_log()["rate_limited"] == 1


# ---- faults ------------------------------------------------------------------------------


def test_drop_fault(sim: FeeeSimulator, client: httpx.Client) -> None:
    sim.add_fault("submit_v2", "drop")
    response = client.post(SUBMIT, json=submit_body())
    assert response.status_code == 500
    assert response.json()["code"] == 500
    assert sim.state()["orders"] == []
    assert sim.balance() == Decimal(100)


def test_error500_fault_still_creates(sim: FeeeSimulator, client: httpx.Client) -> None:
    client.post("/_sim/faults", json={"endpoint": "*", "mode": "error500"}).raise_for_status()
    assert client.post(SUBMIT, json=submit_body()).status_code == 500
    assert sim.balance() == Decimal("92.94")
    assert client.get(API_QUERY).status_code == 200  # the fault was used up


def test_delay_fault_commits_before_answering(sim: FeeeSimulator, client: httpx.Client) -> None:
    sim.add_fault("create_v3", "delay", seconds=0.5)
    with pytest.raises(httpx.ReadTimeout):
        client.post(
            CREATE_V3, json={"receive_address": ADDR_A, "resource_value": 40_000}, timeout=0.1
        )
    assert sim.balance() < Decimal(100)


# ---- lifecycle ---------------------------------------------------------------------------


def test_cancel_needs_five_minutes_on_the_simulated_clock(
    sim: FeeeSimulator, client: httpx.Client
) -> None:
    order_no = submit(client)["order_no"]
    assert "5 minutes" in refused(client.post(CANCEL, json={"order_no": order_no}), 20015)
    client.post("/_sim/clock/advance", json={"seconds": 301}).raise_for_status()
    response = client.post(CANCEL, json={"order_no": order_no})
    assert response.json()["pagination"] is None
    assert response.json()["msg"] == "ok"
    data = ok(response)
    assert (data["status"], data["business_status"]) == (12, 4)
    assert data["refund_amount"] == data["pay_amount"] == 7.06
    assert data["refund_time"] > 0
    assert sim.balance() == Decimal(100)
    refused(client.post(CANCEL, json={"order_no": order_no}), 20015)  # already cancelled
    refused(client.post(CANCEL, json={"order_no": "9" * 22}), 20004)


def test_delivered_orders_cannot_be_cancelled(sim: FeeeSimulator, client: httpx.Client) -> None:
    order_no = submit(client)["order_no"]
    client.post("/_sim/orders/deliver", json={"order_no": order_no}).raise_for_status()
    sim.advance_clock(301)
    assert "status" in refused(client.post(CANCEL, json={"order_no": order_no}), 20015)


def test_auto_deliver_then_reclaim_at_rental_end(sim: FeeeSimulator, client: httpx.Client) -> None:
    sim.configure(auto_deliver_after=5)
    order = submit(client)
    sim.advance_clock(6)
    delivered = ok(client.get(QUERY, params={"order_no": order["order_no"]}))
    assert (delivered["status"], delivered["business_status"]) == (6, 2)
    assert TXID.match(delivered["frozen_tx_id"])
    assert delivered["frozen_resource_value"] == 65_000
    # Timestamps moved 6 s into the past; delivery happened 5 s after creation.
    assert delivered["create_time"] == pytest.approx(order["create_time"] - 6, abs=1)
    assert delivered["freeze_time"] == pytest.approx(delivered["create_time"] + 5, abs=1)
    assert delivered["rent_expire_time"] == pytest.approx(delivered["freeze_time"] + 3_600, abs=1)
    sim.advance_clock(3_600)
    finished = ok(client.get(QUERY, params={"order_no": order["order_no"]}))
    assert (finished["status"], finished["business_status"]) == (9, 3)


def test_fail_refunds(sim: FeeeSimulator, client: httpx.Client) -> None:
    order_no = submit(client)["order_no"]
    assert client.post("/_sim/orders/fail", json={"order_no": order_no}).json() == {
        "order_nos": [order_no]
    }
    failed = ok(client.get(QUERY, params={"order_no": order_no}))
    assert (failed["status"], failed["refund_amount"]) == (7, 7.06)
    assert sim.balance() == Decimal(100)


def test_split_order_is_partial_until_every_child_is_delivered(
    sim: FeeeSimulator, client: httpx.Client
) -> None:
    order_no = submit(client)["order_no"]
    split = client.post(
        "/_sim/orders/split", json={"order_no": order_no, "parts": [40_000, 25_000]}
    )
    assert split.status_code == 200, split.text
    first, second = (child["order_no"] for child in split.json()["sub_order"])
    sim.deliver(first)
    parent = ok(client.get(QUERY, params={"order_no": order_no}))
    assert (parent["is_split"], parent["status"]) == (1, 15)
    assert parent["frozen_resource_value"] == 40_000
    assert parent["frozen_tx_id"] == ""
    children = parent["sub_order"]
    assert [child["status"] for child in children] == [6, 4]
    assert TXID.match(children[0]["frozen_tx_id"])
    assert children[1]["frozen_tx_id"] == ""
    assert sum(Decimal(str(child["pay_amount"])) for child in children) == Decimal("7.06")
    assert ok(client.get(QUERY, params={"order_no": second}))["status"] == 4
    sim.deliver(order_no)  # delivers the remaining child
    parent = ok(client.get(QUERY, params={"order_no": order_no}))
    assert (parent["status"], parent["business_status"]) == (6, 2)
    assert parent["frozen_resource_value"] == 65_000
    assert parent["frozen_tx_id"] == children[0]["frozen_tx_id"]


def test_set_status_and_control_errors(sim: FeeeSimulator, client: httpx.Client) -> None:
    order_no = submit(client)["order_no"]
    response = client.post(
        "/_sim/orders/set-status", json={"order_no": order_no, "status": 13, "business_status": 1}
    )
    assert response.json()["status"] == 13
    assert ok(client.get(QUERY, params={"order_no": order_no}))["status"] == 13
    bad_split = client.post("/_sim/orders/split", json={"order_no": order_no, "parts": 2})
    assert bad_split.status_code == 400  # only waiting (status 4) orders can be split
    assert client.post("/_sim/orders/deliver", json={"order_no": "x"}).status_code == 400


def test_config_state_and_reset_over_http(client: httpx.Client) -> None:
    config = client.post("/_sim/config", json={"price_v2": 120, "balance": "12.5"}).json()
    assert (config["price_v2"], config["balance"]) == (120, 12.5)
    state = client.get("/_sim/state").json()
    assert state["balance"] == 12.5
    client.post("/_sim/reset").raise_for_status()
    assert client.get("/_sim/config").json()["price_v2"] == 100
    unknown = client.get("/v9/nothing")
    assert (unknown.status_code, unknown.json()["code"]) == (404, 404)
    assert client.get("/_sim/requests").json()["counts"] == {"unknown": 1}
