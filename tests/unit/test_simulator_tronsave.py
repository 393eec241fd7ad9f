"""TronSave Fast Charge simulator: documented shapes, errors, limits, faults and lifecycle."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, cast

import httpx
import pytest

from bot.sandbox.base import derive_address
from bot.sandbox.tronsave import TronSaveSimulator
from bot.tron_address import is_valid_address

KEY = "ts-key"
ADDR_A = derive_address("test:a")
ADDR_B = derive_address("test:b")
ADDR_C = derive_address("test:c")
OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

ESTIMATE = "/v0/fast-charge-estimate-order-request"
CREATE = "/v0/fast-charge-order-request"
TRACK = "/v0/fast-charge-order-tracking"
CONFIRM = "/v0/fast-charge-order-confirmation"
CANCEL = "/v0/fast-charge-order-cancel"
HISTORY = "/v0/fast-charge-order-history"
USER_INFO = "/v2/user-info"


def order_body(*receivers: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "amount": 65_000,
        "duration_sec": 900,
        "max_price_accept": 70,
        "deadline": 300,
        "receivers": list(receivers) or [ADDR_A],
    }
    body.update(overrides)
    return body


@pytest.fixture(scope="module")
def server() -> Iterator[TronSaveSimulator]:
    with TronSaveSimulator(api_key=KEY, rate_interval=0, balance=100_000_000) as simulator:
        yield simulator


@pytest.fixture
def sim(server: TronSaveSimulator) -> TronSaveSimulator:
    server.reset()  # one server for the module; each test starts from the constructor state
    return server


@pytest.fixture
def client(sim: TronSaveSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.base_url, headers={"apikey": KEY}, timeout=5) as http:
        yield http


def create(client: httpx.Client, *receivers: str, **overrides: Any) -> list[str]:
    response = client.post(CREATE, json=order_body(*receivers, **overrides))
    assert response.status_code == 200, response.text
    ids: list[str] = response.json()["order_ids"]
    return ids


def stored_orders(sim: TronSaveSimulator) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], sim.state()["orders"])


def order_of(sim: TronSaveSimulator, order_id: str) -> dict[str, Any]:
    order = sim.order(order_id)
    assert order is not None
    return order


def statuses(client: httpx.Client, ids: list[str]) -> list[str]:
    results = client.post(TRACK, json={"order_ids": ids}).json()["results"]
    return [result["status"] for result in results]


# ---- happy paths -------------------------------------------------------------------------


def test_estimate_prices_per_receiver_and_started_day(client: httpx.Client) -> None:
    body = {
        "receiver_count": 2,
        "amount": 65_000,
        "duration_sec": 90_000,
        "resource_type": "ENERGY",
    }
    response = client.post(ESTIMATE, json=body)
    assert response.status_code == 200
    assert response.json() == {
        "charge_amount": 65_000 * 60 * 2 * 2,  # 90,000 s bills two days
        "price": 60,
        "max_receiver_can_provide": 100,
        "internal_balance": "100000000",
        "able_to_match": True,
        "duration_sec": 90_000,
    }


def test_estimate_cannot_match_beyond_supply_or_max_price(
    sim: TronSaveSimulator, client: httpx.Client
) -> None:
    sim.configure(supply=1)
    body: dict[str, object] = {"receiver_count": 2, "amount": 65_000, "duration_sec": 900}
    assert client.post(ESTIMATE, json=body).json()["able_to_match"] is False
    body = {"receiver_count": "1", "amount": 65_000, "duration_sec": 900, "max_price_accept": 50}
    assert client.post(ESTIMATE, json=body).json()["able_to_match"] is False


def test_create_makes_one_pending_order_per_receiver_and_charges(
    sim: TronSaveSimulator, client: httpx.Client
) -> None:
    ids = create(client, ADDR_A, ADDR_B, ADDR_A)
    assert len(ids) == 3
    assert all(OBJECT_ID.match(order_id) for order_id in ids)
    assert sim.balance() == 100_000_000 - 3 * 65_000 * 60
    assert statuses(client, ids) == ["Pending"] * 3
    history = client.get(HISTORY).json()["results"]
    by_id = {order["_id"]: order for order in history}
    assert [by_id[order_id]["receiver"] for order_id in ids] == [ADDR_A, ADDR_B, ADDR_A]
    assert len({order["request_id"] for order in history}) == 1


def test_history_has_every_documented_field(sim: TronSaveSimulator, client: httpx.Client) -> None:
    [order_id] = create(client)
    sim.match([order_id])
    [order] = client.get(HISTORY).json()["results"]
    for name in (
        "_id",
        "request_id",
        "resource_order_request_id",
        "matched_resource_order_id",
        "receiver",
        "resource_type",
        "amount",
        "options",
        "charge_duration_sec",
        "status",
        "is_matched",
        "requester",
        "scan_times",
        "charge_amount",
        "unit_price",
        "pay_txid",
        "paid_amount_actual",
        "repay_amount",
        "repay_at",
        "repay_by",
        "repay_txid",
        "delegate_amount_in_sun",
        "delegate_at",
        "delegate_txid",
        "delegator",
        "expire_delegate_at",
        "created_at",
        "update_at",
    ):
        assert name in order, name
    assert order["options"] == {"deadline": 300, "max_price_accept": 70}
    assert order["charge_amount"] == 65_000 * 60 == order["paid_amount_actual"]
    assert order["unit_price"] == 60
    assert order["is_matched"] is True
    assert re.fullmatch(r"[0-9a-f]{64}", order["delegate_txid"])
    assert ISO.match(order["created_at"])
    assert ISO.match(order["delegate_at"])
    assert is_valid_address(order["delegator"])
    assert order["pay_txid"] == f"internal_fast_charge_{order['request_id']}"


def test_user_info_uses_the_v2_envelope(sim: TronSaveSimulator, client: httpx.Client) -> None:
    body = client.get(USER_INFO).json()
    assert body["error"] is False
    assert body["message"] == "Success"
    data = body["data"]
    assert data["balance"] == "100000000"
    assert OBJECT_ID.match(data["id"])
    assert is_valid_address(data["representAddress"])
    assert is_valid_address(data["depositAddress"])


# ---- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "message"),
    [({}, "TSAS:106 API_KEY_REQUIRED"), ({"apikey": "wrong"}, "TSAS:107 INVALID_API_KEY")],
)
def test_api_key_errors(sim: TronSaveSimulator, headers: dict[str, str], message: str) -> None:
    with httpx.Client(base_url=sim.base_url, headers=headers) as anonymous:
        response = anonymous.post(TRACK, json={"order_ids": []})
        assert response.status_code == 401
        assert response.json() == {"error": True, "message": message}
        v2 = anonymous.get(USER_INFO)
        assert v2.status_code == 401
        assert v2.json() == {"error": True, "message": message, "data": None}


def test_unknown_route_is_a_fastify_404(client: httpx.Client) -> None:
    response = client.get(CREATE)  # exists only as POST
    assert response.status_code == 404
    assert response.json() == {
        "message": f"Route GET:{CREATE} not found",
        "error": "Not Found",
        "statusCode": 404,
    }


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        (CREATE, {"amount": 1, "duration_sec": 1, "max_price_accept": 1, "deadline": 1},
         "body must have required property 'receivers'"),
        (CREATE, order_body(amount="lots"), "body/amount must be number"),
        (CREATE, order_body(amount=0), "body/amount must be >= 1"),
        (CREATE, order_body(receivers="T..."), "body/receivers must be array"),
        (CREATE, order_body(receivers=[]), "body/receivers must NOT have fewer than 1 items"),
        (CREATE, order_body(receivers=[ADDR_A, 7]), "body/receivers/1 must be string"),
        (CREATE, ["not", "an", "object"], "body must be object"),
        (ESTIMATE, {"receiver_count": 1.5, "amount": 1, "duration_sec": 1},
         "body/receiver_count must be integer"),
        (ESTIMATE, {"receiver_count": 1, "amount": 1, "duration_sec": 1, "resource_type": "BW"},
         "body/resource_type must be equal to one of the allowed values"),
        (TRACK, {}, "body must have required property 'order_ids'"),
        (CONFIRM, {}, "body must have required property 'order_ids'"),
        (CANCEL, {"order_ids": "x"}, "body/order_ids must be array"),
    ],
)  # fmt: skip
def test_validation_errors_name_the_field(
    client: httpx.Client, path: str, body: object, message: str
) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "code": "FST_ERR_VALIDATION",
        "error": "Bad Request",
        "message": message,
    }


def test_querystring_validation(client: httpx.Client) -> None:
    response = client.get(HISTORY, params={"pageSize": "ten"})
    assert response.status_code == 400
    assert response.json()["message"] == "querystring/pageSize must be integer"
    response = client.get(HISTORY, params={"from": "yesterday"})
    assert response.json() == {"error": True, "message": "TSAS:408 INVALID_PARAMS Invalid from"}


def test_malformed_json_is_a_fastify_400(client: httpx.Client) -> None:
    response = client.post(CREATE, content=b"{", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["code"] == "FST_ERR_CTP_INVALID_JSON_BODY"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (order_body(ADDR_A, "TQk2eKHE9ZfCdVmyPnh8DfRMUF5b123456"),
         "TSAS:408 INVALID_PARAMS Invalid receiver"),
        (order_body(max_price_accept=59), "TSAS:405 PRICE_EXCEED_MAX_PRICE_REQUIRED"),
        (order_body(ADDR_A, ADDR_B, amount=1_000_000),
         "TSAS:403 INTERNAL_BALANCE_ACCOUNT_TOO_LOW"),
        (order_body(amount=65_000.5), "TSAS:408 INVALID_PARAMS Invalid amount"),
    ],
)  # fmt: skip
def test_business_errors_change_nothing(
    sim: TronSaveSimulator, client: httpx.Client, body: dict[str, Any], message: str
) -> None:
    response = client.post(CREATE, json=body)
    assert response.status_code == 400
    assert response.json() == {"error": True, "message": message}
    assert sim.balance() == 100_000_000
    assert stored_orders(sim) == []


def test_price_equal_to_max_is_accepted(client: httpx.Client) -> None:
    assert len(create(client, max_price_accept=60)) == 1


def test_estimate_balance_check_is_optional(sim: TronSaveSimulator, client: httpx.Client) -> None:
    body = {"receiver_count": 100, "amount": 1_000_000, "duration_sec": 900}
    assert client.post(ESTIMATE, json=body).status_code == 200
    sim.configure(estimate_checks_balance=True)
    response = client.post(ESTIMATE, json=body)
    assert response.status_code == 400
    assert response.json()["message"] == "TSAS:403 INTERNAL_BALANCE_ACCOUNT_TOO_LOW"


# ---- rate limit --------------------------------------------------------------------------


def test_one_accepted_request_per_interval_per_endpoint(
    sim: TronSaveSimulator, client: httpx.Client
) -> None:
    sim.configure(rate_interval=0.5)
    assert client.post(TRACK, json={"order_ids": []}).status_code == 200
    refused = client.post(TRACK, json={"order_ids": []})
    assert refused.status_code == 429
    assert refused.json() == {"error": True, "message": "Rate limit reached"}
    assert client.get(HISTORY).status_code == 200  # another endpoint has its own budget
    time.sleep(0.25)
    assert client.post(TRACK, json={"order_ids": []}).status_code == 429
    time.sleep(0.3)  # > 0.5 s after the accepted one: refusals did not restart the window
    assert client.post(TRACK, json={"order_ids": []}).status_code == 200
    log = sim.request_log()
    assert log["rate_limited"] == 2
    assert log["counts"] == {"track": 4, "history": 1}
    assert log["status_counts"] == {"track": {"200": 2, "429": 2}, "history": {"200": 1}}


def test_user_info_has_the_v2_limit(sim: TronSaveSimulator, client: httpx.Client) -> None:
    sim.configure(rate_interval=10, user_info_rps=2)
    codes = [client.get(USER_INFO).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


# ---- faults ------------------------------------------------------------------------------


def test_drop_fault_answers_500_without_creating(
    sim: TronSaveSimulator, client: httpx.Client
) -> None:
    client.post("/_sim/faults", json={"endpoint": "create", "mode": "drop"}).raise_for_status()
    response = client.post(CREATE, json=order_body())
    assert response.status_code == 500
    assert stored_orders(sim) == []
    assert sim.balance() == 100_000_000
    assert len(create(client)) == 1  # count defaults to 1: the next request works


def test_error500_fault_creates_then_fails(sim: TronSaveSimulator, client: httpx.Client) -> None:
    sim.add_fault("create", "error500")
    assert client.post(CREATE, json=order_body()).status_code == 500
    [order] = client.get(HISTORY).json()["results"]
    assert order["status"] == "Pending"
    assert sim.balance() == 100_000_000 - 65_000 * 60


def test_delay_fault_commits_before_the_client_times_out(
    sim: TronSaveSimulator, client: httpx.Client
) -> None:
    sim.add_fault("create", "delay", seconds=0.5, count=None)
    with pytest.raises(httpx.ReadTimeout):
        client.post(CREATE, json=order_body(), timeout=0.1)
    assert len(stored_orders(sim)) == 1
    sim.clear_faults()
    assert client.get(HISTORY).json()["total"] == 1


def test_fault_validation(client: httpx.Client) -> None:
    response = client.post("/_sim/faults", json={"endpoint": "nope", "mode": "drop"})
    assert response.status_code == 400
    response = client.post("/_sim/faults", json={"endpoint": "*", "mode": "explode"})
    assert response.status_code == 400


# ---- lifecycle ---------------------------------------------------------------------------


def test_auto_match_after_delay_on_the_simulated_clock(
    sim: TronSaveSimulator, client: httpx.Client
) -> None:
    sim.configure(auto_match_after=5)
    ids = create(client)
    assert statuses(client, ids) == ["Pending"]
    client.post("/_sim/clock/advance", json={"seconds": 6}).raise_for_status()
    assert statuses(client, ids) == ["Matched"]
    order = order_of(sim, ids[0])
    assert order["is_matched"] is True


def test_supply_zero_pauses_auto_match_until_deadline(
    sim: TronSaveSimulator, client: httpx.Client
) -> None:
    sim.configure(auto_match_after=5, supply=0)
    ids = create(client)
    sim.advance_clock(301)
    assert statuses(client, ids) == ["Expired"]
    order = order_of(sim, ids[0])
    assert order["repay_amount"] == order["charge_amount"]
    assert order["repay_by"] == "Expired"
    assert order["paid_amount_actual"] == 0
    assert sim.balance() == 100_000_000


def test_matched_status_completed_variant(sim: TronSaveSimulator, client: httpx.Client) -> None:
    sim.configure(matched_status="Completed")
    ids = create(client)
    assert sim.match() == ids
    assert statuses(client, ids) == ["Completed"]


def test_confirm_refunds_part_and_only_once(sim: TronSaveSimulator, client: httpx.Client) -> None:
    matched, pending = create(client, ADDR_A, ADDR_B, deadline=1000)
    client.post("/_sim/orders/match", json={"order_ids": [matched]}).raise_for_status()
    sim.advance_clock(450)  # half of the 900 s rental used
    results = client.post(CONFIRM, json={"order_ids": [matched, pending, "f" * 24]}).json()
    assert results == {
        "confirmation_results": [
            {"order_id": matched, "is_success": True, "fail_reason": None},
            {"order_id": pending, "is_success": False, "fail_reason": "Order is not matched yet"},
            {"order_id": "f" * 24, "is_success": False, "fail_reason": "Order not found"},
        ]
    }
    order = order_of(sim, matched)
    charge = 65_000 * 60
    assert order["repay_amount"] == pytest.approx(charge * 0.5 * 0.5, rel=0.01)
    assert order["paid_amount_actual"] == charge - order["repay_amount"]
    assert order["repay_by"] == "Confirmed"
    assert ISO.match(str(order["repay_at"]))
    assert order["status"] == "Completed"
    assert sim.balance() == 100_000_000 - 2 * charge + order["repay_amount"]
    again = client.post(CONFIRM, json={"order_ids": [matched]}).json()["confirmation_results"]
    assert again == [
        {"order_id": matched, "is_success": False, "fail_reason": "Order already confirmed"}
    ]


def test_rental_end_completes_without_refund(sim: TronSaveSimulator, client: httpx.Client) -> None:
    ids = create(client)
    sim.match(ids)
    sim.advance_clock(900)
    assert statuses(client, ids) == ["Completed"]
    result = client.post(CONFIRM, json={"order_ids": ids}).json()["confirmation_results"][0]
    assert result["fail_reason"] == "Order rental already ended"
    order = order_of(sim, ids[0])
    assert order["repay_amount"] == 0


def test_cancel_only_pending_with_full_refund(
    sim: TronSaveSimulator, client: httpx.Client
) -> None:
    pending, matched = create(client, ADDR_A, ADDR_B)
    sim.match([matched])
    results = client.post(CANCEL, json={"order_ids": [pending, matched]}).json()
    assert results == {
        "cancel_results": [
            {"order_id": pending, "is_success": True, "fail_reason": None},
            {
                "order_id": matched,
                "is_success": False,
                "fail_reason": "Only Pending orders can be cancelled",
            },
        ]
    }
    assert statuses(client, [pending]) == ["Cancelled"]
    assert sim.balance() == 100_000_000 - 65_000 * 60


def test_set_status_and_unknown_ids_in_track(sim: TronSaveSimulator, client: httpx.Client) -> None:
    ids = create(client)
    response = client.post(
        "/_sim/orders/set-status", json={"order_id": ids[0], "status": "Refunding"}
    )
    assert response.json()["status"] == "Refunding"
    results = client.post(TRACK, json={"order_ids": ["0" * 24, ids[0], "junk"]}).json()
    assert results == {"results": [{"order_id": ids[0], "status": "Refunding"}]}
    assert client.post("/_sim/orders/set-status", json={"order_id": "x"}).status_code == 400


def test_manual_expire_and_end_rental(sim: TronSaveSimulator, client: httpx.Client) -> None:
    first, second = create(client, ADDR_A, ADDR_B)
    sim.match([second])
    assert client.post("/_sim/orders/expire", json={}).json() == {"order_ids": [first]}
    assert client.post("/_sim/orders/end-rental", json={}).json() == {"order_ids": [second]}
    assert statuses(client, [first, second]) == ["Expired", "Completed"]


# ---- history, bulk loading, control API -------------------------------------------------


def test_history_pages_newest_first_and_filters_by_time(
    sim: TronSaveSimulator, client: httpx.Client
) -> None:
    loaded = []
    for index in range(5):
        loaded += sim.load_orders([{"receiver": ADDR_C, "amount": 1000 + index}])
        sim.advance_clock(60)
    newest_first = loaded[::-1]
    page0 = client.get(HISTORY, params={"page": 0, "pageSize": 2}).json()
    page2 = client.get(HISTORY, params={"page": 2, "pageSize": 2}).json()
    assert page0["total"] == page2["total"] == 5
    assert [order["_id"] for order in page0["results"]] == newest_first[:2]
    assert [order["_id"] for order in page2["results"]] == newest_first[4:]
    assert client.get(HISTORY).json()["total"] == 5  # default pageSize 10
    now_ms = time.time() * 1000
    # Orders were created 60, 120, ... 300 s ago on the simulated clock.
    window = {"from": str(int(now_ms - 190_000)), "to": str(int(now_ms - 50_000))}
    recent = client.get(HISTORY, params=window).json()
    assert [order["_id"] for order in recent["results"]] == newest_first[:3]


def test_bulk_load_over_http(sim: TronSaveSimulator, client: httpx.Client) -> None:
    orders: list[dict[str, Any]] = [
        {"order_id": f"{index:024x}", "receiver": ADDR_A, "amount": 65_000, "duration_sec": 900,
         "deadline": 300, "request_id": "a" * 24}
        for index in range(3)
    ]  # fmt: skip
    response = client.post("/_sim/orders/load", json={"orders": orders})
    assert response.json() == {"loaded": 3, "order_ids": [o["order_id"] for o in orders]}
    assert statuses(client, [o["order_id"] for o in orders]) == ["Pending"] * 3
    assert sim.balance() == 100_000_000  # loading does not charge
    duplicate = client.post("/_sim/orders/load", json={"orders": orders[:1]})
    assert duplicate.status_code == 400


def test_state_config_requests_and_reset_over_http(client: httpx.Client) -> None:
    create(client)
    config = client.post("/_sim/config", json={"unit_price": 70, "balance": 5}).json()
    assert config["unit_price"] == 70
    assert config["balance"] == 5
    assert client.post("/_sim/config", json={"colour": "red"}).status_code == 400
    state = client.get("/_sim/state").json()
    assert state["balance"] == 5
    assert len(state["orders"]) == 1
    log = client.get("/_sim/requests").json()
    assert [(e["method"], e["endpoint"], e["status"]) for e in log["entries"]] == [
        ("POST", "create", 200)
    ]
    assert isinstance(log["entries"][0]["time"], float)
    client.post("/_sim/requests/clear").raise_for_status()
    assert client.get("/_sim/requests").json()["total"] == 0
    client.post("/_sim/reset").raise_for_status()
    state = client.get("/_sim/state").json()
    assert state["orders"] == []
    assert state["balance"] == 100_000_000
    assert state["config"]["unit_price"] == 60
    assert client.get("/_sim/nothing").status_code == 404


def test_command_line_runs_and_stops_on_ctrl_c() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.sandbox.tronsave", "--port", "0", "--api-key", KEY],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert url, line
        response = httpx.get(f"{url.group(0)}{USER_INFO}", headers={"apikey": KEY})
        assert response.json()["error"] is False
        assert "GET /v2/user-info -> 200 (user_info)" in process.stderr.readline()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=5) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


# ---- faults for reconciling a lost create ---------------------------------------------


def test_clock_offset_moves_timestamps_ids_and_the_date_header(
    sim: TronSaveSimulator, client: httpx.Client
) -> None:
    sim.configure(clock_offset=3_600.0)
    response = client.post(CREATE, json=order_body(ADDR_A))
    [order_id] = response.json()["order_ids"]
    served = parsedate_to_datetime(response.headers["date"]).timestamp()
    assert abs(served - (time.time() + 3_600)) < 2
    created = datetime.fromisoformat(order_of(sim, order_id)["created_at"]).timestamp()
    assert abs(created - (time.time() + 3_600)) < 2
    assert abs(int(order_id[:8], 16) - (time.time() + 3_600)) < 2


def test_history_page_cap_serves_fewer_rows_than_asked_and_counts_pages_in_it(
    sim: TronSaveSimulator, client: httpx.Client
) -> None:
    sim.configure(history_max_page_size=2)
    ids = create(client, ADDR_A, ADDR_B, ADDR_C)
    first = client.get(HISTORY, params={"page": 0, "pageSize": 50}).json()
    second = client.get(HISTORY, params={"page": 1, "pageSize": 50}).json()
    assert first["total"] == second["total"] == 3
    assert len(first["results"]) == 2
    served = [r["_id"] for r in first["results"] + second["results"]]
    assert sorted(served) == sorted(ids)


def test_lagging_history_shows_one_requests_orders_one_by_one(
    sim: TronSaveSimulator, client: httpx.Client
) -> None:
    sim.configure(history_delay=10.0, history_stagger=20.0)
    ids = create(client, ADDR_A, ADDR_B, ADDR_C)

    def listed() -> list[str]:
        rows = client.get(HISTORY, params={"pageSize": 50}).json()["results"]
        return sorted(r["_id"] for r in rows)

    assert listed() == []
    sim.advance_clock(11)
    assert listed() == ids[:1]
    sim.advance_clock(20)
    assert listed() == sorted(ids[:2])
    sim.advance_clock(20)
    assert listed() == sorted(ids)
    assert statuses(client, ids) == ["Pending"] * 3  # tracking does not lag


def test_foreign_order_on_the_key_is_listed_with_its_own_request(
    sim: TronSaveSimulator, client: httpx.Client
) -> None:
    [own] = create(client, ADDR_A)
    body = {"receiver": ADDR_A, "amount": 65_000, "duration_sec": 900}
    placed = client.post(
        "/_sim/orders/foreign", json={**body, "max_price_accept": 70, "deadline": 300, "age": 5}
    )
    assert placed.status_code == 200, placed.text
    foreign = placed.json()["order_id"]
    rows = client.get(HISTORY, params={"pageSize": 50}).json()["results"]
    assert [r["_id"] for r in rows] == [own, foreign]  # newest first: it is 5 s older
    assert rows[0]["request_id"] != rows[1]["request_id"]
    assert rows[1]["options"] == {"deadline": 300, "max_price_accept": 70.0}
