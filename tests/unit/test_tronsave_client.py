"""TronSaveClient against an in-process mock server (httpx.MockTransport); no network."""

from __future__ import annotations

import email.utils
import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import pytest
from pydantic import SecretStr

from bot.net.pacing import Pacer, key_fingerprint
from bot.providers.errors import (
    ProviderAuthError,
    ProviderBusinessError,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
    ProviderValidationError,
)
from bot.providers.tronsave.client import TronSaveClient
from bot.providers.tronsave.models import (
    ActionResult,
    Estimate,
    HistoryPage,
    TrackResult,
    UserInfo,
)

KEY = "ts-secret-key-7f3a9c2e-DO-NOT-LOG"
BASE = "https://api.tronsave.test"
ID_A = "673c17a3129f1881382e98e2"
ID_B = "673c17a3129f1881382e98e3"
ADDR_1 = "TQk2eKHE9ZfCdVmyPnh8DfRMUF0123456"
ADDR_2 = "TQk2eKHE9ZfCdVmyPnh8DfRMUF1111111"

# One scripted answer: (status, JSON body | raw bytes) or an httpx exception class to raise.
Reply = tuple[int, object] | type[httpx.RequestError]
Call = Callable[[TronSaveClient], Awaitable[object]]
E = TypeVar("E", bound=ProviderError)


class MockServer:
    """Replays scripted replies in order and records every request it received."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert self.replies, f"unexpected extra request {request.method} {request.url}"
        reply = self.replies.pop(0)
        if isinstance(reply, type):
            raise reply("scripted failure", request=request)
        status, body = reply
        if isinstance(body, bytes):
            return httpx.Response(status, content=body)
        return httpx.Response(status, json=body)

    def body(self, index: int = 0) -> Any:
        return json.loads(self.requests[index].content)


class FakeTime:
    """Clock and sleep for a Pacer: sleeping only advances the clock, and is recorded."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_client(
    server: MockServer,
    *,
    pacer: Pacer | None = None,
    max_retries: int = 3,
    backoff: Callable[[int], float] = lambda attempt: 0.0,
    timeout: float = 15.0,
    key: str = KEY,
) -> TronSaveClient:
    return TronSaveClient(
        api_key=SecretStr(key),
        base_url=BASE,
        pacer=pacer or Pacer(0, hold=True),
        timeout=timeout,
        transport=httpx.MockTransport(server),
        max_retries=max_retries,
        backoff=backoff,
    )


def paced(fake: FakeTime, min_interval: float = 2.0) -> Pacer:
    return Pacer(min_interval, hold=True, clock=fake.clock, sleep=fake.sleep)


# --- doc examples ---------------------------------------------------------------------------

ESTIMATE_EXAMPLE = {
    "charge_amount": 44850000,
    "price": 69,
    "max_receiver_can_provide": 8,
    "able_to_match": True,
    "internal_balance": "117505470",
}
CREATE_EXAMPLE = {"order_ids": [ID_A, ID_B]}
TRACK_EXAMPLE = {
    "results": [{"order_id": ID_A, "status": "Completed"}, {"order_id": ID_B, "status": "Pending"}]
}
CONFIRM_EXAMPLE = {
    "confirmation_results": [
        {"order_id": "673d5fe2d2451e67c4d09483", "is_success": True, "fail_reason": None}
    ]
}
CANCEL_EXAMPLE = {"cancel_results": [{"order_id": ID_B, "is_success": True, "fail_reason": None}]}
HISTORY_EXAMPLE = {
    "total": 1,
    "results": [
        {
            "_id": "673d586ad2451e67c4d0943b",
            "receiver": "TQk2eKHE9ZfCdVmyPnh8DfRMUF5b123456",
            "resource_type": "ENERGY",
            "amount": 65000,
            "options": {"deadline": 300, "max_price_accept": 50},
            "charge_amount": 4485000,
            "status": "Completed",
            "pay_txid": "internal_fast_charge_673d586ad2451e67c4d0943a",
            "request_id": "673d586ad2451e67c4d0943a",
            "requester": "TLoE6dE6EaEfeH6pbWHrtcTfMLtk111111",
            "unit_price": 69,
            "is_matched": True,
            "charge_duration_sec": 900,
            "scan_times": 1,
            "created_at": "2024-11-20T03:32:58.722Z",
            "update_at": "2024-11-20T03:34:43.815Z",
            "delegate_amount_in_sun": 881000000,
            "delegate_at": "2024-11-20T03:33:37.538Z",
            "delegate_txid": "ed287d774bbe2e673fc938feb9a02bc926bc82198ef02292212132aec4951821",
            "delegator": "TQBV7xU489Rq8ZCsYi72zBhJMdr2222222",
            "expire_delegate_at": "2024-11-20T03:38:37.530Z",
            "matched_resource_order_id": "673d58d3d2451e67c4d09440",
            "paid_amount_actual": 4127500,
            "repay_amount": 357500,
            "repay_at": "2024-11-20T03:34:43.815Z",
            "repay_by": "Confirmed",
            "repay_txid": "673d58d3d2451e67c4d09441",
            "resource_order_request_id": "673d58d3d2451e67c4d0943f",
        }
    ],
}
USER_INFO_EXAMPLE = {
    "error": False,
    "message": "Success",
    "data": {
        "id": "user_id",
        "balance": "306773887",
        "representAddress": "TKVSaJQDWeKFSEXmA44pjxduGTxy999999",
        "depositAddress": "TKVSaJQDWeKFSEXmA44pjxduGTxy888888",
    },
}

