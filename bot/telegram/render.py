"""Turning orders, amounts and provider errors into catalog text."""

from __future__ import annotations

from bot.domain import OrderState
from bot.i18n import CATALOGS, Html, Lang, t
from bot.money import format_trx
from bot.providers.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
    ProviderValidationError,
)
from bot.storage.repository import Order


def num(value: int) -> str:
    return f"{value:,}"


def trx(sun: int) -> str:
    return format_trx(sun)


def duration(lang: Lang, seconds: int) -> str:
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return t(lang, f"unit.{unit}", n=seconds // size)
    return t(lang, "unit.s", n=seconds)


def provider_name(lang: Lang, provider: str) -> str:
    return t(lang, f"provider.{provider}")


def short_address(address: str | None) -> str:
    if not address:
        return "?"
    return f"{address[:6]}…{address[-4:]}"


def clip(text: str, limit: int = 120) -> str:
    """Provider-supplied text (statuses, reasons) is unbounded; a list line must not be."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def state_label(lang: Lang, order: Order) -> str:
    if order.state is OrderState.UNKNOWN:
        return t(lang, "state.unknown", raw=clip(order.raw_status or "?", 40))
    return t(lang, f"state.{order.state.value}")


def order_line(lang: Lang, order: Order) -> Html:
    """One order in a list: number, provider, receiver, amount, state."""
    return Html(
        t(
            lang,
            "order.line",
            id=order.id,
            provider=provider_name(lang, order.provider),
            receiver=short_address(order.receiver),
            amount=num(order.amount),
            state=state_label(lang, order),
        )
    )


def money_lines(lang: Lang, order: Order) -> list[Html]:
    lines: list[Html] = []
    if order.charge_sun is not None:
        lines.append(Html(t(lang, "order.charge", trx=trx(order.charge_sun))))
    if order.refund_sun is not None:
        lines.append(Html(t(lang, "order.refund", trx=trx(order.refund_sun))))
        if order.charge_sun is not None:
            net = order.charge_sun - order.refund_sun
            lines.append(Html(t(lang, "order.net", trx=trx(net))))
    return lines


def error_text(lang: Lang, exc: ProviderError) -> str:
    """A clear, translated sentence for any provider failure."""
    provider = provider_name(lang, exc.provider)
    specific = f"error.{exc.provider}.{exc.code}"
    if specific in CATALOGS[lang]:
        return t(lang, specific, provider=provider, code=exc.code)
    if isinstance(exc, ProviderAuthError):
        return t(lang, "error.auth", provider=provider, code=exc.code)
    if isinstance(exc, ProviderValidationError):
        return t(lang, "error.validation", provider=provider, field=clip(exc.field or exc.detail))
    if isinstance(exc, ProviderRateLimited):
        return t(lang, "error.rate_limited", provider=provider)
    if isinstance(exc, ProviderUnavailable):
        return t(lang, "error.unavailable", provider=provider)
    return t(
        lang,
        "error.business",
        provider=provider,
        code=clip(exc.code, 60),
        detail=clip(exc.detail, 300),
    )
