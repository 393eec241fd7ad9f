"""The texts of operator alerts (NoticeKinds queued by bot/services/alerts_*.py): a
title (`push.<kind>`), then the alert's figures, which come in the payload's flat
`alert` mapping: formatted values, grouped entries as `<index>.<field>` keys (unknown
outcomes, caught errors), sums as encoded totals (the daily summary, rendered here as
/history renders its sums). The operator's chat reads English unless that chat (a
private chat: its user) chose a language with /language."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

from bot.domain import NoticeKind, ProviderName
from bot.i18n import Lang, as_lang, t
from bot.services.alerts_errors import REPEAT_AFTER
from bot.services.alerts_reports import decode_totals, summary_groups
from bot.services.runtime import Runtime
from bot.storage.repository import Notification
from bot.telegram.handlers.history import totals_fields


def _provider(lang: Lang, value: str) -> str:
    return t(lang, f"provider.{value}") if value in set(ProviderName) else value


def _provider_alert(key: str, *names: str) -> Callable[[Lang, Mapping[str, str]], str]:
    """A provider alert's body: `key` with the provider's name and the figures `names`
    from the payload ("?" for one missing)."""

    def body(lang: Lang, alert: Mapping[str, str]) -> str:
        figures = {name: alert.get(name, "?") for name in names}
        return t(lang, key, provider=_provider(lang, alert.get("provider", "?")), **figures)

    return body


_low_balance = _provider_alert("operator.low_balance", "balance", "threshold")
_balance_recovered = _provider_alert("operator.balance_recovered", "balance", "threshold")
_provider_failing = _provider_alert("operator.provider_failing", "count", "minutes", "code")
_provider_recovered = _provider_alert("operator.provider_recovered", "minutes")


def _count(alert: Mapping[str, str], key: str) -> int:
    value = alert.get(key, "0")
    return int(value) if value.isdecimal() else 0


def _entries(alert: Mapping[str, str]) -> list[dict[str, str]]:
    """A grouped alert's entries (`<index>.<field>` keys), in order."""
    entries: list[dict[str, str]] = []
    for index in range(_count(alert, "count")):
        prefix = f"{index}."
        entries.append({k[len(prefix) :]: v for k, v in alert.items() if k.startswith(prefix)})
    return entries


def _unknown_line(lang: Lang, entry: Mapping[str, str]) -> str:
    provider = _provider(lang, entry.get("provider", "?"))
    if entry.get("what") == "order":
        return t(
            lang,
            "operator.unknown_order",
            id=entry.get("id", "?"),
            provider=provider,
            provider_order_id=entry.get("provider_order_id", "?"),
            chat=entry.get("chat", "?"),
            amount=entry.get("amount", "?"),
            status=entry.get("status", "?"),
            created=entry.get("created", "?"),
        )
    more = _count(entry, "addresses_more")
    addresses = entry.get("addresses", "").split()
    listed = ", ".join(addresses) + (f" +{more}" if more else "")
    return t(
        lang,
        "operator.unknown_submission",
        id=entry.get("id", "?"),
        provider=provider,
        chat=entry.get("chat", "?"),
        user=entry.get("user", "?"),
        amount=entry.get("amount", "?"),
        receivers=entry.get("receivers", "?"),
        state=" ".join(p for p in (entry.get("state", "?"), entry.get("code", "")) if p),
        created=entry.get("created", "?"),
        ordered=entry.get("ordered", "?"),
        unknown=entry.get("unknown", "?"),
        addresses=listed or "-",
    )


def _unknown_outcomes(lang: Lang, alert: Mapping[str, str]) -> str:
    lines = [t(lang, "operator.unknown_intro")]
    lines += [_unknown_line(lang, entry) for entry in _entries(alert)]
    if more := _count(alert, "more"):
        lines.append(t(lang, "operator.more_later", count=more))
    return "\n".join(lines)


def _bot_errors(lang: Lang, alert: Mapping[str, str]) -> str:
    lines = [
        t(
            lang,
            "operator.error_line",
            type=entry.get("type", "?"),
            times=entry.get("times", "?"),
            where=entry.get("where", "?"),
            detail=entry.get("detail", ""),
        )
        for entry in _entries(alert)
    ]
    if waiting := _count(alert, "waiting"):
        lines.append(t(lang, "operator.errors_waiting", count=waiting))
    if others := _count(alert, "others"):
        lines.append(t(lang, "operator.errors_others", count=others))
    lines.append(t(lang, "operator.errors_footer", minutes=round(REPEAT_AFTER / 60)))
    return "\n".join(lines)


def _daily_summary(lang: Lang, alert: Mapping[str, str]) -> str:
    overall = decode_totals(alert.get("all", ""))
    day = t(lang, "operator.summary_day", day=alert.get("day", "?"))
    if not overall.orders:
        return f"{day}\n{t(lang, 'operator.summary_empty')}"
    lines = [day, t(lang, "operator.summary_all", **totals_fields(lang, overall))]
    for name, totals in summary_groups(alert, "p."):
        provider = _provider(lang, name)
        lines.append(
            t(lang, "operator.summary_provider", provider=provider, **totals_fields(lang, totals))
        )
    lines.append(t(lang, "operator.summary_users_title"))
    for user, totals in summary_groups(alert, "u."):
        lines.append(t(lang, "operator.summary_user", user=user, **totals_fields(lang, totals)))
    if more := _count(alert, "users_more"):
        lines.append(t(lang, "operator.summary_users_more", count=more))
    return "\n".join(lines)


_BODIES: Final[dict[NoticeKind, Callable[[Lang, Mapping[str, str]], str]]] = {
    NoticeKind.LOW_BALANCE: _low_balance,
    NoticeKind.BALANCE_RECOVERED: _balance_recovered,
    NoticeKind.PROVIDER_FAILING: _provider_failing,
    NoticeKind.PROVIDER_RECOVERED: _provider_recovered,
    NoticeKind.UNKNOWN_OUTCOMES: _unknown_outcomes,
    NoticeKind.BOT_ERRORS: _bot_errors,
    NoticeKind.DAILY_SUMMARY: _daily_summary,
}
_TITLES: Final = {kind: f"push.{kind.value}" for kind in _BODIES}
OPERATOR_KINDS: Final = frozenset(_BODIES)


async def operator_text(rt: Runtime, note: Notification, kind: NoticeKind) -> str:
    lang = as_lang(await rt.notices.chat_language(note.chat_id))
    alert = (note.payload.alert if note.payload is not None else None) or {}
    title = t(lang, _TITLES[kind])
    return f"{title}\n{_BODIES[kind](lang, alert)}"
