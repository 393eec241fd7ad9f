"""What every paged list (/orders, /history) does the same way: the first page as a reply,
and a page button answered by editing the list in place."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.i18n import Lang
from bot.services.runtime import Runtime
from bot.telegram.context import Context, chat_id_of, ensure_allowed, user_lang

log = logging.getLogger(__name__)

Page = tuple[str, InlineKeyboardMarkup | None]
PageRenderer = Callable[[Runtime, Lang, int, int], Awaitable[Page]]


async def reply_first_page(update: Update, context: Context, render: PageRenderer) -> None:
    """The command: page 0 as a reply, for users who may spend."""
    lang = await user_lang(update, context)
    if not await ensure_allowed(update, context, lang):
        return
    text, markup = await render(context.services, lang, chat_id_of(update), 0)
    message = update.effective_message
    assert message is not None
    await message.reply_text(text, reply_markup=markup)


async def allowed_press(update: Update, context: Context) -> tuple[CallbackQuery, Lang] | None:
    """A list button's press, answered, or None when the user may not spend (told so)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    lang = await user_lang(update, context)
    if not await ensure_allowed(update, context, lang):
        return None
    await query.answer()
    return query, lang


async def edit_to_page(query: CallbackQuery, page: Page) -> None:
    text, markup = page
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:  # "message is not modified" when nothing changed
        log.debug("page edit skipped: %s", exc)
