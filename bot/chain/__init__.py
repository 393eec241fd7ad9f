"""Read-only access to the TRON network: a full node's HTTP API and TronGrid's v1 API.

What is here: `TronNodeClient` (client.py) for the calls the bot needs, behind the
`ChainReader` port (port.py) in the bot's own value types (models.py); its transport
(transport.py: pacing, retries, typed failures from errors.py, on the HTTP plumbing of
`bot.net` that the provider clients share), TronGrid's paging (trongrid.py), the answer
shapes (answers.py), base58check addresses (address.py), ABI words (abi.py) and the
settings (settings.py, a mixin of the bot's `Settings`). Nothing here signs or sends a
transaction.

Why not tronpy (evaluated at 0.6.2, its source read):

* Weight: it pulls coincurve (a C extension), eth-abi (with eth-utils, eth-typing,
  hexbytes, parsimonious, toolz...), pycryptodome and requests, for calls that are plain
  JSON POSTs. Even its address helpers live in `tronpy.keys`, which imports coincurve and
  pycryptodome at import time.
* Control: `AsyncHTTPProvider.make_request` calls `raise_for_status()`, so a 429 comes out
  as a bare `httpx.HTTPStatusError` with no Retry-After handling; on TronGrid's 403 "daily
  usage" answer it prints to stderr and retries itself recursively with another key. With
  no key of our own it sends one of six public API keys embedded in the library: our
  traffic would be billed to, and throttled with, strangers. Our pacing (`Pacer`), backoff
  and typed errors would have to wrap its exceptions from outside, losing the difference
  between "not sent", "timed out" and "bad answer".
* Coverage: it does not wrap TronGrid's `/v1` API (the outgoing TRC-20 transfers), and it
  ships no type information (no py.typed), so mypy --strict would see `Any` throughout.

So the client is hand-written on httpx (as the provider clients are), and the one piece of
real field logic, base58check, comes from the small, typed `base58` package (pure Python,
no dependencies). ABI encoding here is two fixed-width words (an address and a uint256),
which is shorter to write than to configure eth-abi for.
"""
