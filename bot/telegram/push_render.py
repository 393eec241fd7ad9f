"""Rendering a queued notice for Telegram: the text in the submitter's language, split
into parts that fit, and its buttons, at one of three levels (full, compact, plain) so a
refusal the bot can fix is answered by a simpler rendering."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain import STATE_NOTICES, NoticeKind, OrderState
from bot.i18n import Html, Lang, resolve_lang, t
from bot.services.orders import ActionReport, ActionStatus
from bot.services.runtime import Runtime
from bot.storage.repository import Notification, Order, Submission
from bot.telegram import keyboards
from bot.telegram.handlers.orders import confirm_result_line
from bot.telegram.long_text import TELEGRAM_LIMIT, chunk_lines, plain, split_text
from bot.telegram.operator_render import OPERATOR_KINDS, operator_text
from bot.telegram.render import (
    money_lines,
    num,
    order_line,
    provider_name,
    short_address,
    utc_time,
)
from bot.telegram.submit_report import receiver_lines
from bot.telegram.watch_render import WATCH_KINDS, render_watch

_MAX_BUTTONS = 10  # per-order Confirm buttons; Confirm-all covers the rest
# Rendering levels, tried in turn when Telegram refuses one for a reason we can fix.
FULL, COMPACT, PLAIN = 0, 1, 2
_LIMITS: Final = {FULL: TELEGRAM_LIMIT, COMPACT: TELEGRAM_LIMIT // 2, PLAIN: TELEGRAM_LIMIT // 2}


@dataclass(frozen=True)
class Rendered:
    parts: list[str]  # one message each, every one within Telegram's limit
    markup: InlineKeyboardMarkup | None  # goes under the last part
    html: bool = True


async def render(  # noqa: PLR0911 (one return per kind of notice)
    rt: Runtime, note: Notification, level: int = FULL
) -> Rendered:
    payload, kind = note.payload, note.kind
    if payload is None or kind is None:
        raise ValueError(f"push {note.id}: a kind or payload this version cannot read")
    if kind in OPERATOR_KINDS:
        text = await operator_text(rt, note, kind)
        if level >= PLAIN:
            return Rendered(split_text(plain(text), limit=_LIMITS[PLAIN]), None, html=False)
        return Rendered(split_text(text, limit=_LIMITS[level]), None)
    if kind in WATCH_KINDS:
        watch_lang, text, watch_markup = await render_watch(rt, note, kind)
        if level >= PLAIN:
            if watch_markup is not None:
                text += "\n\n" + t(watch_lang, "autorent.stop_hint")
            return Rendered(split_text(plain(text), limit=_LIMITS[PLAIN]), None, html=False)
        return Rendered(split_text(text, limit=_LIMITS[level]), watch_markup)
    subject = await rt.notices.subject(payload)
    sub, orders = subject.submission, subject.orders
    lang: Lang = resolve_lang(subject.language, None) if sub is not None else "en"
    if kind is NoticeKind.INTERRUPTED and sub is not None:
        title, report = await interrupted_lines(rt, lang, sub)
        parts = chunk_lines(report, header=title, limit=_LIMITS[level])
        if level >= PLAIN:
            return Rendered([plain(p) for p in parts], None, html=False)
        return Rendered(parts, None)
    lines = Html("\n".join(await _order_lines(rt, lang, kind, orders)))
    text = t(
        lang,
        f"push.{kind.value}",
        orders=lines,
        submission=payload.submission_id,
        found=_addresses(lang, payload.found),
        missing=_addresses(lang, payload.missing),
    )
    markup = _buttons(
        rt, lang, note.chat_id, orders, subject.submission_orders, sub.id if sub else None, level
    )
    if kind is NoticeKind.RENTAL_ENDING and sub is not None:
        markup = with_rent_again(rt, lang, note.chat_id, sub.id, markup)
    if level >= PLAIN:
        if markup is not None:
            text += "\n\n" + t(lang, "push.buttons_unavailable")
        return Rendered(split_text(plain(text), limit=_LIMITS[PLAIN]), None, html=False)
    return Rendered(split_text(text, limit=_LIMITS[level]), markup)


async def interrupted_lines(rt: Runtime, lang: Lang, sub: Submission) -> tuple[str, list[str]]:
    """A submission a crash cut short: a title, then every receiver by outcome (the
    uncertain ones have no order to list in /orders, so none is left out)."""
    title = t(lang, "push.interrupted", submission=sub.id)
    return title, receiver_lines(lang, sub.provider, await rt.orders.receiver_report(sub))


_MAX_ADDRESSES = 100  # every receiver of an order; a long push is split into parts


def _addresses(lang: Lang, addresses: Sequence[str] | None) -> Html:
    """Receivers named by a search-ended notice, one per line, the rest counted."""
    items = list(addresses or ())
    if not items:
        return Html(t(lang, "push.none"))
    lines = [f"<code>{html.escape(a)}</code>" for a in items[:_MAX_ADDRESSES]]
    if len(items) > _MAX_ADDRESSES:
        lines.append(t(lang, "push.more", count=len(items) - _MAX_ADDRESSES))
    return Html("\n".join(lines))


async def _order_lines(
    rt: Runtime, lang: Lang, kind: NoticeKind, orders: list[Order]
) -> list[str]:
    if kind is not NoticeKind.AUTO_CONFIRMED:
        return _shared_lines(lang, kind, orders) or [_detail(lang, kind, o) for o in orders]
    # The manual Confirm's result for each order: refund, net cost, saving made.
    usage = await rt.after_match.usage(orders) if rt.after_match is not None else None
    return [confirm_result_line(lang, ActionReport(o, ActionStatus.DONE), usage) for o in orders]


# The state each push announces (a status push's orders share none): orders in it that
# are still there share it.
_ANNOUNCED: Final = {
    kind: state for state, kind in STATE_NOTICES.items() if state is not OrderState.UNKNOWN
}


def _shared_lines(lang: Lang, kind: NoticeKind, orders: list[Order]) -> list[str] | None:
    """Orders of one submission share provider and amount, and in their push its state:
    said once above the list, each line then names the order and its receiver only (100
    receivers fit one message). None when the orders differ (states moved on since)."""
    state = _ANNOUNCED.get(kind)
    if state is None or len(orders) < 2:
        return None
    first = orders[0]
    if any(
        o.provider is not first.provider or o.amount != first.amount or o.state is not state
        for o in orders
    ):
        return None
    head = t(
        lang,
        "push.shared",
        count=len(orders),
        provider=provider_name(lang, first.provider),
        amount=num(first.amount),
    )
    return [head, *(_detail(lang, kind, o, shared=True) for o in orders)]


def _detail(lang: Lang, kind: NoticeKind, order: Order, *, shared: bool = False) -> str:
    line = (
        t(lang, "push.order", id=order.id, receiver=short_address(order.receiver))
        if shared
        else order_line(lang, order)
    )
    parts: list[str] = [line]
    if kind is NoticeKind.RENTAL_ENDING and order.ends_at is not None:
        parts.append(t(lang, "push.rental_ends_at", at=utc_time(order.ends_at)))
    if kind is NoticeKind.MATCHED and order.delegate_txid:
        parts.append(
            t(
                lang,
                "push.delivery",
                receiver=short_address(order.receiver),
                amount=num(order.delivered_amount or order.amount),
                txid=order.delegate_txid,
            )
        )
    if kind in (NoticeKind.CANCELLED, NoticeKind.EXPIRED, NoticeKind.FAILED):
        parts.extend(money_lines(lang, order))
    return "\n".join(parts)


def _buttons(  # noqa: PLR0917 (one private call site)
    rt: Runtime,
    lang: Lang,
    chat_id: int,
    orders: list[Order],
    submission_orders: list[Order],
    submission_id: int | None,
    level: int,
) -> InlineKeyboardMarkup | None:
    """Confirm buttons for at most `_MAX_BUTTONS` orders of this push, and one
    Confirm-all for every confirmable order of the submission."""
    confirmable = [o for o in orders if rt.orders.can_confirm(o)]
    in_submission = [o for o in submission_orders if rt.orders.can_confirm(o)]
    rows: list[list[InlineKeyboardButton]] = []
    all_button = len(in_submission) > 1 and submission_id is not None
    if level == FULL or not all_button:
        rows = [
            [keyboards.confirm_order(lang, rt.callback_secret, chat_id, o.id)]
            for o in confirmable[:_MAX_BUTTONS]
        ]
    if all_button and confirmable and submission_id is not None:
        rows.append(
            [
                keyboards.confirm_all(
                    lang, rt.callback_secret, chat_id, submission_id, len(in_submission)
                )
            ]
        )
    return InlineKeyboardMarkup(rows) if rows else None


def with_rent_again(
    rt: Runtime, lang: Lang, chat_id: int, submission_id: int, markup: InlineKeyboardMarkup | None
) -> InlineKeyboardMarkup:
    """A rental-ending notice's buttons: its Confirm buttons, then "Rent again"."""
    rows = [list(row) for row in markup.inline_keyboard] if markup is not None else []
    rows.append([keyboards.rent_again(lang, rt.callback_secret, chat_id, submission_id)])
    return InlineKeyboardMarkup(rows)
