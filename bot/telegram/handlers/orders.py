"""/orders (paged list with Cancel/Confirm buttons) and the order action buttons."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.i18n import Html, Lang, t
from bot.providers.errors import ProviderError
from bot.services.orders import ActionReport, ActionStatus, NotYourOrder
from bot.services.runtime import Runtime
from bot.services.sizing import UsageSnapshot
from bot.telegram import keyboards
from bot.telegram.callback_data import OrderAction, PageButton
from bot.telegram.context import Context, chat_id_of, ensure_allowed, user_lang
from bot.telegram.handlers import confirm_saving
from bot.telegram.handlers.paging import allowed_press, edit_to_page, reply_first_page
from bot.telegram.long_text import chunk_lines
from bot.telegram.render import clip, error_text, order_line, trx

log = logging.getLogger(__name__)

PAGE_SIZE = 5
_DETAILED = 10  # action replies list up to this many orders in full, more in summary


async def _page(
    rt: Runtime, lang: Lang, chat_id: int, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    orders, total = await rt.orders.chat_orders(chat_id, page=page, page_size=PAGE_SIZE)
    if total == 0:
        return t(lang, "orders.empty"), None
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(page, pages - 1)
    if not orders:
        orders, _ = await rt.orders.chat_orders(chat_id, page=page, page_size=PAGE_SIZE)
    text = t(
        lang,
        "orders.header",
        page=page + 1,
        pages=pages,
        total=total,
        orders=Html("\n".join(order_line(lang, o) for o in orders)),
    )
    rows: list[list[InlineKeyboardButton]] = []
    secret = rt.callback_secret
    for order in orders:
        if rt.orders.can_confirm(order):
            rows.append([keyboards.confirm_order(lang, secret, chat_id, order.id)])
        if rt.orders.can_cancel(order):
            rows.append([keyboards.cancel_order(lang, secret, chat_id, order.id)])
    nav = keyboards.page_nav(lang, page, pages)
    if nav:
        rows.append(nav)
    return text, InlineKeyboardMarkup(rows) if rows else None


async def list_orders(update: Update, context: Context) -> None:
    await reply_first_page(update, context, _page)


async def turn_page(update: Update, context: Context) -> None:
    press = await allowed_press(update, context)
    if press is None:
        return
    query, lang = press
    button = PageButton.unpack(query.data or "") or PageButton(0)
    chat_id = chat_id_of(update)
    if button.page is None:  # "My orders" under a submit result: a fresh list below it
        text, markup = await _page(context.services, lang, chat_id, 0)
        await context.bot.send_message(chat_id, text, reply_markup=markup)
        return
    await edit_to_page(query, await _page(context.services, lang, chat_id, button.page))


def _report_line(
    lang: Lang, report: ActionReport, verb: str, usage: UsageSnapshot | None = None
) -> str:
    order = report.order
    head = order_line(lang, order)
    if report.status is ActionStatus.DONE:
        line = t(lang, f"action.{verb}.done", order=head)
    elif report.status is ActionStatus.ALREADY:
        line = t(lang, f"action.{verb}.already", order=head)
    elif report.status is ActionStatus.NOT_ALLOWED:
        line = t(lang, f"action.{verb}.not_allowed", order=head)
    else:
        line = t(
            lang, f"action.{verb}.refused", order=head, reason=clip(report.fail_reason or "—")
        )
    extra = confirm_saving.money(lang, report, usage)
    settled = report.status in (ActionStatus.DONE, ActionStatus.ALREADY)
    if verb == "confirm" and settled and order.refund_sun is None:
        extra.append(Html(t(lang, "order.refund_pending")))
    return "\n".join([line, *extra])


def confirm_result_line(
    lang: Lang, report: ActionReport, usage: UsageSnapshot | None = None
) -> str:
    """One order's Confirm result, as the button's reply shows it (refund, net cost and
    the saving made); the automatic confirmation's push shows the same."""
    return _report_line(lang, report, "confirm", usage)


