"""The context every handler and job gets (`BotContext`, with the bot's services), the
user's language, and who may spend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.ext import CallbackContext, ContextTypes, ExtBot

from bot.i18n import Lang, resolve_lang, t
from bot.services.runtime import Runtime

SERVICES_KEY = "services"  # bot_data key; bot_data is never persisted


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's context with the services `bot.app` built for this application."""

    @property
    def services(self) -> Runtime:
        services = self.bot_data.get(SERVICES_KEY)
        if not isinstance(services, Runtime):
            raise TypeError("the application was not built by bot.app.build_application")
        return services


Context = BotContext
CONTEXT_TYPES = ContextTypes(context=BotContext)


async def user_lang(update: Update, context: Context) -> Lang:
    user = update.effective_user
    if user is None:
        return "en"
    stored = await context.services.chats.language(user.id)
    return resolve_lang(stored, user.language_code)


async def ensure_allowed(update: Update, context: Context, lang: Lang) -> bool:
    """True if the sender may spend the operator's balance; otherwise tell them how (a
    button press is answered with an alert, so the handler must not have answered it)."""
    user = update.effective_user
    if context.services.may_spend(user.id if user else None):
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


def until_shutdown(context: Context) -> Callable[[], bool]:
    """False once shutdown has begun: PTB clears `running` first thing when it stops, before
    it waits for handlers and jobs (an application driven without being started, as in
    tests, never stops)."""
    app = context.application
    was_running = app.running
    return lambda: app.running or not was_running
