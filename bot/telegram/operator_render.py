"""The texts of operator alerts (NoticeKinds queued by bot/services/alerts_operator.py):
a title (`push.<kind>`), then the alert's figures, which come formatted in the payload.
The operator's chat reads English unless that chat (a private chat: its user) chose a
language with /language."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

from bot.domain import NoticeKind, ProviderName
from bot.i18n import Lang, as_lang, t
from bot.services.runtime import Runtime
from bot.storage.repository import Notification


def _provider(lang: Lang, value: str) -> str:
    return t(lang, f"provider.{value}") if value in set(ProviderName) else value


def _low_balance(lang: Lang, alert: Mapping[str, str]) -> str:
    return t(
        lang,
        "operator.low_balance",
        provider=_provider(lang, alert.get("provider", "?")),
        balance=alert.get("balance", "?"),
        threshold=alert.get("threshold", "?"),
    )


def _balance_recovered(lang: Lang, alert: Mapping[str, str]) -> str:
    return t(
        lang,
        "operator.balance_recovered",
        provider=_provider(lang, alert.get("provider", "?")),
        balance=alert.get("balance", "?"),
        threshold=alert.get("threshold", "?"),
    )


def _provider_failing(lang: Lang, alert: Mapping[str, str]) -> str:
    return t(
        lang,
        "operator.provider_failing",
        provider=_provider(lang, alert.get("provider", "?")),
        count=alert.get("count", "?"),
        minutes=alert.get("minutes", "?"),
        code=alert.get("code", "?"),
    )


_BODIES: Final[dict[NoticeKind, Callable[[Lang, Mapping[str, str]], str]]] = {
    NoticeKind.LOW_BALANCE: _low_balance,
    NoticeKind.BALANCE_RECOVERED: _balance_recovered,
    NoticeKind.PROVIDER_FAILING: _provider_failing,
}
_TITLES: Final = {
    NoticeKind.LOW_BALANCE: "push.low_balance",
    NoticeKind.BALANCE_RECOVERED: "push.balance_recovered",
    NoticeKind.PROVIDER_FAILING: "push.provider_failing",
}
OPERATOR_KINDS: Final = frozenset(_BODIES)


async def operator_text(rt: Runtime, note: Notification, kind: NoticeKind) -> str:
    lang = as_lang(await rt.notices.chat_language(note.chat_id))
    alert = (note.payload.alert if note.payload is not None else None) or {}
    title = t(lang, _TITLES[kind])
    return f"{title}\n{_BODIES[kind](lang, alert)}"
