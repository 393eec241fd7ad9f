"""Feee.io client: payload parsing, money exactness, status mapping, durations, HTTP edge."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.domain import OrderState
from bot.money import trx_to_sun
from bot.net.pacing import Pacer, key_fingerprint
from bot.providers.errors import (
    FailureReason,
    ProviderAuthError,
    ProviderBusinessError,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
    ProviderValidationError,
)
from bot.providers.feee.client import FeeeClient
from bot.providers.feee.durations import FeeeDuration, UnsupportedDuration
from bot.providers.feee.models import FeeeAccount, FeeeOrder, FeeeQuote
from bot.providers.feee.status import cancellable, is_delivered, order_state

API_KEY = "feee-SECRET-5f1c2d9a7b3e4c6d"
USER_AGENT = "TestBot/1.0 (+https://example.invalid)"
BASE_URL = "https://feee.test/open"
ADDRESS = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
TX = "aa8b93b2d03b3b496fe4e5a8c99de30b32b9f3d80f4674473b99b3f5f9fb519b"

# The cancel example from the seed page (001_*.txt), verbatim.
CANCEL_EXAMPLE = """{
    "code": 0,
    "msg": "ok",
    "request_id": "a16a9bf9-34e8-4e23-8432-46861e46c66b",
    "data": {
        "order_no": "2408228772142551040100",
        "order_type": 0,
        "resource_type": 1,
        "receive_address": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
        "price_in_sun": 105,
        "freeze_time": 0,
        "create_time": 1724318708,
        "resource_value": 32000,
        "frozen_resource_value": 0,
        "rent_duration": 10,
        "rent_time_unit": "m",
        "rent_time_second": 600,
        "rent_expire_time": 0,
        "frozen_tx_id": "",
        "pay_time": 1724318708,
        "pay_amount": 3.92,
        "refund_amount": 3.92,
        "refund_time": 1724319451,
        "is_split": 0,
        "is_lock": 1,
        "lock_period": 200,
        "status": 12,
        "business_status": 4
    },
    "pagination": null
}"""

# The query example (reference §2.4 E): a split parent with one listed child. The parent
# has no frozen_tx_id and no business_status; the child alone does not cover the parent.
SPLIT_QUERY_EXAMPLE = """{
    "code": 0, "msg": "ok", "request_id": "a06c0308-a527-42e7-aa19-495394af706d",
    "data": {
        "order_no": "2304143332237281280100", "order_type": 0, "resource_type": 1,
        "receive_address": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "price_in_sun": 120,
        "freeze_time": 1681481763, "create_time": 1681481556, "resource_value": 200000,
        "frozen_resource_value": 200000, "rent_duration": 1, "rent_time_unit": "h",
        "rent_expire_time": 1681485363, "frozen_tx_id": "", "pay_time": 1681481556,
        "pay_amount": 24, "refund_amount": 0, "refund_time": 0, "is_split": 1, "status": 9,
        "sub_order": [{
            "order_no": "2304146808245381122007", "order_type": 0, "resource_type": 1,
            "receive_address": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "price_in_sun": 120,
            "freeze_time": 1681481763, "create_time": 1681481762, "resource_value": 70273,
            "frozen_resource_value": 70273, "rent_duration": 1, "rent_time_unit": "h",
            "rent_expire_time": 1681485362,
            "frozen_tx_id": "aa8b93b2d03b3b496fe4e5a8c99de30b32b9f3d80f4674473b99b3f5f9fb519b",
            "pay_time": 1681481556, "pay_amount": 8.43276, "refund_amount": 0,
            "refund_time": 0, "is_split": 0, "status": 9
        }]
    }
}"""

# Submit/V3 answer as documented: not yet delegated, status 4 / business 1.
SUBMITTED_ORDER: dict[str, Any] = {
    "order_no": "2409254945397237760100",
    "order_type": 0,
    "resource_type": 1,
    "receive_address": ADDRESS,
    "price_in_sun": 120,
    "freeze_time": 0,
    "create_time": 1727254190,
    "resource_value": 32000,
    "frozen_resource_value": 0,
    "rent_duration": 1,
    "rent_time_unit": "d",
    "rent_time_second": 86400,
    "rent_expire_time": 0,
    "frozen_tx_id": "",
    "pay_time": 1727254190,
    "pay_amount": 4.4,
    "refund_amount": 0,
    "refund_time": 0,
    "is_split": 0,
    "is_lock": 1,
    "lock_period": 28800,
    "status": 4,
    "business_status": 1,
}

PRICE_DATA: dict[str, Any] = {
    "resource_value": 32000,
    "pay_amount": 4.4,
    "service_amount": 0.56,
    "rent_duration": 1,
    "rent_time_unit": "h",
    "rent_time_second": 0,
    "price_in_sun": 120,
}


# ----------------------------------------------------------------------------- helpers

Reply = httpx.Response | type[httpx.TransportError]


class FakeFeee:
    """A MockTransport handler: records requests, answers from a queue (last one repeats)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self._replies: list[Reply] = []

    def reply(self, *replies: Reply) -> None:
        self._replies.extend(replies)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self._replies.pop(0) if len(self._replies) > 1 else self._replies[0]
        if isinstance(item, httpx.Response):
            return item
        raise item("simulated", request=request)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