# Every public call with plausible arguments, by endpoint name.
CALLS: dict[str, Call] = {
    "estimate": lambda c: c.estimate(
        amount=65000, duration_sec=900, max_price=70, receiver_count=2
    ),
    "create": lambda c: c.create_order(
        amount=65000, duration_sec=900, max_price=70, receivers=[ADDR_1], deadline_sec=300
    ),
    "track": lambda c: c.track([ID_A]),
    "confirm": lambda c: c.confirm([ID_A]),
    "cancel": lambda c: c.cancel([ID_A]),
    "history": lambda c: c.history(from_ms=1, to_ms=2),
    "user_info": lambda c: c.user_info(),
}
SUCCESS: dict[str, object] = {
    "estimate": ESTIMATE_EXAMPLE,
    "create": {"order_ids": [ID_A]},
    "track": TRACK_EXAMPLE,
    "confirm": CONFIRM_EXAMPLE,
    "cancel": CANCEL_EXAMPLE,
    "history": HISTORY_EXAMPLE,
    "user_info": USER_INFO_EXAMPLE,
}
SAFE = ["estimate", "track", "history", "user_info"]
UNSAFE = ["create", "confirm", "cancel"]
PATHS = {
    "estimate": ("POST", "/v0/fast-charge-estimate-order-request"),
    "create": ("POST", "/v0/fast-charge-order-request"),
    "track": ("POST", "/v0/fast-charge-order-tracking"),
    "confirm": ("POST", "/v0/fast-charge-order-confirmation"),
    "cancel": ("POST", "/v0/fast-charge-order-cancel"),
    "history": ("GET", "/v0/fast-charge-order-history"),
    "user_info": ("GET", "/v2/user-info"),
}


async def call_expecting(name: str, server: MockServer, error: type[E], **client_kwargs: Any) -> E:
    async with make_client(server, **client_kwargs) as client:
        with pytest.raises(error) as info:
            await CALLS[name](client)
    return info.value


# --- success parsing and request shape ---------------------------------------------------------


@pytest.mark.parametrize("name", list(CALLS))
async def test_every_call_sends_apikey_to_its_documented_path(name: str) -> None:
    server = MockServer((200, SUCCESS[name]))
    async with make_client(server) as client:
        await CALLS[name](client)
    (request,) = server.requests
    assert (request.method, request.url.path) == PATHS[name]
    assert request.url.host == "api.tronsave.test"
    assert request.headers["apikey"] == KEY
    if request.method == "POST":
        assert request.headers["content-type"] == "application/json"
    else:
        assert request.content == b""


async def test_estimate_parses_doc_example_and_sends_documented_body() -> None:
    server = MockServer((200, ESTIMATE_EXAMPLE))
    async with make_client(server) as client:
        estimate = await client.estimate(
            amount=130000, duration_sec=900, max_price=70, receiver_count=10
        )
    assert estimate == Estimate(
        charge_amount_sun=44850000,
        unit_price_sun=69,
        max_receiver_can_provide=8,
        internal_balance_sun=117505470,
        able_to_match=True,
        duration_sec=None,
    )
    assert server.body() == {
        "receiver_count": 10,
        "amount": 130000,
        "max_price_accept": 70,
        "resource_type": "ENERGY",
        "duration_sec": 900,
    }


