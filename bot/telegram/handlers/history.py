"""/history: the chat's orders by UTC day with charge, refund and net cost, paged, and
its Export CSV button. Only users who may spend see it, as with /orders. Admins may
read any chat's with /history <chat id> (pages and CSV alike); that is recorded for
/audit, and anyone else giving an id is refused."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update

from bot.i18n import Lang, t
from bot.services.history import Figure, HistoryPage, Totals, net_sun
from bot.services.runtime import Runtime
from bot.storage.repository import Order
from bot.telegram import keyboards
from bot.telegram.callback_data import HistoryButton
from bot.telegram.context import Context, chat_id_of, user_lang
from bot.telegram.handlers.paging import allowed_press, edit_to_page, reply_first_page
from bot.telegram.long_text import chunk_lines
from bot.telegram.render import order_line, trx

log = logging.getLogger(__name__)

# Telegram takes documents up to 50 MB from bots (about 250,000 orders of CSV); a larger
# file is refused, so it is explained instead of failing.
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024


def amount(lang: Lang, sun: int | None) -> str:
    """One order's figure: TRX, or pending while the provider has not told it."""
    return t(lang, "history.pending") if sun is None else t(lang, "history.trx", trx=trx(sun))


def figure(lang: Lang, value: Figure) -> str:
    """A sum: the known part, and how many figures are still pending."""
    if not value.known and value.pending:
        return t(lang, "history.pending")
    if value.pending:
        return t(lang, "history.trx_pending", trx=trx(value.sun), count=value.pending)
    return t(lang, "history.trx", trx=trx(value.sun))


def totals_fields(lang: Lang, totals: Totals) -> dict[str, str]:
    """A Totals' catalog fields (count, charge, refund, net), for /history and the
    operator's daily summary."""
    return {
        "count": str(totals.orders),
        "charge": figure(lang, totals.charge),
        "refund": figure(lang, totals.refund),
        "net": figure(lang, totals.net),
    }


def order_lines(lang: Lang, order: Order) -> list[str]:
    money = t(
        lang,
        "history.order_money",
        charge=amount(lang, order.charge_sun),
        refund=amount(lang, order.refund_sun),
        net=amount(lang, net_sun(order)),
    )
    return [order_line(lang, order), money]


def render_page(
    lang: Lang, history: HistoryPage, chat: int | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A page of the chat's own history, or (`chat`) of that chat, shown to an admin."""
    of_chat = "" if chat is None else t(lang, "history.of_chat", chat=chat) + "\n"
    if history.overall.orders == 0:
        return of_chat + t(lang, "history.empty"), None
    header = of_chat + t(
        lang,
        "history.header",
        page=history.page + 1,
        pages=history.pages,
        **totals_fields(lang, history.overall),
    )
    lines: list[str] = []
    for day in history.days:
        sums = totals_fields(lang, day.totals)
        lines += ["", t(lang, "history.day", day=day.day.isoformat(), **sums)]
        for order in day.orders:
            lines += order_lines(lang, order)
    chunks = chunk_lines(lines, header=header)
    if len(chunks) > 1:  # the page size is chosen so this does not happen
        log.warning("history page %s did not fit one message", history.page)
    return chunks[0], keyboards.history_nav(lang, history.page, history.pages, chat)


async def _page(
    rt: Runtime, lang: Lang, chat_id: int, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    return render_page(lang, await rt.history.page(chat_id, page))


async def show_history(update: Update, context: Context) -> None:
    """/history: this chat's; /history <chat id>: that chat's, for admins only."""
    args = context.args or []
    if not args:
        await reply_first_page(update, context, _page)
        return
    lang = await user_lang(update, context)
    message = update.effective_message
    user = update.effective_user
    access = context.services.access
    assert message is not None
    if access is None or user is None or not access.is_admin(user.id):
        await message.reply_text(t(lang, "admin.refused"))
        return
    target = chat_id_arg(args[0]) if len(args) == 1 else None
    if target is None:
        await message.reply_text(t(lang, "admin.usage_history"))
        return
    await access.record(user.id, "history", target)
    page = await context.services.history.page(target, 0)
    text, markup = render_page(lang, page, target)
    await message.reply_text(text, reply_markup=markup)


def chat_id_arg(text: str) -> int | None:
    """A chat id as typed (negative for groups), or None."""
    digits = text.removeprefix("-")
    if not digits.isdecimal() or len(digits) > 16 or int(digits) == 0:
        return None
    return int(text)


async def history_button(update: Update, context: Context) -> None:
    """A page button, or Export CSV, of this chat or (admins) of another."""
    button = HistoryButton.unpack((update.callback_query and update.callback_query.data) or "")
    if button is not None and button.chat is not None:
        await _other_chat_button(update, context, button, button.chat)
        return
    press = await allowed_press(update, context)
    if press is None:
        return
    query, lang = press
    button = button or HistoryButton(0)
    chat_id = chat_id_of(update)
    rt = context.services
    if button.page is None:
        await _send_csv(context, lang, chat_id, chat_id)
        return
    await edit_to_page(query, await _page(rt, lang, chat_id, button.page))


async def _other_chat_button(
    update: Update, context: Context, button: HistoryButton, target: int
) -> None:
    query = update.callback_query
    user = update.effective_user
    access = context.services.access
    assert query is not None
    lang = await user_lang(update, context)
    if access is None or user is None or not access.is_admin(user.id):
        await query.answer(t(lang, "admin.refused"), show_alert=True)
        return
    await query.answer()
    if button.page is None:
        await access.record(user.id, "history csv", target)
        await _send_csv(context, lang, chat_id_of(update), target)
        return
    page = await context.services.history.page(target, button.page)
    await edit_to_page(query, render_page(lang, page, target))


async def _send_csv(context: Context, lang: Lang, to_chat: int, of_chat: int) -> None:
    rt = context.services
    data = await rt.history.export_csv(of_chat)
    if len(data) > MAX_DOCUMENT_BYTES:
        await context.bot.send_message(to_chat, t(lang, "history.csv_too_large"))
        return
    caption = t(lang, "history.csv_caption")
    filename = rt.history.csv_filename()
    await context.bot.send_document(to_chat, data, filename=filename, caption=caption)