def raw(text: str, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, content=text.encode(), headers=headers)


def ok(data: object, request_id: str = "req-ok") -> httpx.Response:
    return raw(json.dumps({"code": 0, "msg": "ok", "request_id": request_id, "data": data}))


def fail(code: int, msg: str, status: int = 200, request_id: str = "req-err") -> httpx.Response:
    body = {"code": code, "msg": msg, "request_id": request_id, "data": None}
    return raw(json.dumps(body), status)


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content)


def order(**overrides: Any) -> FeeeOrder:
    return FeeeOrder.model_validate({**SUBMITTED_ORDER, **overrides})


@pytest.fixture
def server() -> FakeFeee:
    return FakeFeee()


@pytest.fixture
def backoff_calls() -> list[int]:
    return []


@pytest.fixture
async def client(server: FakeFeee, backoff_calls: list[int]) -> AsyncIterator[FeeeClient]:
    def backoff(attempt: int) -> float:
        backoff_calls.append(attempt)
        return 0.0

    c = FeeeClient(
        api_key=SecretStr(API_KEY),
        base_url=BASE_URL,
        user_agent=USER_AGENT,
        pacer=Pacer(0, hold=False),
        transport=httpx.MockTransport(server),
        max_retries=2,
        backoff=backoff,
    )
    yield c
    await c.aclose()


# ------------------------------------------------------------------- payload parsing


async def test_cancel_parses_seed_example(server: FakeFeee, client: FeeeClient) -> None:
    server.reply(raw(CANCEL_EXAMPLE))
    result = await client.cancel("2408228772142551040100")
    assert result.order_no == "2408228772142551040100"
    assert result.receive_address == ADDRESS
    assert result.resource_value == 32000
    assert result.frozen_resource_value == 0
    assert result.price_in_sun == 105
    assert result.pay_sun == 3_920_000
    assert result.refund_sun == 3_920_000
    assert (result.status, result.business_status) == (12, 4)
    assert result.frozen_tx_id == ""
    assert (result.create_time, result.freeze_time, result.rent_expire_time) == (1724318708, 0, 0)
    assert (result.rent_duration, result.rent_time_unit, result.rent_time_second) == (10, "m", 600)
    assert result.is_split is False
    assert result.sub_orders == []
    assert order_state(result) is OrderState.CANCELLED
    assert is_delivered(result) is False


async def test_query_parses_split_example(server: FakeFeee, client: FeeeClient) -> None:
    server.reply(raw(SPLIT_QUERY_EXAMPLE))
    parent = await client.query("2304143332237281280100")
    assert parent.is_split is True
    assert parent.pay_sun == 24_000_000
    assert parent.business_status == 0  # absent in the example
    assert parent.rent_time_second == 0  # absent in the example
    assert len(parent.sub_orders) == 1
    child = parent.sub_orders[0]
    assert child.order_no == "2304146808245381122007"
    assert child.pay_sun == 8_432_760
    assert child.frozen_tx_id == TX
    assert child.is_split is False
    assert is_delivered(child) is True
    # 70,273 of 200,000 delegated: the parent is not delivered, but status 9 ends it.
    assert is_delivered(parent) is False
    assert order_state(parent) is OrderState.COMPLETED


def test_split_parent_delivered_only_when_children_cover_it() -> None:
    def child(no: str, value: int, tx: str) -> dict[str, Any]:
        return {
            "order_no": no,
            "resource_value": value,
            "frozen_resource_value": value if tx else 0,
            "frozen_tx_id": tx,
            "status": 6 if tx else 4,
        }

    parent = {"is_split": 1, "frozen_tx_id": "", "resource_value": 100000, "status": 6}
    both = order(**parent, sub_order=[child("1", 60000, TX), child("2", 40000, TX)])
    assert is_delivered(both) is True
    assert order_state(both) is OrderState.MATCHED

    one_missing = order(**parent, sub_order=[child("1", 60000, TX), child("2", 40000, "")])
    assert is_delivered(one_missing) is False
    assert order_state(one_missing) is OrderState.PENDING

    too_few = order(**parent, sub_order=[child("1", 60000, TX)])
    assert is_delivered(too_few) is False


@pytest.mark.parametrize("sub_order", [None, []])
def test_sub_order_null_or_empty(sub_order: object) -> None:
    assert order(sub_order=sub_order).sub_orders == []
    assert order().sub_orders == []


