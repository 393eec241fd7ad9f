"""Provider records with null or missing fields are read, not refused: one odd record
makes at most that one order unreadable. Feee's status 11 is not a refund yet."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest
from pydantic import SecretStr

from bot.domain import OrderState
from bot.net.pacing import Pacer
from bot.providers.feee import status as feee_status
from bot.providers.feee.adapter import FeeeProvider
from bot.providers.feee.client import FeeeClient
from bot.providers.feee.models import FeeeOrder
from bot.providers.port import StatusUpdate, TrackedOrder, Unreadable
from bot.providers.tronsave.adapter import TronSaveProvider
from bot.providers.tronsave.client import TronSaveClient

TX = "a" * 64
NO_A, NO_B, NO_C = "2409250000000000000001", "2409250000000000000002", "2409250000000000000003"
ID_A, ID_B = "673c17a3129f1881382e98e2", "673c17a3129f1881382e98e3"


def record(order_no: str, **fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "order_no": order_no,
        "resource_value": 65_000,
        "frozen_resource_value": 0,
        "frozen_tx_id": "",
        "price_in_sun": 40,
        "pay_amount": Decimal("3.16"),
        "status": 4,
        "business_status": 1,
        "create_time": 1_700_000_000,
        "rent_expire_time": 0,
    }
    return {**base, **fields}


def envelope(data: object, code: int = 0) -> dict[str, object]:
    return {"code": code, "msg": "success", "request_id": "r", "data": data}


def stored(provider_order_id: str, amount: int = 65_000, raw: str | None = "4") -> TrackedOrder:
    return TrackedOrder(
        provider_order_id=provider_order_id,
        amount=amount,
        state=OrderState.PENDING,
        raw_status=raw,
        created_at=1_700_000_000.0,
    )


def feee_adapter(answer: Callable[[httpx.Request], httpx.Response]) -> FeeeProvider:
    client = FeeeClient(
        api_key=SecretStr("feee-test-key"),
        base_url="http://feee.test/open",
        user_agent="test",
        pacer=Pacer(0.0, hold=False),
        transport=httpx.MockTransport(answer),
    )
    return FeeeProvider(client)


def json_response(body: object, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body, default=str).encode())


# -- Feee records -----------------------------------------------------------------------


def test_a_feee_record_with_null_numbers_is_read_with_defaults() -> None:
    order = FeeeOrder.model_validate(
        record(
            NO_A,
            price_in_sun=None,
            pay_amount=None,
            create_time=None,
            rent_expire_time=None,
            business_status=None,
            frozen_tx_id=None,
            is_split=None,
            sub_order=None,
        )
    )
    assert (order.price_in_sun, order.pay_sun, order.create_time) == (0, 0, 0)
    assert (order.business_status, order.frozen_tx_id, order.is_split) == (0, "", False)
    assert feee_status.order_state(order) is OrderState.PENDING


def test_a_feee_record_without_status_or_amount_reads_as_unknown() -> None:
    order = FeeeOrder.model_validate({"order_no": NO_A, "status": None, "resource_value": None})
    assert (order.status, order.resource_value) == (None, None)
    assert feee_status.order_state(order) is OrderState.UNKNOWN


def test_delivery_without_resource_value_is_checked_against_the_ordered_amount() -> None:
    delivered = record(NO_A, resource_value=None, status=6, frozen_tx_id=TX)
    full = FeeeOrder.model_validate({**delivered, "frozen_resource_value": 65_000})
    partial = FeeeOrder.model_validate({**delivered, "frozen_resource_value": 30_000})
    assert feee_status.order_state(full) is OrderState.PENDING  # nothing proves the whole amount
    assert feee_status.order_state(full, 65_000) is OrderState.MATCHED
    assert feee_status.order_state(partial, 65_000) is OrderState.PENDING


def test_null_children_of_a_split_order_are_left_out() -> None:
    parent = FeeeOrder.model_validate(
        record(NO_A, is_split=1, sub_order=[None, record(NO_B, resource_value=65_000)])
    )
    assert [sub.order_no for sub in parent.sub_orders] == [NO_B]


async def test_feee_tracking_reads_each_record_on_its_own() -> None:
    answers = {
        NO_A: envelope(record(NO_A, status=None)),  # no status: unreadable
        NO_B: envelope(
            record(
                NO_B,
                status=6,
                frozen_tx_id=TX,
                frozen_resource_value=65_000,
                price_in_sun=None,
                resource_value=None,
            )
        ),
        NO_C: envelope(None, code=20004),  # refused: unreadable
    }

    def answer(request: httpx.Request) -> httpx.Response:
        return json_response(answers[request.url.params["order_no"]])

    adapter = feee_adapter(answer)
    result = await adapter.track([stored(NO_A), stored(NO_B), stored(NO_C)])
    await adapter.aclose()
    assert result[0] == Unreadable(NO_A, "NO_STATUS")
    assert isinstance(result[1], StatusUpdate)
    assert (result[1].state, result[1].delegate_txid) == (OrderState.MATCHED, TX)
    assert result[2] == Unreadable(NO_C, "20004")


async def test_a_transient_feee_failure_skips_the_rest_of_the_batch() -> None:
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        order_no = request.url.params["order_no"]
        asked.append(order_no)
        if order_no == NO_B:
            return json_response(envelope(None, code=500), status=502)
        return json_response(envelope(record(order_no)))

    adapter = feee_adapter(answer)
    result = await adapter.track([stored(NO_A), stored(NO_B), stored(NO_C)])
    await adapter.aclose()
    assert asked == [NO_A, NO_B]  # no hammering a struggling Feee
    assert isinstance(result[0], StatusUpdate)
    assert result[1:] == [
        Unreadable(NO_B, "HTTP_502", transient=True),
        Unreadable(NO_C, "HTTP_502", transient=True),
    ]


# -- Feee status 11 ---------------------------------------------------------------------


@pytest.mark.parametrize(("status", "done"), [(11, False), (13, False), (12, True), (14, True)])
async def test_feee_cancel_is_done_only_when_feee_says_cancelled(status: int, done: bool) -> None:
    body = record(NO_A, status=status, business_status=4, refund_amount=Decimal("3.16"))

    def answer(request: httpx.Request) -> httpx.Response:
        return json_response(envelope(body))

    adapter = feee_adapter(answer)
    [outcome] = await adapter.cancel([stored(NO_A)])
    await adapter.aclose()
    assert outcome.success is done


def test_an_order_already_being_cancelled_offers_no_cancel() -> None:
    adapter = feee_adapter(lambda request: json_response({}))
    now = 1_700_000_000.0 + 3600
    assert adapter.can_cancel(stored(NO_A, raw="4"), now)
    assert not adapter.can_cancel(stored(NO_A, raw="11"), now)
    assert not adapter.can_cancel(stored(NO_A, raw="13"), now)


# -- TronSave records -------------------------------------------------------------------


async def test_tronsave_tracking_reads_rows_with_null_status_as_unreadable() -> None:
    body = {
        "results": [
            {"order_id": ID_A, "status": None},
            {"order_id": ID_B, "status": "Matched"},
            {"order_id": None, "status": "Pending"},  # names no order: left out
            None,
        ]
    }
    client = TronSaveClient(
        api_key=SecretStr("ts-test-key"),
        base_url="http://tronsave.test",
        pacer=Pacer(0.0, hold=True),
        transport=httpx.MockTransport(lambda request: json_response(body)),
    )
    adapter = TronSaveProvider(client, track_chunk=10)
    result = await adapter.track([stored(ID_A), stored(ID_B)])
    await adapter.aclose()
    assert result == [
        Unreadable(ID_A, "NO_STATUS"),
        StatusUpdate(ID_B, OrderState.MATCHED, "Matched"),
    ]


async def test_a_history_row_without_id_does_not_spoil_the_page() -> None:
    body = {"total": 3, "results": [{"_id": ID_A, "amount": None}, {"_id": None}, {"amount": 1}]}
    client = TronSaveClient(
        api_key=SecretStr("ts-test-key"),
        base_url="http://tronsave.test",
        pacer=Pacer(0.0, hold=True),
        transport=httpx.MockTransport(lambda request: json_response(body)),
    )
    page = await client.history(from_ms=1, to_ms=2)
    await client.aclose()
    assert [row.id for row in page.results] == [ID_A]
    assert page.unreadable == 2  # counted: a search that met them is not complete