async def test_estimate_coerces_string_numbers_and_ignores_extra_fields() -> None:
    body = {
        "charge_amount": "8970000",
        "price": "69",
        "max_receiver_can_provide": "2",
        "internal_balance": "117505470",
        "duration_sec": "900",
        "able_to_match": False,
        "surprise": {"nested": [1, 2]},
    }
    server = MockServer((200, body))
    async with make_client(server) as client:
        estimate = await client.estimate(
            amount=65000, duration_sec=900, max_price=70, receiver_count=2
        )
    assert estimate.charge_amount_sun == 8970000
    assert estimate.unit_price_sun == 69
    assert estimate.max_receiver_can_provide == 2
    assert estimate.duration_sec == 900
    assert estimate.able_to_match is False


async def test_fractional_sun_rounds_half_up_exactly() -> None:
    # 2.5 must become 3 (banker's rounding would give 2); the balance has more digits than a
    # float holds, so reading it through float would turn ...0.4999... into ...0.5 -> ...1.
    raw = (
        b'{"charge_amount": 2.5, "price": "68.5", "max_receiver_can_provide": 1,'
        b' "internal_balance": 117505470.49999999999999999}'
    )
    server = MockServer((200, raw))
    async with make_client(server) as client:
        estimate = await client.estimate(
            amount=1, duration_sec=900, max_price=70, receiver_count=1
        )
    assert estimate.charge_amount_sun == 3
    assert estimate.unit_price_sun == 69
    assert estimate.internal_balance_sun == 117505470


async def test_create_order_sends_documented_body_and_returns_ids_in_order() -> None:
    server = MockServer((200, CREATE_EXAMPLE))
    async with make_client(server) as client:
        ids = await client.create_order(
            amount=130000,
            duration_sec=900,
            max_price=70,
            receivers=(ADDR_1, ADDR_2),
            deadline_sec=300,
        )
    assert ids == [ID_A, ID_B]
    assert server.body() == {
        "max_price_accept": 70,
        "amount": 130000,
        "duration_sec": 900,
        "deadline": 300,
        "receivers": [ADDR_1, ADDR_2],
    }


async def test_create_order_with_unexpected_id_count_returns_ids_and_warns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.providers.tronsave.client")
    server = MockServer((200, {"order_ids": [ID_A]}))
    async with make_client(server) as client:
        ids = await client.create_order(
            amount=1, duration_sec=900, max_price=70, receivers=[ADDR_1, ADDR_2], deadline_sec=300
        )
    assert ids == [ID_A]
    assert any("1 order ids for 2 receivers" in r.getMessage() for r in caplog.records)


async def test_track_parses_doc_example_and_keeps_status_verbatim() -> None:
    server = MockServer((200, TRACK_EXAMPLE))
    async with make_client(server) as client:
        results = await client.track([ID_A, ID_B])
    assert results == [
        TrackResult(order_id=ID_A, status="Completed"),
        TrackResult(order_id=ID_B, status="Pending"),
    ]
    assert server.body() == {"order_ids": [ID_A, ID_B]}


async def test_track_accepts_unlisted_status_and_extra_fields() -> None:
    body = {"results": [{"order_id": ID_A, "status": "Refunded", "extra": 1}], "meta": {}}
    server = MockServer((200, body))
    async with make_client(server) as client:
        assert await client.track([ID_A]) == [TrackResult(order_id=ID_A, status="Refunded")]


@pytest.mark.parametrize("name", ["track", "confirm", "cancel"])
async def test_empty_id_list_makes_no_request(name: str) -> None:
    server = MockServer()
    async with make_client(server) as client:
        method: Callable[[list[str]], Awaitable[list[Any]]] = getattr(client, name)
        assert await method([]) == []
    assert server.requests == []