def _report_lines(
    lang: Lang, reports: list[ActionReport], verb: str, usage: UsageSnapshot | None = None
) -> list[str]:
    """A few orders in detail; many (Confirm all) as one line per outcome with the order
    numbers, refusals one by one, and the money in totals."""
    if len(reports) <= _DETAILED:
        return [line for r in reports for line in ("", _report_line(lang, r, verb, usage))]
    lines: list[str] = []
    for status in (ActionStatus.DONE, ActionStatus.ALREADY, ActionStatus.NOT_ALLOWED):
        group = [r for r in reports if r.status is status]
        if group:
            ids = ", ".join(f"#{r.order.id}" for r in group)
            lines += ["", t(lang, f"action.{verb}.many.{status.value}", count=len(group), ids=ids)]
    for report in reports:
        if report.status is ActionStatus.REFUSED:
            lines += ["", _report_line(lang, report, verb)]
    orders = [r.order for r in reports]
    charged = [o.charge_sun for o in orders if o.charge_sun is not None]
    refunded = [o.refund_sun for o in orders if o.refund_sun is not None]
    if charged or refunded:
        lines.append("")
    if charged:
        lines.append(t(lang, "order.charge", trx=trx(sum(charged))))
    if refunded:
        lines.append(t(lang, "order.refund", trx=trx(sum(refunded))))
    if (saved := confirm_saving.total_line(lang, reports, usage)) is not None:
        lines.append(saved)
    settled = [r for r in reports if r.status in (ActionStatus.DONE, ActionStatus.ALREADY)]
    if verb == "confirm" and any(r.order.refund_sun is None for r in settled):
        lines.append(t(lang, "order.refund_pending"))
    return lines


async def order_action(update: Update, context: Context) -> None:
    """Confirm / cancel buttons, from /orders and from pushes."""
    query = update.callback_query
    assert query is not None and query.data is not None
    lang = await user_lang(update, context)
    rt = context.services
    chat_id = chat_id_of(update)
    # A supergroup also accepts buttons signed for the group it was upgraded from.
    known_ids = await rt.chats.known_ids(chat_id)
    action = OrderAction.unpack(rt.callback_secret, known_ids, query.data)
    if action is None:
        log.warning("refused forged or foreign callback data in chat %s", chat_id)
        await query.answer(t(lang, "action.invalid"), show_alert=True)
        return
    if not await ensure_allowed(update, context, lang):
        return
    await query.answer(t(lang, "action.working"))
    verb = "cancel" if action.verb == "x" else "confirm"
    # The receivers' energy, read while the provider confirms: for the saving made.
    usage = None
    if action.verb != "x":
        target = [action.target] if action.verb == "c" else []
        submission = action.target if action.verb == "ca" else None
        usage = confirm_saving.start_usage(rt, chat_id, order_ids=target, submission_id=submission)
    try:
        if action.verb == "ca":
            reports = await rt.orders.confirm_submission(
                chat_id=chat_id, submission_id=action.target
            )
        elif action.verb == "c":
            reports = await rt.orders.confirm(chat_id=chat_id, order_ids=[action.target])
        else:
            reports = await rt.orders.cancel(chat_id=chat_id, order_ids=[action.target])
    except NotYourOrder:
        confirm_saving.discard(usage)
        log.warning("refused action on an order outside chat %s", chat_id)
        await context.bot.send_message(chat_id, t(lang, "action.invalid"))
        return
    except ProviderError as exc:
        confirm_saving.discard(usage)
        await context.bot.send_message(chat_id, error_text(lang, exc))
        return
    snapshot = await confirm_saving.usage_result(usage)
    # The reply is sent once (at-most-once): the action itself is done and stored, and
    # /orders shows its outcome, so a reply lost to a timeout is not worth a repeat.
    for part in chunk_lines(
        _report_lines(lang, reports, verb, snapshot), header=t(lang, f"action.{verb}.header")
    ):
        await context.bot.send_message(chat_id, part)