def test_legacy_and_unknown_fields_are_ignored() -> None:
    parsed = order(
        min_amount=0,
        max_payout=3.195953,
        resource_split_value=100000,
        frozen_balance=1917,
        brand_new_field={"nested": [1, 2]},
    )
    assert parsed.order_no == "2409254945397237760100"
    assert parsed.pay_sun == 4_400_000
    assert not hasattr(parsed, "brand_new_field")


def test_order_built_from_sun_names_is_not_converted_again() -> None:
    built = FeeeOrder(order_no="1", resource_value=32000, status=4, pay_sun=4_400_000)
    assert built.pay_sun == 4_400_000
    assert built.refund_sun == 0


def test_numeric_order_no_and_null_tx_are_normalised() -> None:
    parsed = order(order_no=2409254945397237760100, frozen_tx_id=None)
    assert parsed.order_no == "2409254945397237760100"
    assert parsed.frozen_tx_id == ""


# ------------------------------------------------------------------- money exactness


@pytest.mark.parametrize(
    ("json_amount", "sun"),
    [
        ("4.26127", 4_261_270),
        ("3.92", 3_920_000),
        ('"4.26127"', 4_261_270),
        ('"3.92"', 3_920_000),
        ("24", 24_000_000),
        ("0", 0),
        ("0.000001", 1),
        ("8.43276", 8_432_760),
        ("123456.789012", 123_456_789_012),
    ],
)
async def test_pay_amount_to_sun_exact(
    server: FakeFeee, client: FeeeClient, json_amount: str, sun: int
) -> None:
    data = json.dumps({**SUBMITTED_ORDER, "pay_amount": "PLACEHOLDER"})
    data = data.replace('"PLACEHOLDER"', json_amount)
    server.reply(raw(f'{{"code": 0, "msg": "ok", "request_id": "r", "data": {data}}}'))
    assert (await client.query("2409254945397237760100")).pay_sun == sun


async def test_json_numbers_never_pass_through_float(server: FakeFeee, client: FeeeClient) -> None:
    amount = "2.0000004999999999999999"
    # Through a float this amount rounds up a SUN; read exactly, it rounds down.
    assert trx_to_sun(str(float(amount))) == 2_000_001
    data = json.dumps({**PRICE_DATA, "pay_amount": "X"}).replace('"X"', amount)
    server.reply(raw(f'{{"code": 0, "msg": "ok", "request_id": "r", "data": {data}}}'))
    quote = await client.price(resource_value=32000, duration=FeeeDuration(1, "h", 0))
    assert quote.pay_sun == 2_000_000


@pytest.mark.parametrize("bad", ['"abc"', "true", "null", '"NaN"'])
async def test_unreadable_amount_is_bad_response(
    server: FakeFeee, client: FeeeClient, bad: str
) -> None:
    data = json.dumps({**PRICE_DATA, "pay_amount": "X"}).replace('"X"', bad)
    server.reply(raw(f'{{"code": 0, "msg": "ok", "request_id": "r", "data": {data}}}'))
    with pytest.raises(ProviderUnavailable) as info:
        await client.price(resource_value=32000, duration=FeeeDuration(1, "h", 0))
    assert info.value.code == "BAD_RESPONSE"
    assert info.value.outcome_unknown is True


# -------------------------------------------------------------------- status mapping

P, M, C, X, F, U = (
    OrderState.PENDING,
    OrderState.MATCHED,
    OrderState.COMPLETED,
    OrderState.CANCELLED,
    OrderState.FAILED,
    OrderState.UNKNOWN,
)
# status -> (state when not delivered, state when delivered)
STATUS_TABLE: dict[int, tuple[OrderState, OrderState]] = {
    0: (U, U),
    1: (P, M),
    2: (F, F),
    3: (P, M),
    4: (P, M),
    5: (P, M),
    6: (P, M),
    7: (F, F),
    8: (C, C),
    9: (C, C),
    10: (C, C),
    11: (P, M),
    12: (X, X),
    13: (P, M),
    14: (X, X),
    15: (P, M),
    16: (U, U),
    17: (P, M),
    99: (U, U),
}


@pytest.mark.parametrize("status", sorted(STATUS_TABLE))
def test_status_mapping(status: int) -> None:
    waiting, delivered = STATUS_TABLE[status]
    pending = order(status=status, business_status=1, frozen_tx_id="", frozen_resource_value=0)
    done = order(status=status, business_status=2, frozen_tx_id=TX, frozen_resource_value=32000)
    assert order_state(pending) is waiting
    assert order_state(done) is delivered


@pytest.mark.parametrize("status", [6, 17, 15])
def test_delegated_status_needs_tx_and_full_amount(status: int) -> None:
    no_tx = order(status=status, frozen_tx_id="", frozen_resource_value=32000)
    partial = order(status=status, frozen_tx_id=TX, frozen_resource_value=31999)
    full = order(status=status, frozen_tx_id=TX, frozen_resource_value=32000)
    assert (order_state(no_tx), order_state(partial), order_state(full)) == (P, P, M)