async def test_confirm_parses_success_and_failure_results() -> None:
    body = {
        "confirmation_results": [
            {"order_id": ID_A, "is_success": True, "fail_reason": None},
            {"order_id": ID_B, "is_success": "false", "fail_reason": "Order is pending"},
        ]
    }
    server = MockServer((200, body))
    async with make_client(server) as client:
        results = await client.confirm([ID_A, ID_B])
    assert results == [
        ActionResult(order_id=ID_A, is_success=True, fail_reason=None),
        ActionResult(order_id=ID_B, is_success=False, fail_reason="Order is pending"),
    ]
    assert server.body() == {"order_ids": [ID_A, ID_B]}


async def test_cancel_parses_doc_example() -> None:
    server = MockServer((200, CANCEL_EXAMPLE))
    async with make_client(server) as client:
        results = await client.cancel([ID_B])
    assert results == [ActionResult(order_id=ID_B, is_success=True, fail_reason=None)]
    assert server.body() == {"order_ids": [ID_B]}


async def test_history_parses_doc_example_and_sends_query_params() -> None:
    server = MockServer((200, HISTORY_EXAMPLE))
    async with make_client(server) as client:
        page = await client.history(
            from_ms=1732066773000, to_ms=1732073973000, page=2, page_size=10
        )
    assert dict(server.requests[0].url.params) == {
        "from": "1732066773000",
        "to": "1732073973000",
        "page": "2",
        "pageSize": "10",
    }
    assert isinstance(page, HistoryPage)
    assert page.total == 1
    (order,) = page.results
    assert order.id == "673d586ad2451e67c4d0943b"
    assert order.request_id == "673d586ad2451e67c4d0943a"
    assert order.receiver == "TQk2eKHE9ZfCdVmyPnh8DfRMUF5b123456"
    assert order.amount == 65000
    assert order.charge_duration_sec == 900
    assert order.status == "Completed"
    assert order.is_matched is True
    assert order.charge_amount_sun == 4485000
    assert order.unit_price_sun == 69
    assert order.paid_amount_actual_sun == 4127500
    assert order.repay_amount_sun == 357500
    assert order.paid_amount_actual_sun + order.repay_amount_sun == order.charge_amount_sun
    assert order.repay_by == "Confirmed"
    assert order.delegate_txid == (
        "ed287d774bbe2e673fc938feb9a02bc926bc82198ef02292212132aec4951821"
    )
    assert order.created_at == datetime(2024, 11, 20, 3, 32, 58, 722000, tzinfo=UTC)
    assert order.delegate_at == datetime(2024, 11, 20, 3, 33, 37, 538000, tzinfo=UTC)
    assert order.repay_at == datetime(2024, 11, 20, 3, 34, 43, 815000, tzinfo=UTC)
    assert order.expire_delegate_at == datetime(2024, 11, 20, 3, 38, 37, 530000, tzinfo=UTC)
    assert order.deadline == 300
    assert order.max_price_accept == 50


async def test_history_default_paging_and_sparse_pending_order() -> None:
    # A pending order has no delegation or refund yet; numbers may arrive as strings.
    body = {
        "total": "3",
        "results": [
            {"_id": ID_A, "amount": "65000", "status": "Pending", "is_matched": False},
        ],
    }
    server = MockServer((200, body))
    async with make_client(server) as client:
        page = await client.history(from_ms=10, to_ms=20)
    assert server.requests[0].url.params["page"] == "0"
    assert server.requests[0].url.params["pageSize"] == "50"
    assert page.total == 3
    (order,) = page.results
    assert (order.id, order.amount, order.status, order.is_matched) == (
        ID_A,
        65000,
        "Pending",
        False,
    )
    assert order.delegate_at is None
    assert order.repay_amount_sun is None
    assert order.deadline is None


async def test_user_info_unwraps_v2_envelope() -> None:
    server = MockServer((200, USER_INFO_EXAMPLE))
    async with make_client(server) as client:
        info = await client.user_info()
    assert info == UserInfo(
        balance_sun=306773887,
        deposit_address="TKVSaJQDWeKFSEXmA44pjxduGTxy888888",
        represent_address="TKVSaJQDWeKFSEXmA44pjxduGTxy999999",
    )


def test_key_id_is_the_fingerprint() -> None:
    client = make_client(MockServer())
    assert client.key_id == key_fingerprint(KEY)
    assert client.provider == "tronsave"


