"""The texts of watched-address pushes (NoticeKinds queued by bot/services/watch.py
through bot/services/watch_book.py): low energy, energy back, and each automatic action,
the latter with a Stop button that turns that address's auto-rent off.

The figures come formatted in the payload's `alert`; the language is the user's
/language choice, else the Telegram language they had when setting the watch up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from telegram import InlineKeyboardMarkup

from bot.domain import NoticeKind
from bot.i18n import CATALOGS, Lang, resolve_lang, t
from bot.services.auto_rent import PlaceStatus, StopReason
from bot.services.runtime import Runtime
from bot.storage.repository import Notification
from bot.telegram import keyboards
from bot.telegram.render import num, provider_name

_AUTO: Final = frozenset({NoticeKind.AUTO_RENT, NoticeKind.AUTO_RENT_STOPPED})
_TITLES: Final = {
    NoticeKind.WATCH_LOW: "push.watch_low",
    NoticeKind.WATCH_RECOVERED: "push.watch_recovered",
    NoticeKind.AUTO_RENT: "push.auto_rent",
    NoticeKind.AUTO_RENT_STOPPED: "push.auto_rent_stopped",
}
WATCH_KINDS: Final = frozenset(_TITLES)
_PLACED: Final = {
    PlaceStatus.PLACED.value: "autorent.push_placed",
    PlaceStatus.FAILED.value: "autorent.push_failed",
}
_STOPS: Final = {
    StopReason.DAILY_BUDGET.value: "autorent.stop_daily_budget",
    StopReason.DAILY_ORDERS.value: "autorent.stop_daily_orders",
    StopReason.PROVIDER_BALANCE.value: "autorent.stop_provider_balance",
    StopReason.SPEND_LIMIT.value: "autorent.stop_spend_limit",
    StopReason.NOT_ALLOWED.value: "autorent.stop_not_allowed",
}


def _int(alert: Mapping[str, str], key: str) -> int | None:
    value = alert.get(key, "")
    return int(value) if value.isdecimal() else None


def _figure(alert: Mapping[str, str], key: str) -> str:
    value = _int(alert, key)
    return "?" if value is None else num(value)


def failure_reason(lang: Lang, alert: Mapping[str, str]) -> str:
    code = alert.get("code", "")
    key = f"failure.{code}"
    if not code or key not in CATALOGS["en"]:
        return t(lang, "autorent.reason_unknown")
    provider = alert.get("provider", "")
    name = provider_name(lang, provider) if f"provider.{provider}" in CATALOGS["en"] else provider
    return t(lang, key, provider=name, code="", detail="", field="")


def watch_text(lang: Lang, kind: NoticeKind, alert: Mapping[str, str]) -> str:
    common = {
        "address": alert.get("address", "?"),
        "available": _figure(alert, "available"),
        "threshold": _figure(alert, "threshold"),
    }
    if kind is NoticeKind.WATCH_LOW:
        return t(lang, "watch.push_low", **common)
    if kind is NoticeKind.WATCH_RECOVERED:
        return t(lang, "watch.push_recovered", **common)
    budget = {
        "budget": alert.get("budget", "?"),
        "daily_orders": alert.get("daily_orders", "?"),
        "amount": _figure(alert, "amount"),
        "submission": alert.get("submission", "?"),
    }
    if kind is NoticeKind.AUTO_RENT:
        key = _PLACED.get(alert.get("status", ""), "autorent.push_unknown")
        return t(lang, key, reason=failure_reason(lang, alert), **common, **budget)
    stop = _STOPS.get(alert.get("stop", ""))
    if stop is not None:
        reason = t(lang, stop, resets=alert.get("resets", "?"), **budget)
    else:
        reason = t(lang, "autorent.reason_unknown")
    return t(lang, "autorent.push_stopped", reason=reason, **common)


async def render_watch(
    rt: Runtime, note: Notification, kind: NoticeKind
) -> tuple[Lang, str, InlineKeyboardMarkup | None]:
    alert = (note.payload.alert if note.payload is not None else None) or {}
    user_id = _int(alert, "user_id")
    chosen = await rt.chats.language(user_id) if user_id is not None else None
    lang = resolve_lang(chosen, alert.get("lang") or None)
    text = t(lang, _TITLES[kind]) + "\n" + watch_text(lang, kind, alert)
    watch_id = _int(alert, "watch_id")
    markup = None
    if kind in _AUTO and watch_id is not None:
        markup = keyboards.stop_auto_rent(lang, rt.callback_secret, note.chat_id, watch_id)
    return lang, text, markup