@pytest.mark.parametrize(
    ("status", "refund_amount", "expected"),
    # 11 (cancellation pending) and 13 (refund pending) are not refunded until Feee says
    # so with 12 or 14, whatever refund figure the record already shows.
    [(13, 4.4, P), (13, 0, P), (11, 4.4, P), (4, 4.4, X), (4, 0, P), (16, 4.4, U)],
)
def test_closed_business_status_with_refund_is_cancelled(
    status: int, refund_amount: float, expected: OrderState
) -> None:
    closed = order(status=status, business_status=4, refund_amount=refund_amount)
    assert order_state(closed) is expected


# ---------------------------------------------------------------------- can_cancel


@pytest.mark.parametrize(
    ("age", "expected"), [(0, False), (299, False), (300, False), (301, True)]
)
def test_can_cancel_after_five_minutes(age: int, expected: bool) -> None:
    fresh = order(create_time=1_000_000, status=4, business_status=1)
    assert _cancellable(fresh, 1_000_000 + age) is expected


def _cancellable(record: FeeeOrder, now: float) -> bool:
    """The cancel rule as the bot applies it: on what it stores of the record."""
    return cancellable(order_state(record), str(record.status), record.create_time, now)


@pytest.mark.parametrize(
    "overrides",
    [
        {"status": 6, "frozen_tx_id": TX, "frozen_resource_value": 32000},  # delivered
        {"status": 9},  # completed
        {"status": 12, "business_status": 4},  # already cancelled
        {"status": 11},  # cancellation pending
        {"status": 13},  # refund pending
        {"status": 16},  # unknown: do not guess
        # A closed or finished business status (3, 4) is not stored with the order, so
        # the rule cannot see it: Feee's own refusal (20015) is reported then.
    ],
)
def test_can_cancel_refuses_settled_orders(overrides: dict[str, Any]) -> None:
    settled = order(**{"create_time": 1_000_000, "business_status": 1, **overrides})
    assert _cancellable(settled, 1_000_000 + 3600) is False


# ------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("seconds", "fields"),
    [
        (300, (5, "m", 0, True)),
        (600, (10, "m", 0, False)),
        (603, (1, "h", 603, False)),
        (1800, (1, "h", 1800, False)),
        (3600, (1, "h", 0, False)),
        (7200, (1, "h", 7200, False)),
        (10800, (3, "h", 0, False)),
        (86400, (1, "d", 0, False)),
        (7 * 86400, (7, "d", 0, False)),
        (30 * 86400, (30, "d", 0, False)),
        (86400 + 3, (1, "h", 86403, False)),
    ],
)
def test_from_seconds_valid(seconds: int, fields: tuple[int, str, int, bool]) -> None:
    duration = FeeeDuration.from_seconds(seconds)
    got = (
        duration.rent_duration,
        duration.rent_time_unit,
        duration.rent_time_second,
        duration.five_minute,
    )
    assert got == fields
    assert duration.seconds == seconds


@pytest.mark.parametrize(
    ("seconds", "reason"),
    [
        (0, "not_positive"),
        (-600, "not_positive"),
        (1, "too_short"),
        (299, "too_short"),
        (301, "too_short"),
        (597, "too_short"),
        (601, "not_multiple_of_3"),
        (3601, "not_multiple_of_3"),
        (31 * 86400, "too_long"),
        (30 * 86400 + 3, "too_long"),
    ],
)
def test_from_seconds_rejects(seconds: int, reason: str) -> None:
    with pytest.raises(UnsupportedDuration) as info:
        FeeeDuration.from_seconds(seconds)
    assert info.value.reason == reason
    assert str(info.value) == reason
    assert isinstance(info.value, ValueError)


def test_from_seconds_rejects_bool() -> None:
    with pytest.raises(UnsupportedDuration) as info:
        FeeeDuration.from_seconds(True)
    assert info.value.reason == "not_int"


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ((2, "h", 0, False), "bad_unit"),
        ((5, "m", 0, False), "bad_unit"),
        ((31, "d", 0, False), "bad_unit"),
        ((1, "w", 0, False), "bad_unit"),
        ((1, "h", 601, False), "not_multiple_of_3"),
        ((1, "h", 300, False), "too_short"),
        ((10, "m", 0, True), "bad_five_minute_form"),
    ],
)
def test_direct_construction_is_validated(args: tuple[int, str, int, bool], reason: str) -> None:
    with pytest.raises(UnsupportedDuration) as info:
        FeeeDuration(*args)
    assert info.value.reason == reason


