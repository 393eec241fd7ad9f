"""Typed failures of the TRON network client. Every call is a read: none changes the chain,
so `outcome_unknown` only tells whether the request may have reached the node."""

from __future__ import annotations


class ChainError(Exception):
    """Base class; `code` is a short word such as TIMEOUT, HTTP_503 or BAD_JSON."""

    def __init__(self, code: str, detail: str = "", *, http_status: int | None = None) -> None:
        super().__init__(f"tron node: {code} {detail}".strip())
        self.code = code
        self.detail = detail
        self.http_status = http_status


class ChainUnavailable(ChainError):
    """No usable answer: connection failure, 5xx, or a timeout (see `ChainTimeout`)."""

    def __init__(
        self,
        code: str,
        detail: str = "",
        *,
        outcome_unknown: bool,
        http_status: int | None = None,
    ) -> None:
        super().__init__(code, detail, http_status=http_status)
        self.outcome_unknown = outcome_unknown


class ChainTimeout(ChainUnavailable):
    """The node did not answer in time."""


class ChainRateLimited(ChainError):
    """429, or TronGrid's 403 temporary block; `retry_after` is when to ask again (s)."""

    def __init__(
        self,
        code: str,
        detail: str = "",
        *,
        retry_after: float | None,
        blocked: bool,
        http_status: int | None = None,
    ) -> None:
        super().__init__(code, detail, http_status=http_status)
        self.retry_after = retry_after
        self.blocked = blocked  # a 403 block: the whole key/IP is suspended for a while


class ChainAuthError(ChainError):
    """401: TronGrid refused the API key."""


class ChainBadAnswer(ChainError):
    """An answer arrived but cannot be used: not JSON, an unexpected shape, a node error."""
