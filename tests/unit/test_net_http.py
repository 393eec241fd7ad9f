"""The HTTP plumbing the provider and chain clients share (`bot.net.http`)."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from pydantic import BaseModel

from bot.net.http import (
    UNDECODABLE,
    ClosingClient,
    decode_json,
    retry_after,
    scrub,
    send_fault,
    validate,
)


def test_json_fractions_are_decimals_and_garbage_is_undecodable() -> None:
    assert decode_json(b'{"price": 0.1, "n": 3}') == {"price": Decimal("0.1"), "n": 3}
    assert decode_json(b"<html>") is UNDECODABLE
    assert decode_json(b"\xff\xfe") is UNDECODABLE


def test_scrub_hides_the_key_and_leaves_text_without_one() -> None:
    assert scrub("bad key abc123 given", "abc123") == "bad key *** given"
    assert scrub("no key here", "") == "no key here"


@pytest.mark.parametrize(
    ("header", "cap", "expected"),
    [
        ("3", None, 3.0),
        ("-2", None, 0.0),
        ("120", 60.0, 60.0),
        ("inf", None, None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", None, None),
        (None, None, None),
    ],
)
def test_retry_after(header: str | None, cap: float | None, expected: float | None) -> None:
    headers = {"Retry-After": header} if header is not None else {}
    response = httpx.Response(429, headers=headers)
    got = retry_after(response) if cap is None else retry_after(response, cap=cap)
    assert got == expected


@pytest.mark.parametrize(
    ("exc", "code", "reached", "timeout", "transient"),
    [
        (httpx.ConnectError("x"), "CONNECT_ERROR", False, False, True),
        (httpx.ConnectTimeout("x"), "CONNECT_TIMEOUT", False, True, True),
        (httpx.PoolTimeout("x"), "POOL_TIMEOUT", False, True, True),
        (httpx.ReadTimeout("x"), "TIMEOUT", True, True, True),
        (httpx.RemoteProtocolError("x"), "NETWORK_ERROR", True, False, True),
        (httpx.UnsupportedProtocol("x"), "NETWORK_ERROR", True, False, True),
        (httpx.DecodingError("x"), "NETWORK_ERROR", True, False, False),
    ],
)
def test_send_fault_says_whether_the_request_may_have_arrived(
    exc: httpx.RequestError, code: str, reached: bool, timeout: bool, transient: bool
) -> None:
    fault = send_fault(exc)
    assert (fault.code, fault.reached, fault.timeout, fault.transient) == (
        code,
        reached,
        timeout,
        transient,
    )
    assert fault.name == type(exc).__name__


class _Shape(BaseModel):
    amount: int


def test_validate_names_the_field_never_the_input() -> None:
    assert validate(_Shape, {"amount": 5}, ValueError).amount == 5
    with pytest.raises(ValueError, match=r"^amount: ") as info:
        validate(_Shape, {"amount": "secret-value"}, ValueError)
    assert "secret-value" not in str(info.value)


async def test_closing_client_closes_its_http_client() -> None:
    class Client(ClosingClient):
        def __init__(self) -> None:
            self._http = httpx.AsyncClient()

    async with Client() as client:
        assert not client._http.is_closed
    assert client._http.is_closed