def test_choices() -> None:
    choices = FeeeDuration.choices()
    assert [c.seconds for c in choices] == [
        300,
        600,
        3600,
        3 * 3600,
        86400,
        3 * 86400,
        7 * 86400,
        30 * 86400,
    ]
    assert choices[0] is FeeeDuration.FIVE_MINUTES
    assert [c.five_minute for c in choices] == [True] + [False] * 7
    assert all(c.rent_time_second == 0 for c in choices)
    assert all(FeeeDuration.from_seconds(c.seconds) == c for c in choices)


# -------------------------------------------------------------------- request shapes


def assert_common_headers(request: httpx.Request) -> None:
    assert request.headers["key"] == API_KEY
    assert request.headers["user-agent"] == USER_AGENT


async def test_price_v2_request(server: FakeFeee, client: FeeeClient) -> None:
    server.reply(ok(PRICE_DATA))
    quote = await client.price(resource_value=32000, duration=FeeeDuration.from_seconds(3600))
    req = server.last
    assert req.method == "GET"
    assert req.url.host == "feee.test"
    assert req.url.path == "/open/v2/order/price"
    assert dict(req.url.params) == {
        "resource_value": "32000",
        "rent_duration": "1",
        "rent_time_unit": "h",
        "rent_time_second": "0",
    }
    assert_common_headers(req)
    assert "content-type" not in req.headers
    assert quote == FeeeQuote(
        resource_value=32000,
        pay_sun=4_400_000,
        service_sun=560_000,
        price_in_sun=120,
        rent_duration=1,
        rent_time_unit="h",
        rent_time_second=0,
    )


async def test_price_v3_for_five_minutes(server: FakeFeee, client: FeeeClient) -> None:
    # The V3 doc example echoes a copied 1 d duration; it must not trip the echo check.
    server.reply(ok({**PRICE_DATA, "rent_duration": 1, "rent_time_unit": "d"}))
    quote = await client.price(resource_value=65000, duration=FeeeDuration.from_seconds(300))
    req = server.last
    assert (req.method, req.url.path) == ("GET", "/open/v3/order/price")
    assert dict(req.url.params) == {"resource_value": "65000"}
    assert_common_headers(req)
    assert quote.pay_sun == 4_400_000


async def test_price_seconds_form(server: FakeFeee, client: FeeeClient) -> None:
    server.reply(ok({**PRICE_DATA, "rent_time_second": 7200}))
    quote = await client.price(resource_value=32000, duration=FeeeDuration.from_seconds(7200))
    assert dict(server.last.url.params)["rent_time_second"] == "7200"
    assert quote.rent_time_second == 7200


@pytest.mark.parametrize(
    "echo",
    [
        {"rent_time_second": 3600},
        {"rent_time_second": 0, "rent_duration": 1, "rent_time_unit": "h"},
    ],
)
async def test_price_refuses_silent_duration_fallback(
    server: FakeFeee, client: FeeeClient, echo: dict[str, Any]
) -> None:
    server.reply(ok({**PRICE_DATA, **echo}))
    with pytest.raises(ProviderValidationError) as info:
        await client.price(resource_value=32000, duration=FeeeDuration.from_seconds(7200))
    assert (info.value.code, info.value.field) == ("DURATION_MISMATCH", "duration")


async def test_submit_v2_request(server: FakeFeee, client: FeeeClient) -> None:
    server.reply(ok(SUBMITTED_ORDER))
    result = await client.submit(
        receive_address=ADDRESS, resource_value=32000, duration=FeeeDuration.from_seconds(86400)
    )
    req = server.last
    assert (req.method, req.url.path) == ("POST", "/open/v2/order/submit")
    assert_common_headers(req)
    assert req.headers["content-type"] == "application/json"
    assert body_of(req) == {
        "resource_type": 1,
        "receive_address": ADDRESS,
        "resource_value": 32000,
        "rent_duration": 1,
        "rent_time_unit": "d",
        "rent_time_second": 0,
    }
    assert result.order_no == "2409254945397237760100"
    assert result.pay_sun == 4_400_000
    assert order_state(result) is OrderState.PENDING


async def test_submit_v3_for_five_minutes(server: FakeFeee, client: FeeeClient) -> None:
    server.reply(ok(SUBMITTED_ORDER))
    await client.submit(
        receive_address=ADDRESS, resource_value=65000, duration=FeeeDuration.FIVE_MINUTES
    )
    req = server.last
    assert (req.method, req.url.path) == ("POST", "/open/v3/order/create")
    assert req.headers["content-type"] == "application/json"
    assert_common_headers(req)
    assert body_of(req) == {
        "resource_type": 1,
        "receive_address": ADDRESS,
        "resource_value": 65000,
    }


