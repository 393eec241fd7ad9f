""" "Rent again" under a rental-ending notice: a summary prefilled from the old order, so
quotes, limits and the summary's own Confirm apply as to any new order."""

from __future__ import annotations

import logging

from telegram import Update

from bot.i18n import t
from bot.telegram.callback_data import RentAgain
from bot.telegram.context import Context, chat_id_of, ensure_allowed, user_lang
from bot.telegram.draft import Answers, Draft
from bot.telegram.handlers.summary import show_summary
from bot.telegram.handlers.wizard import END, save_draft

log = logging.getLogger(__name__)


async def rent_again(update: Update, context: Context) -> str | int:
    """The ending rental's receivers, amount, duration, max price and payee, through the
    summary (the matching deadline is the default one)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    lang = await user_lang(update, context)
    rt = context.services
    chat_id = chat_id_of(update)
    known = await rt.chats.known_ids(chat_id)
    button = RentAgain.unpack(rt.callback_secret, known, query.data)
    if button is None:
        log.warning("refused forged or foreign rent-again data in chat %s", chat_id)
        await query.answer(t(lang, "action.invalid"), show_alert=True)
        return END
    if not await ensure_allowed(update, context, lang):
        return END
    sub = None if rt.after_match is None else await rt.after_match.submission(button.submission_id)
    if sub is None or sub.chat_id not in known:
        await query.answer(t(lang, "rent_again.gone"), show_alert=True)
        return END
    await query.answer()
    draft = Draft(
        answers=Answers(
            amount=sub.amount,
            duration=sub.duration_sec,
            price=sub.max_price,
            receivers=list(sub.receivers),
            deadline=rt.default_deadline,
            # The payee the old order was sized for, if any: sized the same way again.
            payee=sub.payee or "",
        ),
        provider=sub.provider.value,
    )
    save_draft(update, context, draft)
    return await show_summary(update, context, lang)
