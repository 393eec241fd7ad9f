"""Helpers every handler uses: the runtime, the user's language, who may spend."""

from __future__ import annotations

from typing import cast

from telegram import Update
from telegram.ext import ContextTypes

from bot.i18n import Lang, resolve_lang, t
from bot.services.runtime import Runtime

Context = ContextTypes.DEFAULT_TYPE
RUNTIME_KEY = "runtime"


def runtime(context: Context) -> Runtime:
    return cast(Runtime, context.bot_data[RUNTIME_KEY])


async def user_lang(update: Update, context: Context) -> Lang:
    user = update.effective_user
    if user is None:
        return "en"
    stored = await runtime(context).repo.get_user_lang(user.id)
    return resolve_lang(stored, user.language_code)


async def ensure_allowed(update: Update, context: Context, lang: Lang) -> bool:
    """True if the sender may spend the operator's balance; otherwise tell them how."""
    user = update.effective_user
    if runtime(context).may_spend(user.id if user else None):
        return True
    text = t(lang, "auth.denied", user_id=user.id if user else "?")
    if update.callback_query is not None:
        await update.callback_query.answer(
            t(lang, "auth.denied_short", user_id=user.id if user else "?"), show_alert=True
        )
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)
    return False


def chat_id_of(update: Update) -> int:
    chat = update.effective_chat
    assert chat is not None  # every update routed to these handlers has a chat
    return chat.id