async def test_query_request(server: FakeFeee, client: FeeeClient) -> None:
    server.reply(ok(SUBMITTED_ORDER))
    await client.query("2409254945397237760100")
    req = server.last
    assert (req.method, req.url.path) == ("GET", "/open/v2/order/query")
    assert dict(req.url.params) == {"order_no": "2409254945397237760100"}
    assert_common_headers(req)


async def test_cancel_request(server: FakeFeee, client: FeeeClient) -> None:
    server.reply(raw(CANCEL_EXAMPLE))
    await client.cancel("2408228772142551040100")
    req = server.last
    assert (req.method, req.url.path) == ("POST", "/open/v2/order/cancel")
    assert req.headers["content-type"] == "application/json"
    assert body_of(req) == {"order_no": "2408228772142551040100"}
    assert_common_headers(req)


async def test_account_request_and_parse(server: FakeFeee, client: FeeeClient) -> None:
    server.reply(
        raw(
            '{"code": 0, "msg": "success", "request_id": "r", "data": {'
            '"trx_money": 123.456789, "recharge_address": "TXYZ", "today_energy_value": 65000,'
            '"today_consume_trx_amount": "8.1", "whitelist": "", "qps": 5, "quota": 0}}'
        )
    )
    account = await client.account()
    req = server.last
    assert (req.method, req.url.path, req.url.query) == ("GET", "/open/v2/api/query", b"")
    assert_common_headers(req)
    assert account == FeeeAccount(
        balance_sun=123_456_789,
        recharge_address="TXYZ",
        today_energy_value=65000,
        today_consume_sun=8_100_000,
        qps=5,
    )


async def test_account_without_balance_is_bad_response(
    server: FakeFeee, client: FeeeClient
) -> None:
    server.reply(ok({"recharge_address": "TXYZ"}))
    with pytest.raises(ProviderUnavailable) as info:
        await client.account()
    assert info.value.code == "BAD_RESPONSE"


async def test_base_url_trailing_slash(server: FakeFeee) -> None:
    c = FeeeClient(
        api_key=SecretStr(API_KEY),
        base_url=BASE_URL + "/",
        user_agent=USER_AGENT,
        pacer=Pacer(0, hold=False),
        transport=httpx.MockTransport(server),
    )
    server.reply(ok(SUBMITTED_ORDER))
    await c.query("1")
    await c.aclose()
    assert str(server.last.url) == "https://feee.test/open/v2/order/query?order_no=1"


class RecordingPacer(Pacer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(0, hold=False, **kwargs)
        self.keys: list[str] = []

    @asynccontextmanager
    async def slot(self, key: str) -> AsyncIterator[None]:
        self.keys.append(key)
        async with super().slot(key):
            yield


def make_client(server: FakeFeee, pacer: Pacer, **kwargs: Any) -> FeeeClient:
    return FeeeClient(
        api_key=SecretStr(API_KEY),
        base_url=BASE_URL,
        user_agent=USER_AGENT,
        pacer=pacer,
        transport=httpx.MockTransport(server),
        backoff=lambda attempt: 0.0,
        **kwargs,
    )


async def test_every_request_uses_one_budget_per_key(server: FakeFeee) -> None:
    pacer = RecordingPacer()
    c = make_client(server, pacer)
    server.reply(ok(PRICE_DATA), ok(SUBMITTED_ORDER), ok(SUBMITTED_ORDER), ok({"trx_money": 1}))
    duration = FeeeDuration.from_seconds(3600)
    await c.price(resource_value=32000, duration=duration)
    await c.submit(receive_address=ADDRESS, resource_value=32000, duration=duration)
    await c.query("1")
    await c.account()
    await c.aclose()
    assert c.key_id == key_fingerprint(API_KEY)
    assert API_KEY not in c.key_id
    assert pacer.keys == [f"feee:{c.key_id}"] * 4


@pytest.mark.parametrize("bad", [0, -1])
async def test_submit_rejects_non_positive_amount(
    server: FakeFeee, client: FeeeClient, bad: int
) -> None:
    with pytest.raises(ValueError, match="resource_value"):
        await client.submit(
            receive_address=ADDRESS, resource_value=bad, duration=FeeeDuration.FIVE_MINUTES
        )
    assert server.requests == []


# ------------------------------------------------------------------------ error mapping


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (20002, FailureReason.INSUFFICIENT_BALANCE),
        (20005, FailureReason.RECEIVER_NOT_ACTIVATED),
        (20009, FailureReason.NO_SUPPLY),
        (20014, FailureReason.TOO_MANY_OPEN_ORDERS),
        (12345, FailureReason.REFUSED),  # unknown: a plain refusal, its code shown
    ],
)
async def test_business_codes_carry_their_reason(
    server: FakeFeee, client: FeeeClient, code: int, reason: FailureReason
) -> None:
    server.reply(fail(code, "refused"))
    with pytest.raises(ProviderBusinessError) as info:
        await client.submit(
            receive_address=ADDRESS, resource_value=32000, duration=FeeeDuration.FIVE_MINUTES
        )
    assert (info.value.code, info.value.reason) == (str(code), reason)