async def test_timeout_argument_reaches_every_phase() -> None:
    server = MockServer((200, TRACK_EXAMPLE))
    async with make_client(server, timeout=7.5) as client:
        await client.track([ID_A])
    assert server.requests[0].extensions["timeout"] == {
        "connect": 7.5,
        "read": 7.5,
        "write": 7.5,
        "pool": 7.5,
    }


# --- error mapping -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CALLS))
@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("TSAS:106 API_KEY_REQUIRED", "API_KEY_REQUIRED"),
        ("TSAS:107 INVALID_API_KEY", "INVALID_API_KEY"),
    ],
)
async def test_401_is_auth_error_with_code_word(name: str, message: str, code: str) -> None:
    server = MockServer((401, {"error": True, "message": message}))
    error = await call_expecting(name, server, ProviderAuthError)
    assert (error.provider, error.code, error.http_status) == ("tronsave", code, 401)
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (403, {"error": True, "message": "TSAS:108 FORBIDDEN Forbidden"}, "FORBIDDEN"),
        (403, b"<html>Forbidden</html>", "FORBIDDEN"),
        (
            400,
            {"error": True, "message": "TSAS:108 FORBIDDEN Forbidden", "data": None},
            "FORBIDDEN",
        ),
        (401, b"Unauthorized", "UNAUTHORIZED"),
    ],
)
async def test_forbidden_and_bodyless_auth_failures(status: int, body: object, code: str) -> None:
    server = MockServer((status, body))
    error = await call_expecting("user_info", server, ProviderAuthError)
    assert (error.code, error.http_status) == (code, status)


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ("body must have required property 'receivers'", "receivers"),
        ("body/amount must be number", "amount"),
        ("querystring/pageSize must be integer", "pageSize"),
        ("body.deadline should be number", "deadline"),
        ("body must be object", None),
    ],
)
async def test_fastify_validation_error_names_the_field(message: str, field: str | None) -> None:
    body = {
        "statusCode": 400,
        "code": "FST_ERR_VALIDATION",
        "error": "Bad Request",
        "message": message,
    }
    server = MockServer((400, body))
    error = await call_expecting("create", server, ProviderValidationError)
    assert (error.code, error.field, error.http_status) == ("FST_ERR_VALIDATION", field, 400)
    assert error.detail == message


BUSINESS_CODES = [
    "INTERNAL_BALANCE_ACCOUNT_TOO_LOW",
    "PRICE_EXCEED_MAX_PRICE_REQUIRED",
    "MUST_BE_WAIT_PREVIOUS_ORDER_FILLED",
    "CANNOT_FULFILLED",
    "MIN_PRICE_INVALID",
    "INTERNAL_ACCOUNT_NOT_FOUND",
    "INVALID_PARAMS",
    "MISSING_PARAMS",
]


@pytest.mark.parametrize("code", BUSINESS_CODES)
async def test_tsas_business_error_keys_on_code_word(code: str) -> None:
    message = f"TSAS:412 {code} Something the provider may reword"
    server = MockServer((400, {"error": True, "message": message}))
    error = await call_expecting("create", server, ProviderBusinessError)
    assert (error.code, error.detail, error.http_status) == (code, message, 400)
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            {"error": True, "message": "INTERNAL_BALANCE_ACCOUNT_TOO_LOW"},
            "INTERNAL_BALANCE_ACCOUNT_TOO_LOW",
        ),
        ({"error": True, "message": "Failed: CANNOT_FULFILLED now"}, "CANNOT_FULFILLED"),
        (
            {"INTERNAL_ACCOUNT_NOT_FOUND": "internal account not exists"},
            "INTERNAL_ACCOUNT_NOT_FOUND",
        ),
    ],
)
async def test_business_error_without_tsas_prefix_finds_known_code(
    body: dict[str, object], code: str
) -> None:
    server = MockServer((400, body))
    error = await call_expecting("estimate", server, ProviderBusinessError)
    assert error.code == code


async def test_unrecognised_400_is_unknown_business_error_with_message() -> None:
    server = MockServer((400, {"error": True, "message": "Receiver is blacklisted"}))
    error = await call_expecting("create", server, ProviderBusinessError)
    assert (error.code, error.detail) == ("UNKNOWN", "Receiver is blacklisted")


