"""TronSave's failures read into the typed errors: which class, which code, which reason.

The classes decide what the client may do next (retry a safe read, reconcile a lost
create); the reason what the user is told (`reasons.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from bot.net.http import send_fault, validate
from bot.providers.errors import (
    ProviderAuthError,
    ProviderBusinessError,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
    ProviderValidationError,
)
from bot.providers.tronsave.reasons import AUTH_CODES, CODE_WORDS, reason_of

PROVIDER = "tronsave"
_M = TypeVar("_M", bound=BaseModel)

# Code words are matched as whole words anywhere in the body because the create page
# does not document its error body and other pages print a code->text map.
_TSAS_RE = re.compile(r"TSAS:(\d+)\s+([A-Z_]+)")
_KNOWN_CODE_RE = re.compile(r"\b(" + "|".join(CODE_WORDS) + r")\b")
# Fastify/ajv wording, old and new: "body must have required property 'x'",
# "body/amount must be number", "querystring.pageSize should be integer".
_REQUIRED_FIELD_RE = re.compile(r"required property '([^']+)'")
_PATH_FIELD_RE = re.compile(r"^(?:body|querystring|params|headers)[/.]([A-Za-z0-9_]+)")


@dataclass(frozen=True, slots=True)
class Failure:
    error: ProviderError
    transient: bool  # worth retrying for a safe endpoint
    answered: bool = True  # False: no answer came (timeout, broken connection)


def classify(
    status: int, body: dict[str, Any], detail: str, code_word: str | None, *, safe: bool
) -> Failure:
    if status in (401, 403) or code_word in AUTH_CODES:
        if code_word not in AUTH_CODES:
            code_word = "FORBIDDEN" if status == 403 else "UNAUTHORIZED"
        auth = ProviderAuthError(PROVIDER, code_word, detail, http_status=status)
        return Failure(auth, transient=False)
    if status == 429:
        limited = ProviderRateLimited(PROVIDER, "RATE_LIMIT", detail, http_status=status)
        return Failure(limited, transient=True)
    if not 200 <= status < 500:
        # 5xx, or a 1xx/3xx this API never documents: a write may have happened.
        unavailable = ProviderUnavailable(
            PROVIDER, f"HTTP_{status}", detail, outcome_unknown=not safe, http_status=status
        )
        return Failure(unavailable, transient=status >= 500)
    if status == 404:
        # Fastify's unknown-route answer: the request was never handled.
        not_found = ProviderUnavailable(
            PROVIDER, "NOT_FOUND", detail, outcome_unknown=False, http_status=status
        )
        return Failure(not_found, transient=False)
    return Failure(_refusal(status, body, detail, code_word), transient=False)


def _refusal(
    status: int, body: dict[str, Any], detail: str, code_word: str | None
) -> ProviderError:
    """A 4xx (or a 2xx envelope with `error: true`): schema rejection or business refusal."""
    fastify_code = body.get("code")
    if isinstance(fastify_code, str) and fastify_code.startswith("FST_ERR"):
        return ProviderValidationError(
            PROVIDER, fastify_code, detail, field=_field_name(detail), http_status=status
        )
    reason = reason_of(code_word) if code_word else None
    return ProviderBusinessError(
        PROVIDER, code_word or "UNKNOWN", detail, http_status=status, reason=reason
    )


def code_word(text: str) -> str | None:
    """The CODE token: from `TSAS:<n> CODE` if present, else a known code word anywhere."""
    if tsas := _TSAS_RE.search(text):
        return tsas.group(2)
    known = _KNOWN_CODE_RE.search(text)
    return known.group(1) if known else None


def _field_name(message: str) -> str | None:
    match = _REQUIRED_FIELD_RE.search(message) or _PATH_FIELD_RE.search(message)
    return match.group(1) if match else None


def transport_failure(exc: httpx.RequestError) -> Failure:
    fault = send_fault(exc)
    # Not sent: nothing happened at the server. Otherwise a write's effect is unknown.
    error = ProviderUnavailable(PROVIDER, fault.code, fault.name, outcome_unknown=fault.reached)
    return Failure(error, fault.transient, answered=False)


def bad_response(detail: str, status: int | None) -> ProviderUnavailable:
    # A 2xx arrived, so the request was processed, but what it did cannot be read.
    return ProviderUnavailable(
        PROVIDER, "BAD_RESPONSE", detail, outcome_unknown=True, http_status=status
    )


def parse(model: type[_M], raw: object) -> _M:
    return validate(model, raw, lambda detail: bad_response(detail, None))
