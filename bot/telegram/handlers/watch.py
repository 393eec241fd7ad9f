"""/watch, /unwatch, /watches and /autorent, and the buttons of watched addresses
(Stop auto-rent, Unwatch). Thin: parsing here, the rules in bot/services/watch_book.py.

Watching and auto-rent are for users who may spend (the node's capacity and the
operator's balance are shared); stopping auto-rent and unwatching are always allowed to
the watch's owner. Bad input gets a message and changes nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine
from decimal import Decimal, InvalidOperation
from typing import Any

from telegram import Update

from bot.domain import ProviderName
from bot.i18n import Lang, t
from bot.money import format_trx, trx_to_sun
from bot.parsing import InputError, parse_amount, parse_duration, parse_price
from bot.services.auto_rent import AutoRentPlan
from bot.services.watch_book import (
    DEFAULT_THRESHOLD,
    MAX_THRESHOLD,
    MIN_THRESHOLD,
    AddStatus,
    PlanStatus,
    WatchBook,
    WatchView,
)
from bot.telegram import keyboards
from bot.telegram.callback_data import WatchButton
from bot.telegram.context import Context, chat_id_of, ensure_allowed, user_lang
from bot.telegram.long_text import chunk_lines
from bot.telegram.render import duration, num, provider_name
from bot.tron_address import is_valid_address

log = logging.getLogger(__name__)

MAX_DAILY_TRX = Decimal(1_000_000)
MAX_DAILY_ORDERS = 100
_STATES = {"low": "watch.state_low", "ok": "watch.state_ok"}
_THRESHOLD = re.compile(r"^([0-9][0-9,_]*)([km]?)$", re.IGNORECASE)


async def _reply(update: Update, text: str, **kwargs: Any) -> None:
    message = update.effective_message
    assert message is not None
    await message.reply_text(text, **kwargs)


async def _book(update: Update, context: Context) -> tuple[Lang, WatchBook, int, int] | None:
    """Language, the book, chat and user, for a user who may spend (else told why)."""
    lang = await user_lang(update, context)
    book = context.services.watches
    user = update.effective_user
    if book is None or user is None:
        return None
    if not await ensure_allowed(update, context, lang):
        return None
    return lang, book, chat_id_of(update), user.id


def parse_threshold(text: str) -> int:
    match = _THRESHOLD.match(text.strip())
    if not match:
        raise InputError("watch.bad_threshold", {"min": MIN_THRESHOLD, "max": num(MAX_THRESHOLD)})
    value = int(re.sub(r"[,_]", "", match.group(1)))
    value *= {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
    if not MIN_THRESHOLD <= value <= MAX_THRESHOLD:
        raise InputError("watch.bad_threshold", {"min": MIN_THRESHOLD, "max": num(MAX_THRESHOLD)})
    return value


def parse_daily_trx(text: str) -> int:
    """TRX per day (more than 0, at most 6 decimals) as SUN."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value <= 0 or value > MAX_DAILY_TRX:
        raise InputError("autorent.bad_budget", {"max": num(int(MAX_DAILY_TRX))})
    if value != value.quantize(Decimal("0.000001")):
        raise InputError("autorent.bad_budget", {"max": num(int(MAX_DAILY_TRX))})
    return trx_to_sun(value)


def parse_daily_orders(text: str) -> int:
    stripped = text.strip()
    if not (stripped.isascii() and stripped.isdecimal()) or not (
        1 <= int(stripped) <= MAX_DAILY_ORDERS
    ):
        raise InputError("autorent.bad_orders", {"max": MAX_DAILY_ORDERS})
    return int(stripped)


def _address(text: str) -> str:
    if not is_valid_address(text):
        raise InputError("watch.bad_address", {"address": text[:40]})
    return text


async def watch(update: Update, context: Context) -> None:
    """/watch: the list; /watch T… [min-energy]: watch an address."""
    args = context.args or []
    if not args:
        await watches(update, context)
        return
    found = await _book(update, context)
    if found is None:
        return
    lang, book, chat_id, user_id = found
    if len(args) > 2:
        await _reply(update, t(lang, "watch.usage"))
        return
    try:
        address = _address(args[0])
        threshold = parse_threshold(args[1]) if len(args) > 1 else DEFAULT_THRESHOLD
    except InputError as exc:
        await _reply(update, t(lang, exc.key, **exc.params) + "\n" + t(lang, "watch.usage"))
        return
    if context.services.watcher is None:
        await _reply(update, t(lang, "watch.no_chain"))
        return
    user = update.effective_user
    status = await book.add(
        chat_id, user_id, address, threshold, user.language_code if user else None
    )
    if status is AddStatus.TOO_MANY:
        await _reply(update, t(lang, "watch.too_many", max=book.max_per_user))
        return
    key = "watch.added" if status is AddStatus.ADDED else "watch.updated"
    await _reply(update, t(lang, key, address=address, threshold=num(threshold)))


async def watches(update: Update, context: Context) -> None:
    """/watches: this chat's watches of the user, with their auto-rent."""
    found = await _book(update, context)
    if found is None:
        return
    lang, book, chat_id, user_id = found
    views = await book.of(chat_id, user_id)
    if not views:
        await _reply(update, t(lang, "watch.none"))
        return
    lines = [_line(lang, v) for v in views]
    if context.services.watcher is None:
        lines.append(t(lang, "watch.no_chain"))
    for part in chunk_lines(lines, header=t(lang, "watch.list_title", count=len(views))):
        await _reply(update, part)