async def test_v2_envelope_error_with_2xx_status_is_still_an_error() -> None:
    body = {"error": True, "message": "TSAS:408 INVALID_PARAMS Invalid orderId", "data": None}
    server = MockServer((200, body))
    error = await call_expecting("user_info", server, ProviderBusinessError)
    assert error.code == "INVALID_PARAMS"


@pytest.mark.parametrize("name", ["history", "create"])
async def test_unknown_route_is_unavailable_not_found_and_not_retried(name: str) -> None:
    body = {"message": "Route GET:/v0/nope not found", "error": "Not Found", "statusCode": 404}
    server = MockServer((404, body))
    error = await call_expecting(name, server, ProviderUnavailable)
    assert (error.code, error.outcome_unknown, error.http_status) == ("NOT_FOUND", False, 404)
    assert len(server.requests) == 1


RATE_LIMITED: Reply = (429, {"error": True, "message": "Rate limit reached"})


@pytest.mark.parametrize("name", SAFE)
async def test_429_on_safe_call_is_retried_then_succeeds(name: str) -> None:
    server = MockServer(RATE_LIMITED, RATE_LIMITED, (200, SUCCESS[name]))
    async with make_client(server) as client:
        await CALLS[name](client)
    assert len(server.requests) == 3


async def test_429_retries_stop_at_max_retries() -> None:
    server = MockServer(RATE_LIMITED, RATE_LIMITED, RATE_LIMITED)
    error = await call_expecting("track", server, ProviderRateLimited, max_retries=2)
    assert (error.code, error.http_status) == ("RATE_LIMIT", 429)
    assert len(server.requests) == 3


async def test_max_retries_zero_means_a_single_attempt() -> None:
    server = MockServer((503, b""))
    error = await call_expecting("history", server, ProviderUnavailable, max_retries=0)
    assert error.code == "HTTP_503"
    assert len(server.requests) == 1


@pytest.mark.parametrize("name", UNSAFE)
async def test_429_on_create_confirm_cancel_raises_at_once(name: str) -> None:
    server = MockServer(RATE_LIMITED, (200, SUCCESS[name]))
    error = await call_expecting(name, server, ProviderRateLimited)
    assert error.code == "RATE_LIMIT"
    assert len(server.requests) == 1


@pytest.mark.parametrize("name", SAFE)
async def test_5xx_on_safe_call_is_retried_then_succeeds(name: str) -> None:
    server = MockServer((502, b"<html>Bad Gateway</html>"), (200, SUCCESS[name]))
    async with make_client(server) as client:
        await CALLS[name](client)
    assert len(server.requests) == 2


async def test_5xx_on_safe_call_exhausted_is_unavailable_with_known_outcome() -> None:
    server = MockServer(*[(500, {"message": "Internal Server Error"})] * 4)
    error = await call_expecting("estimate", server, ProviderUnavailable)
    assert (error.code, error.outcome_unknown, error.http_status) == ("HTTP_500", False, 500)
    assert len(server.requests) == 4


@pytest.mark.parametrize("name", UNSAFE)
async def test_5xx_on_create_confirm_cancel_is_outcome_unknown_and_not_retried(name: str) -> None:
    server = MockServer((502, b"Bad Gateway"), (200, SUCCESS[name]))
    error = await call_expecting(name, server, ProviderUnavailable)
    assert (error.code, error.outcome_unknown, error.http_status) == ("HTTP_502", True, 502)
    assert len(server.requests) == 1


TRANSPORT_FAILURES = [
    (httpx.ConnectError, "CONNECT_ERROR", False),
    (httpx.ConnectTimeout, "CONNECT_TIMEOUT", False),
    (httpx.PoolTimeout, "POOL_TIMEOUT", False),
    (httpx.ReadTimeout, "TIMEOUT", True),
    (httpx.WriteTimeout, "TIMEOUT", True),
    (httpx.ReadError, "NETWORK_ERROR", True),
    (httpx.RemoteProtocolError, "NETWORK_ERROR", True),
]


@pytest.mark.parametrize(("exc", "code", "unknown"), TRANSPORT_FAILURES)
async def test_create_transport_failure_is_classified_and_never_retried(
    exc: type[httpx.RequestError], code: str, unknown: bool
) -> None:
    server = MockServer(exc, (200, CREATE_EXAMPLE))
    error = await call_expecting("create", server, ProviderUnavailable)
    assert (error.code, error.outcome_unknown) == (code, unknown)
    assert len(server.requests) == 1


