"""The provider registry, and every provider code mapped to one of the bot's reasons."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.domain import ProviderName
from bot.i18n import LANGS, Lang, t
from bot.net.pacing import Pacer
from bot.providers import feee, tronsave
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
from bot.providers.feee.durations import FeeeDuration
from bot.providers.feee.reasons import AUTH_CODES as FEEE_AUTH_CODES
from bot.providers.feee.reasons import REASONS as FEEE_REASONS
from bot.providers.port import Refusal
from bot.providers.registry import PROVIDERS, ProviderSettings, build_providers, reason_of
from bot.providers.tronsave.client import TronSaveClient
from bot.providers.tronsave.reasons import AUTH_CODES as TRONSAVE_AUTH_CODES
from bot.providers.tronsave.reasons import REASONS as TRONSAVE_REASONS
from bot.services.orders import OrderService
from bot.storage.repository import ReceiverUpdate, Repository
from bot.telegram.render import error_text

ADDRESS = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"


def settings(**values: object) -> Settings:
    return Settings(telegram_bot_token=SecretStr("1:t"), _env_file=None, **values)  # type: ignore[arg-type]


# -- the registry -------------------------------------------------------------------


def test_every_provider_name_is_registered_once() -> None:
    assert [entry.name for entry in PROVIDERS] == list(ProviderName)


def test_the_bot_settings_hold_every_provider_settings() -> None:
    assert issubclass(Settings, ProviderSettings)
    assert issubclass(Settings, tronsave.TronSaveSettings)
    assert issubclass(Settings, feee.FeeeSettings)


async def test_only_configured_providers_are_built() -> None:
    only_feee = build_providers(settings(feee_api_key=SecretStr("f")))
    assert list(only_feee) == [ProviderName.FEEE]
    both = build_providers(settings(tronsave_api_key=SecretStr("t"), feee_api_key="f"))
    assert list(both) == [ProviderName.TRONSAVE, ProviderName.FEEE]
    for adapter in [*only_feee.values(), *both.values()]:
        await adapter.aclose()


async def test_each_provider_builds_with_its_own_pacing() -> None:
    built = build_providers(
        settings(
            tronsave_api_key="t",
            tronsave_min_interval_seconds=3.0,
            tronsave_track_chunk_size=7,
            feee_api_key="f",
            feee_requests_per_second=4.0,
        )
    )
    ts, fe = built[ProviderName.TRONSAVE], built[ProviderName.FEEE]
    assert ts.track_batch == 7
    ts_pacer: Pacer = ts._client._pacer  # type: ignore[attr-defined]
    fe_pacer: Pacer = fe._client._pacer  # type: ignore[attr-defined]
    # TronSave: one request per interval per endpoint, counted from each answer.
    assert (ts_pacer.min_interval, ts_pacer._hold) == (3.0, True)
    # Feee: a per-second budget with a little slack, counted from each send.
    assert fe_pacer.min_interval == pytest.approx(1 / 4.0 + 0.02)
    assert fe_pacer._hold is False
    for adapter in built.values():
        await adapter.aclose()


def test_reason_of_a_stored_code() -> None:
    assert reason_of("feee", "20005") is FailureReason.RECEIVER_NOT_ACTIVATED
    assert reason_of("tronsave", "CANNOT_FULFILLED") is FailureReason.NO_SUPPLY
    # Unknown codes, empty codes and unknown providers are plain refusals.
    assert reason_of("feee", "99999") is FailureReason.REFUSED
    assert reason_of("feee", "") is FailureReason.REFUSED
    assert reason_of("nobody", "20005") is FailureReason.REFUSED


# -- every documented code reaches the bot with its reason -------------------------


@pytest.mark.parametrize("code", sorted(TRONSAVE_REASONS))
async def test_every_tronsave_code_word_maps_to_its_reason(code: str) -> None:
    status = 401 if code in TRONSAVE_AUTH_CODES else 400
    if code == "RATE_LIMIT":
        status = 429

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"error": True, "message": f"TSAS:1 {code}"})

    client = TronSaveClient(
        api_key=SecretStr("k"),
        base_url="https://api.tronsave.test",
        pacer=Pacer(0.0, hold=True),
        transport=httpx.MockTransport(answer),
        max_retries=0,
    )
    with pytest.raises(ProviderError) as caught:
        await client.create_order(
            amount=65_000, duration_sec=900, max_price=70, receivers=[ADDRESS], deadline_sec=300
        )
    await client.aclose()
    assert caught.value.reason is TRONSAVE_REASONS[code]
    assert caught.value.reason is not FailureReason.REFUSED


@pytest.mark.parametrize("code", sorted(FEEE_REASONS))
async def test_every_feee_code_maps_to_its_reason(code: int) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        body = {"code": code, "msg": "no", "request_id": "r", "data": None}
        return httpx.Response(200, content=json.dumps(body).encode())

    client = FeeeClient(
        api_key=SecretStr("k"),
        base_url="https://feee.test/open",
        user_agent="test",
        pacer=Pacer(0.0, hold=False),
        transport=httpx.MockTransport(answer),
    )
    with pytest.raises(ProviderError) as caught:
        await client.submit(
            receive_address=ADDRESS, resource_value=65_000, duration=FeeeDuration.FIVE_MINUTES
        )
    await client.aclose()
    expected = ProviderAuthError if code in FEEE_AUTH_CODES else ProviderBusinessError
    assert type(caught.value) is expected
    assert (caught.value.code, caught.value.reason) == (str(code), FEEE_REASONS[code])


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (ProviderError("feee", "X"), FailureReason.REFUSED),
        (ProviderBusinessError("feee", "X"), FailureReason.REFUSED),
        (ProviderAuthError("feee", "X"), FailureReason.UNAUTHORISED),
        (ProviderValidationError("feee", "X"), FailureReason.INVALID_REQUEST),
        (ProviderRateLimited("feee", "X"), FailureReason.RATE_LIMITED),
        (ProviderUnavailable("feee", "X", outcome_unknown=False), FailureReason.UNAVAILABLE),
    ],
)
def test_each_error_class_has_a_default_reason(
    error: ProviderError, reason: FailureReason
) -> None:
    assert error.reason is reason


# -- one message per reason ---------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("reason", list(FailureReason))
def test_every_reason_has_its_message(lang: Lang, reason: FailureReason) -> None:
    error = ProviderBusinessError("tronsave", "SOME_CODE", "some detail", reason=reason)
    text = error_text(lang, error)
    assert text == t(
        lang,
        f"failure.{reason.value}",
        provider=t(lang, "provider.tronsave"),
        code="SOME_CODE",
        detail="some detail",
        field="some detail",
    )
    assert "{" not in text
    refusal = error_text(lang, Refusal(ProviderName.FEEE, reason))
    assert refusal
    assert "{" not in refusal


def test_the_provider_code_is_shown_where_it_helps() -> None:
    unknown = ProviderBusinessError("feee", "12345", "whatever Feee said")
    assert "12345" in error_text("en", unknown)
    assert "whatever Feee said" in error_text("en", unknown)
    key = ProviderAuthError("tronsave", "INVALID_API_KEY")
    assert "INVALID_API_KEY" in error_text("en", key)
    field = ProviderValidationError("tronsave", "FST_ERR_VALIDATION", "body", field="amount")
    assert "amount" in error_text("en", field)


# -- a refusal stored with a receiver keeps its reason -----------------------------


async def test_a_stored_refusal_is_told_with_its_reason(repo: Repository) -> None:
    sub = await repo.create_submission(
        chat_id=1,
        user_id=1,
        provider=ProviderName.FEEE,
        key_id="k",
        amount=65_000,
        duration_sec=3600,
        max_price=100,
        deadline_sec=300,
        receivers=[ADDRESS],
        now=1_000.0,
    )
    refused = ReceiverUpdate(0, ADDRESS, "refused", None, "20005", "not activated")
    await repo.record_receivers(sub, [refused], now=1_001.0)
    [report] = await OrderService(repo, {}).receiver_report(sub)
    assert report.error is not None
    assert (report.error.code, report.error.reason) == (
        "20005",
        FailureReason.RECEIVER_NOT_ACTIVATED,
    )
    assert "not activated on TRON yet" in error_text("en", report.error)


# -- the room's borders -------------------------------------------------------------

PROVIDERS_DIR = Path(__file__).resolve().parents[2] / "bot" / "providers"


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_providers_import_neither_storage_nor_services_nor_telegram() -> None:
    modules = sorted(PROVIDERS_DIR.rglob("*.py"))
    assert len(modules) > 15
    outside = [
        f"{path.relative_to(PROVIDERS_DIR)}: {name}"
        for path in modules
        for name in _imported(path)
        if name.startswith(("bot.storage", "bot.services", "bot.telegram", "telegram"))
    ]
    assert outside == []
