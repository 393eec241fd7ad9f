"""Typed provider failures. Handlers turn each into a translated message."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SendTiming:
    """When a request went out and by when it could have taken effect, on our clock, with
    the provider's clock offset as measured then (provider minus ours), if known."""

    sent_at: float  # taken just before the request was written
    answer_by: float  # the latest moment the provider could still have acted on it
    offset_low: float | None = None
    offset_high: float | None = None


class ProviderError(Exception):
    """Base class. `code` is the provider's code word or number, as a string."""

    # Set by clients that know it: lets a lost create be matched against the history.
    timing: SendTiming | None = None

    def __init__(
        self, provider: str, code: str, detail: str = "", *, http_status: int | None = None
    ) -> None:
        super().__init__(f"{provider}: {code} {detail}".strip())
        self.provider = provider
        self.code = code
        self.detail = detail
        self.http_status = http_status


class ProviderAuthError(ProviderError):
    """The API key is missing, wrong, revoked, or not whitelisted for this client."""


class ProviderValidationError(ProviderError):
    """The provider rejected the request's shape; `field` names the offending field if known."""

    def __init__(
        self,
        provider: str,
        code: str,
        detail: str = "",
        *,
        field: str | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(provider, code, detail, http_status=http_status)
        self.field = field


class ProviderBusinessError(ProviderError):
    """A documented business refusal, such as a balance that is too low."""

    def __init__(
        self,
        provider: str,
        code: str,
        detail: str = "",
        *,
        http_status: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(provider, code, detail, http_status=http_status)
        self.request_id = request_id


class ProviderRateLimited(ProviderError):
    """HTTP 429 that was not (or could not safely be) waited out."""


class ProviderUnavailable(ProviderError):
    """5xx, timeout, connection failure or an unreadable answer.

    `outcome_unknown` is True when the request may have been processed (it was sent and
    no definite answer came back): a create call in that state must be reconciled, never
    retried blindly.
    """

    def __init__(
        self,
        provider: str,
        code: str,
        detail: str = "",
        *,
        outcome_unknown: bool,
        http_status: int | None = None,
    ) -> None:
        super().__init__(provider, code, detail, http_status=http_status)
        self.outcome_unknown = outcome_unknown