@pytest.mark.parametrize(("exc", "code", "unknown"), TRANSPORT_FAILURES)
async def test_safe_read_retries_transport_failures(
    exc: type[httpx.RequestError], code: str, unknown: bool
) -> None:
    server = MockServer(exc, (200, TRACK_EXAMPLE))
    async with make_client(server) as client:
        assert len(await client.track([ID_A])) == 2
    assert len(server.requests) == 2


async def test_safe_read_transport_failure_exhausted_keeps_classification() -> None:
    server = MockServer(httpx.ReadTimeout, httpx.ReadTimeout)
    error = await call_expecting("track", server, ProviderUnavailable, max_retries=1)
    assert (error.code, error.outcome_unknown) == ("TIMEOUT", True)


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("track", b"<html>maintenance</html>"),
        ("track", {"results": "none"}),
        ("create", {"order_ids": "673c17a3129f1881382e98e2"}),
        ("estimate", {**ESTIMATE_EXAMPLE, "price": "sixty-nine"}),
        ("user_info", {"error": False, "message": "Success", "data": None}),
        ("history", {"total": 1, "results": "none"}),
    ],
)
async def test_unparseable_2xx_is_bad_response_with_unknown_outcome(
    name: str, body: object
) -> None:
    server = MockServer((200, body), (200, SUCCESS[name]))
    error = await call_expecting(name, server, ProviderUnavailable)
    assert (error.code, error.outcome_unknown) == ("BAD_RESPONSE", True)
    assert len(server.requests) == 1


# --- secrets and logging -------------------------------------------------------------------


LEAKY_REPLIES: list[Reply] = [
    (401, {"error": True, "message": f"TSAS:107 INVALID_API_KEY {KEY}"}),
    (400, {"error": True, "message": f"TSAS:400 INVALID_PARAMS apikey={KEY}"}),
    (400, {"statusCode": 400, "code": "FST_ERR_VALIDATION", "message": f"bad {KEY}"}),
    (500, f"<pre>{KEY}</pre>".encode()),
    (404, b"nothing here"),
    httpx.ReadTimeout,
    (200, {"order_ids": KEY}),
]


