"""Turning orders, amounts and provider errors into catalog text."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain import OrderState
from bot.i18n import Html, Lang, t
from bot.money import format_trx
from bot.providers.errors import ProviderError, ProviderValidationError
from bot.providers.port import Refusal
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


def error_text(lang: Lang, failure: ProviderError | Refusal) -> str:
    """A clear, translated sentence for any provider failure: one message per reason,
    with the provider's own code and text where the message shows them."""
    if isinstance(failure, Refusal):
        code, detail, field = "", "", ""
    else:
        code, detail = failure.code, failure.detail
        named = failure.field if isinstance(failure, ProviderValidationError) else None
        field = named or detail
    return t(
        lang,
        f"failure.{failure.reason.value}",
        provider=provider_name(lang, failure.provider),
        code=clip(code, 60),
        detail=clip(detail, 300),
        field=clip(field),
    )


def utc_time(epoch: float) -> str:
    """A moment as the bot shows it: UTC, to the minute."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M")