@pytest.mark.parametrize("code", [20002, 20005, 20009, 20014, 12345])
async def test_business_codes(
    server: FakeFeee, client: FeeeClient, caplog: pytest.LogCaptureFixture, code: int
) -> None:
    caplog.set_level(logging.DEBUG)
    server.reply(fail(code, "余额不足", request_id="rid-77"))
    with pytest.raises(ProviderBusinessError) as info:
        await client.submit(
            receive_address=ADDRESS, resource_value=32000, duration=FeeeDuration.FIVE_MINUTES
        )
    err = info.value
    assert (err.provider, err.code, err.detail) == ("feee", str(code), "余额不足")
    assert (err.request_id, err.http_status) == ("rid-77", 200)
    assert f"code={code}" in caplog.text
    assert "余额不足" in caplog.text
    assert "rid-77" in caplog.text
    assert len(server.requests) == 1


@pytest.mark.parametrize("code", [20012, 20013])
async def test_whitelist_codes_are_auth_errors(
    server: FakeFeee, client: FeeeClient, code: int
) -> None:
    server.reply(fail(code, "not in whitelist"))
    with pytest.raises(ProviderAuthError) as info:
        await client.query("1")
    assert (info.value.provider, info.value.code) == ("feee", str(code))


@pytest.mark.parametrize("status", [401, 403])
async def test_http_auth_failures(server: FakeFeee, client: FeeeClient, status: int) -> None:
    server.reply(raw("forbidden", status))
    with pytest.raises(ProviderAuthError) as info:
        await client.account()
    assert (info.value.code, info.value.http_status) == (f"HTTP_{status}", status)
    assert len(server.requests) == 1


async def test_http_403_with_envelope_keeps_feee_code(
    server: FakeFeee, client: FeeeClient
) -> None:
    server.reply(fail(20013, "ua", status=403))
    with pytest.raises(ProviderAuthError) as info:
        await client.account()
    assert (info.value.code, info.value.http_status) == ("20013", 403)


async def test_http_4xx_with_envelope_is_business(server: FakeFeee, client: FeeeClient) -> None:
    server.reply(fail(20005, "inactive", status=400, request_id="rid-4"))
    with pytest.raises(ProviderBusinessError) as info:
        await client.query("1")
    assert (info.value.code, info.value.http_status, info.value.request_id) == (
        "20005",
        400,
        "rid-4",
    )


async def test_http_4xx_without_envelope(server: FakeFeee, client: FeeeClient) -> None:
    server.reply(raw("<html>not found</html>", 404))
    with pytest.raises(ProviderUnavailable) as info:
        await client.submit(
            receive_address=ADDRESS, resource_value=32000, duration=FeeeDuration.FIVE_MINUTES
        )
    assert (info.value.code, info.value.outcome_unknown) == ("HTTP_404", False)


Call = Callable[[FeeeClient], Any]
READS: dict[str, Call] = {
    "price": lambda c: c.price(resource_value=32000, duration=FeeeDuration(1, "h", 0)),
    "query": lambda c: c.query("1"),
    "account": lambda c: c.account(),
}
WRITES: dict[str, Call] = {
    "submit": lambda c: c.submit(
        receive_address=ADDRESS, resource_value=32000, duration=FeeeDuration(1, "h", 0)
    ),
    "cancel": lambda c: c.cancel("1"),
}
GOOD: dict[str, Callable[[], httpx.Response]] = {
    "price": lambda: ok(PRICE_DATA),
    "query": lambda: ok(SUBMITTED_ORDER),
    "account": lambda: ok({"trx_money": 10}),
}


@pytest.mark.parametrize("name", sorted(READS))
async def test_reads_retry_429_then_succeed(
    server: FakeFeee, client: FeeeClient, backoff_calls: list[int], name: str
) -> None:
    server.reply(raw("", 429), raw("", 429), GOOD[name]())
    result = await READS[name](client)
    assert isinstance(result, FeeeQuote | FeeeOrder | FeeeAccount)
    assert len(server.requests) == 3
    assert backoff_calls == [0, 1]


@pytest.mark.parametrize("name", sorted(READS))
async def test_reads_give_up_after_max_retries(
    server: FakeFeee, client: FeeeClient, name: str
) -> None:
    server.reply(raw("", 429))
    with pytest.raises(ProviderRateLimited) as info:
        await READS[name](client)
    assert (info.value.code, info.value.http_status) == ("HTTP_429", 429)
    assert len(server.requests) == 3  # the first try + max_retries=2


@pytest.mark.parametrize("name", sorted(WRITES))
async def test_writes_never_retry_429(server: FakeFeee, client: FeeeClient, name: str) -> None:
    server.reply(raw("", 429), ok(SUBMITTED_ORDER))
    with pytest.raises(ProviderRateLimited):
        await WRITES[name](client)
    assert len(server.requests) == 1