@pytest.mark.parametrize("reply", LEAKY_REPLIES)
async def test_api_key_never_in_exceptions_or_logs(
    reply: Reply, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = MockServer(reply)
    error = await call_expecting("create", server, ProviderError)
    texts = [str(error), repr(error), error.detail, *map(str, error.args)]
    assert all(KEY not in text for text in texts)
    messages = [record.getMessage() for record in caplog.records]
    assert messages, "the client should log the request"
    assert all(KEY not in message for message in messages)
    assert any(key_fingerprint(KEY) in message for message in messages)


async def test_request_logged_at_debug_with_method_endpoint_status(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.providers.tronsave.client")
    server = MockServer((200, TRACK_EXAMPLE))
    async with make_client(server) as client:
        await client.track([ID_A])
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert len(debug) == 1
    assert "POST track -> 200" in debug[0]


async def test_429_logged_at_info_and_retry_at_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.providers.tronsave.client")
    server = MockServer(RATE_LIMITED, (200, TRACK_EXAMPLE))
    async with make_client(server) as client:
        await client.track([ID_A])
    levels = {r.levelno for r in caplog.records if "rate limited" in r.getMessage()}
    assert levels == {logging.INFO}
    retries = [r for r in caplog.records if "retry 1/3" in r.getMessage()]
    assert [r.levelno for r in retries] == [logging.WARNING]


# --- pacing ------------------------------------------------------------------------------------


async def test_pacing_is_per_endpoint() -> None:
    fake = FakeTime()
    server = MockServer(
        (200, TRACK_EXAMPLE),
        (200, TRACK_EXAMPLE),
        (200, HISTORY_EXAMPLE),
        (200, TRACK_EXAMPLE),
    )
    async with make_client(server, pacer=paced(fake)) as client:
        await client.track([ID_A])  # t=0: first call on "track", no wait
        await client.track([ID_A])  # same endpoint: waits the full 2 s
        await client.history(from_ms=1, to_ms=2)  # another endpoint: its own slot, no wait
        fake.now += 1.5
        await client.track([ID_A])  # 1.5 s after the last track: waits the remaining 0.5 s
    assert fake.sleeps == [2.0, 0.5]


async def test_pacing_slot_is_shared_per_key_not_per_client_instance() -> None:
    fake = FakeTime()
    pacer = paced(fake)
    server = MockServer(*[(200, TRACK_EXAMPLE)] * 3)
    first = make_client(server, pacer=pacer)
    same_key = make_client(server, pacer=pacer)
    other_key = make_client(server, pacer=pacer, key="another-key")
    async with first, same_key, other_key:
        await first.track([ID_A])
        await other_key.track([ID_A])  # a different key has its own budget
        await same_key.track([ID_A])  # same key, same endpoint: must wait
    assert fake.sleeps == [2.0]


async def test_429_retry_waits_backoff_through_the_pacer() -> None:
    fake = FakeTime()
    delays = {0: 3.0, 1: 5.0}
    server = MockServer(RATE_LIMITED, RATE_LIMITED, (200, TRACK_EXAMPLE))
    client = make_client(server, pacer=paced(fake, 0.0), backoff=delays.__getitem__)
    async with client:
        await client.track([ID_A])
    assert fake.sleeps == [3.0, 5.0]
    assert len(server.requests) == 3


async def test_429_on_create_pushes_back_the_next_create() -> None:
    fake = FakeTime()
    server = MockServer(RATE_LIMITED, (200, CREATE_EXAMPLE))
    client = make_client(server, pacer=paced(fake), backoff=lambda attempt: 7.0)
    async with client:
        with pytest.raises(ProviderRateLimited):
            await CALLS["create"](client)
        assert fake.sleeps == []
        await CALLS["create"](client)
    assert fake.sleeps == [7.0]


# --- what a lost create needs for reconciling -------------------------------------------


async def test_an_unreadable_history_row_is_counted_not_fatal() -> None:
    good = HISTORY_EXAMPLE["results"][0]  # type: ignore[index]
    body = {"total": 2, "results": [good, {"receiver": ADDR_1, "amount": "lots"}]}
    client = make_client(MockServer((200, body)))
    page = await client.history(from_ms=1, to_ms=2)
    assert [r.id for r in page.results] == [good["_id"]]
    assert page.unreadable == 1
    await client.aclose()


async def test_lost_create_carries_its_send_time_and_the_measured_clock() -> None:
    def server(request: httpx.Request) -> httpx.Response:
        # The provider's clock runs 30 s ahead; the create answers 500 after acting.
        date = email.utils.formatdate(time.time() + 30, usegmt=True)
        if request.url.path.endswith("user-info"):
            return httpx.Response(200, json=SUCCESS["user_info"], headers={"Date": date})
        return httpx.Response(500, json={"message": "boom"}, headers={"Date": date})

    client = TronSaveClient(
        api_key=SecretStr(KEY),
        base_url=BASE,
        pacer=Pacer(0, hold=True),
        transport=httpx.MockTransport(server),
        timeout=5.0,
    )
    before = time.time()
    with pytest.raises(ProviderUnavailable) as caught:
        await client.create_order(
            amount=65_000, duration_sec=900, max_price=70, receivers=[ADDR_1], deadline_sec=300
        )
    timing = caught.value.timing
    assert timing is not None
    assert before <= timing.sent_at <= timing.answer_by <= time.time()
    assert timing.offset_low is not None
    assert timing.offset_high is not None
    assert timing.offset_low <= 30 <= timing.offset_high + 1e-6
    await client.measure_clock(target_width=0.05)
    bound = client.clock_offset()
    assert bound is not None
    assert bound.low - 1e-6 <= 30 <= bound.high + 1e-6
    await client.aclose()


async def test_a_timed_out_create_may_still_act_one_more_timeout_later() -> None:
    client = make_client(MockServer(httpx.ReadTimeout), timeout=5.0)
    with pytest.raises(ProviderUnavailable) as caught:
        await client.create_order(
            amount=65_000, duration_sec=900, max_price=70, receivers=[ADDR_1], deadline_sec=300
        )
    timing = caught.value.timing
    assert timing is not None
    assert timing.answer_by >= timing.sent_at + 5.0
    assert timing.offset_low is None  # no answer, no measurement
    await client.aclose()
