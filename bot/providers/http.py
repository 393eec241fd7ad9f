"""HTTP plumbing both provider clients share: reading bodies, hiding keys."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Final

import httpx

# Failures that prove the request never left this process: nothing can have happened
# at the provider.
NOT_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

UNDECODABLE: Final = object()  # `decode_json`'s answer for a body that is not JSON


def decode_json(content: bytes) -> object:
    """The body's JSON with every fraction as a `Decimal`, so no amount of money ever
    passes through a float; UNDECODABLE if it is not JSON."""
    try:
        return json.loads(content, parse_float=Decimal)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError both are
        return UNDECODABLE


def scrub(text: str, secret: str) -> str:
    """Provider text goes into exceptions and logs: never let it carry the key, even if
    the server echoes it back."""
    return text.replace(secret, "***") if secret else text
