"""/history: the chat's orders by UTC day with charge, refund and net cost, paged, and
its Export CSV button. Only users who may spend see it, as with /orders."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update

from bot.i18n import Lang, t
from bot.services.history import Figure, HistoryPage, Totals, net_sun
from bot.services.runtime import Runtime
from bot.storage.repository import Order
from bot.telegram import keyboards
from bot.telegram.callback_data import HistoryButton
from bot.telegram.context import Context, chat_id_of
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


def _sums(lang: Lang, totals: Totals) -> dict[str, str]:
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


def render_page(lang: Lang, history: HistoryPage) -> tuple[str, InlineKeyboardMarkup | None]:
    if history.overall.orders == 0:
        return t(lang, "history.empty"), None
    header = t(
        lang,
        "history.header",
        page=history.page + 1,
        pages=history.pages,
        **_sums(lang, history.overall),
    )
    lines: list[str] = []
    for day in history.days:
        lines += ["", t(lang, "history.day", day=day.day.isoformat(), **_sums(lang, day.totals))]
        for order in day.orders:
            lines += order_lines(lang, order)
    chunks = chunk_lines(lines, header=header)
    if len(chunks) > 1:  # the page size is chosen so this does not happen
        log.warning("history page %s did not fit one message", history.page)
    return chunks[0], keyboards.history_nav(lang, history.page, history.pages)


async def _page(
    rt: Runtime, lang: Lang, chat_id: int, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    return render_page(lang, await rt.history.page(chat_id, page))


async def show_history(update: Update, context: Context) -> None:
    await reply_first_page(update, context, _page)


async def history_button(update: Update, context: Context) -> None:
    """A page button, or Export CSV."""
    press = await allowed_press(update, context)
    if press is None:
        return
    query, lang = press
    button = HistoryButton.unpack(query.data or "") or HistoryButton(0)
    chat_id = chat_id_of(update)
    rt = context.services
    if button.page is None:
        data = await rt.history.export_csv(chat_id)
        if len(data) > MAX_DOCUMENT_BYTES:
            await context.bot.send_message(chat_id, t(lang, "history.csv_too_large"))
            return
        caption = t(lang, "history.csv_caption")
        filename = rt.history.csv_filename()
        await context.bot.send_document(chat_id, data, filename=filename, caption=caption)
        return
    await edit_to_page(query, await _page(rt, lang, chat_id, button.page))