async def test_retry_after_pushes_back_the_key_budget(server: FakeFeee) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    c = make_client(server, Pacer(0, hold=False, clock=lambda: 0.0, sleep=sleep))
    server.reply(raw("", 429, {"Retry-After": "7"}), ok(SUBMITTED_ORDER))
    await c.query("1")
    await c.aclose()
    assert slept == [7.0]


@pytest.mark.parametrize(
    ("name", "status", "unknown"),
    [
        ("query", 500, False),
        ("price", 502, False),
        ("account", 503, False),
        ("submit", 500, True),
        ("submit", 504, True),
        ("cancel", 502, True),
    ],
)
async def test_5xx(
    server: FakeFeee, client: FeeeClient, name: str, status: int, unknown: bool
) -> None:
    server.reply(raw("oops", status))
    with pytest.raises(ProviderUnavailable) as info:
        await {**READS, **WRITES}[name](client)
    assert (info.value.code, info.value.http_status) == (f"HTTP_{status}", status)
    assert info.value.outcome_unknown is unknown
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("name", "exc", "code", "unknown"),
    [
        ("submit", httpx.ReadTimeout, "TIMEOUT", True),
        ("submit", httpx.WriteTimeout, "TIMEOUT", True),
        ("submit", httpx.ReadError, "NETWORK", True),
        ("submit", httpx.RemoteProtocolError, "NETWORK", True),
        ("submit", httpx.ConnectError, "NETWORK", False),
        ("submit", httpx.ConnectTimeout, "TIMEOUT", False),
        ("submit", httpx.PoolTimeout, "TIMEOUT", False),
        ("cancel", httpx.ReadTimeout, "TIMEOUT", True),
        ("cancel", httpx.ConnectError, "NETWORK", False),
        ("query", httpx.ReadTimeout, "TIMEOUT", False),
        ("price", httpx.RemoteProtocolError, "NETWORK", False),
        ("account", httpx.ConnectError, "NETWORK", False),
    ],
)
async def test_transport_errors(
    server: FakeFeee,
    client: FeeeClient,
    name: str,
    exc: type[httpx.TransportError],
    code: str,
    unknown: bool,
) -> None:
    server.reply(exc)
    with pytest.raises(ProviderUnavailable) as info:
        await {**READS, **WRITES}[name](client)
    assert (info.value.code, info.value.detail) == (code, exc.__name__)
    assert info.value.outcome_unknown is unknown
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    "body",
    [
        "<html>gateway</html>",
        "",
        "[1, 2]",
        '{"msg": "no code"}',
        '{"code": 0, "msg": "ok", "data": null}',
        '{"code": 0, "msg": "ok", "data": {"status": 4}}',  # no order number at all
        '{"code": 0, "msg": "ok", "data": {"order_no": null, "status": 4}}',
    ],
)
@pytest.mark.parametrize("name", ["query", "submit"])
async def test_unparseable_2xx_is_bad_response(
    server: FakeFeee, client: FeeeClient, body: str, name: str
) -> None:
    server.reply(raw(body))
    with pytest.raises(ProviderUnavailable) as info:
        await {**READS, **WRITES}[name](client)
    assert (info.value.code, info.value.outcome_unknown) == ("BAD_RESPONSE", True)


# ------------------------------------------------------------------------ key secrecy

FAILURES: list[tuple[str, Callable[[], Reply]]] = [
    ("submit", lambda: fail(20002, "balance")),
    ("query", lambda: fail(20012, "ip")),
    ("query", lambda: raw("", 401)),
    ("account", lambda: raw("", 429)),
    ("submit", lambda: raw("", 500)),
    ("submit", lambda: httpx.ReadTimeout),
    ("query", lambda: raw("<html>")),
    ("cancel", lambda: fail(20004, f"bad key {API_KEY}")),  # a provider echoing the key
]


@pytest.mark.parametrize(("name", "reply"), FAILURES)
async def test_api_key_never_in_errors_or_logs(
    server: FakeFeee,
    client: FeeeClient,
    caplog: pytest.LogCaptureFixture,
    name: str,
    reply: Callable[[], Reply],
) -> None:
    caplog.set_level(logging.DEBUG)
    server.reply(reply())
    with pytest.raises(ProviderError) as info:
        await {**READS, **WRITES}[name](client)
    err = info.value
    for text in (str(err), repr(err), err.detail, repr(err.args), str(err.__cause__)):
        assert API_KEY not in text
    assert caplog.records  # the failure was logged...
    assert API_KEY not in caplog.text  # ...without the key
    assert client.key_id in caplog.text  # ...but with its fingerprint
    assert API_KEY not in repr(client.__dict__)