def _line(lang: Lang, view: WatchView) -> str:
    row, plan = view.row, view.plan
    state = t(lang, _STATES.get(row.alert_state, "watch.state_unknown"))
    head = t(lang, "watch.line", address=row.address, threshold=num(row.threshold), state=state)
    if plan is None:
        return head + "\n" + t(lang, "watch.auto_off")
    spent = format_trx(view.ledger.spent_sun)
    placed = view.ledger.orders
    return (
        head
        + "\n"
        + t(lang, "watch.auto_on", **_plan_fields(lang, plan), spent=spent, placed=placed)
    )


def _plan_fields(lang: Lang, plan: AutoRentPlan) -> dict[str, object]:
    """An auto-rent plan's catalog fields, as /watch lists it and /autorent confirms it."""
    return {
        "amount": t(lang, "autorent.amount_auto") if plan.auto_amount else num(plan.amount),
        "duration": duration(lang, plan.duration_sec),
        "price": plan.max_price,
        "provider": provider_name(lang, plan.provider),
        "budget": format_trx(plan.daily_budget_sun),
        "orders": plan.daily_orders,
    }


async def unwatch(update: Update, context: Context) -> None:
    """/unwatch T…: stop watching it; /unwatch: buttons to pick one."""
    lang = await user_lang(update, context)
    book = context.services.watches
    user = update.effective_user
    if book is None or user is None:
        return
    chat_id = chat_id_of(update)
    args = context.args or []
    if not args:
        views = await book.of(chat_id, user.id)
        if not views:
            await _reply(update, t(lang, "watch.none"))
            return
        choices = [(v.row.id, v.row.address) for v in views]
        markup = keyboards.unwatch_choices(
            lang, context.services.callback_secret, chat_id, choices
        )
        await _reply(update, t(lang, "watch.pick"), reply_markup=markup)
        return
    row = await book.find(chat_id, user.id, args[0]) if len(args) == 1 else None
    if row is None:
        await _reply(update, t(lang, "watch.not_watched", address=args[0][:40]))
        return
    await book.remove(row)
    await _reply(update, t(lang, "watch.removed", address=row.address))


async def autorent(update: Update, context: Context) -> None:
    """/autorent T… <amount|auto> <duration> <max price> <TRX per day> <orders per day>
    [provider], or /autorent T… off."""
    found = await _book(update, context)
    if found is None:
        return
    lang, book, chat_id, user_id = found
    args = context.args or []
    if len(args) not in (2, 6, 7):
        await _reply(update, t(lang, "autorent.usage"))
        return
    row = await book.find(chat_id, user_id, args[0])
    if row is None:
        await _reply(update, t(lang, "autorent.not_watched", address=args[0][:40]))
        return
    if len(args) == 2:
        if args[1].lower() != "off":
            await _reply(update, t(lang, "autorent.usage"))
            return
        await book.stop(row)
        await _reply(update, t(lang, "autorent.stopped", address=row.address))
        return
    try:
        amount = None if args[1].lower() == "auto" else parse_amount(args[1])
        seconds = parse_duration(args[2])
        price = parse_price(args[3])
        budget = parse_daily_trx(args[4])
        orders = parse_daily_orders(args[5])
        provider = _provider(args[6]) if len(args) == 7 else None
    except InputError as exc:
        await _reply(update, t(lang, exc.key, **exc.params) + "\n" + t(lang, "autorent.usage"))
        return
    status, plan = await book.set_plan(
        row,
        amount=amount,
        duration_sec=seconds,
        max_price=price,
        daily_budget_sun=budget,
        daily_orders=orders,
        provider=provider,
    )
    if status is PlanStatus.NO_PROVIDER:
        await _reply(update, t(lang, "autorent.no_provider"))
    elif status is PlanStatus.OVER_BUDGET and plan is not None:
        await _reply(
            update,
            t(
                lang,
                "autorent.over_budget",
                cost=format_trx(plan.max_cost_sun),
                budget=format_trx(budget),
            ),
        )
    elif status is PlanStatus.NOT_WATCHED or plan is None:
        await _reply(update, t(lang, "autorent.not_watched", address=row.address))
    else:
        await _reply(
            update,
            t(
                lang,
                "autorent.set",
                address=row.address,
                threshold=num(row.threshold),
                **_plan_fields(lang, plan),
            ),
            reply_markup=keyboards.stop_auto_rent(
                lang, context.services.callback_secret, chat_id, row.id
            ),
        )


def _provider(text: str) -> ProviderName:
    try:
        return ProviderName(text.lower())
    except ValueError:
        raise InputError("autorent.bad_provider", {"names": ", ".join(ProviderName)}) from None


async def watch_button(update: Update, context: Context) -> None:
    """Stop (auto-rent off) and Unwatch buttons: signed, and only for the watch's owner."""
    query = update.callback_query
    assert query is not None and query.data is not None
    lang = await user_lang(update, context)
    rt = context.services
    chat_id = chat_id_of(update)
    button = WatchButton.unpack(rt.callback_secret, await rt.chats.known_ids(chat_id), query.data)
    user = update.effective_user
    book = rt.watches
    if button is None or user is None or book is None:
        log.warning("refused forged or foreign watch button in chat %s", chat_id)
        await query.answer(t(lang, "action.invalid"), show_alert=True)
        return
    row = await book.owned(button.watch_id, user.id)
    if row is None:
        await query.answer(t(lang, "watch.button_gone"), show_alert=True)
        return
    if button.verb == "s":
        await book.stop(row)
        await query.answer(t(lang, "autorent.stopped_short"))
        await context.bot.send_message(chat_id, t(lang, "autorent.stopped", address=row.address))
    else:
        await book.remove(row)
        await query.answer(t(lang, "watch.removed_short"))
        await context.bot.send_message(chat_id, t(lang, "watch.removed", address=row.address))


COMMANDS: dict[str, Callable[[Update, Context], Coroutine[Any, Any, None]]] = {
    "watch": watch,
    "watches": watches,
    "unwatch": unwatch,
    "autorent": autorent,
}
