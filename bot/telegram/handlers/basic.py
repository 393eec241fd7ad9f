"""/start, /help, /language, /balance, stray messages and the error handler."""

from __future__ import annotations

import logging

from telegram import BotCommand, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.i18n import LANGS, Lang, t
from bot.providers.errors import ProviderError
from bot.services.deposit_qr import deposit_qr_png
from bot.telegram import keyboards, menus
from bot.telegram.callback_data import LanguageChoice
from bot.telegram.context import Context, chat_id_of, ensure_allowed, user_lang
from bot.telegram.render import error_text, provider_name, trx

log = logging.getLogger(__name__)

COMMANDS = (
    "new",
    "orders",
    "history",
    "balance",
    "watch",
    "autorent",
    "language",
    "settings",
    "help",
    "cancel",
)


def command_list(lang: Lang) -> list[BotCommand]:
    return [BotCommand(name, t(lang, f"command.{name}")) for name in COMMANDS]


async def start(update: Update, context: Context) -> None:
    lang = await user_lang(update, context)
    message = update.effective_message
    assert message is not None
    user = update.effective_user
    allowed = context.services.may_spend(user.id if user else None)
    text = t(lang, "start.text")
    if not allowed:
        text += "\n\n" + t(lang, "auth.denied", user_id=user.id if user else "?")
    await message.reply_text(text, reply_markup=keyboards.start_menu(lang))


async def _reply_with(update: Update, context: Context, key: str) -> None:
    lang = await user_lang(update, context)
    message = update.effective_message
    assert message is not None
    await message.reply_text(t(lang, key))


async def help_command(update: Update, context: Context) -> None:
    lang = await user_lang(update, context)
    message = update.effective_message
    assert message is not None
    # Each feature's help is its own key, so texts added side by side do not collide.
    await message.reply_text("\n\n".join(t(lang, key) for key in HELP_KEYS))


HELP_KEYS = ("help.text", "help.watch")


async def language(update: Update, context: Context) -> None:
    lang = await user_lang(update, context)
    if update.callback_query is not None:
        await update.callback_query.answer()
    await context.bot.send_message(
        chat_id_of(update), t(lang, "language.choose"), reply_markup=keyboards.language_menu(lang)
    )


async def set_language(update: Update, context: Context) -> None:
    query = update.callback_query
    user = update.effective_user
    assert query is not None and query.data is not None and user is not None
    button = LanguageChoice.unpack(query.data)
    choice = button.choice if button is not None else "auto"
    if choice == "menu":
        await language(update, context)
        return
    await query.answer()
    rt = context.services
    if choice in LANGS:
        await rt.chats.set_language(user.id, choice)
    else:  # "auto": follow the Telegram app again, and keep no row for it
        await rt.chats.forget_language(user.id)
    lang = await user_lang(update, context)
    await query.edit_message_text(t(lang, "language.set"))
    chat = update.effective_chat
    if chat is not None and chat.type == ChatType.PRIVATE:
        # The command menu follows the chosen language in this private chat.
        await menus.set_chat_menu(context.bot, rt, chat.id, lang)


async def balance(update: Update, context: Context) -> None:
    lang = await user_lang(update, context)
    if not await ensure_allowed(update, context, lang):
        return
    message = update.effective_message
    assert message is not None
    blocks = []
    results = await context.services.orders.balances()
    for result in results:
        if isinstance(result, ProviderError):
            blocks.append(error_text(lang, result))
            continue
        blocks.append(
            t(
                lang,
                "balance.line",
                provider=provider_name(lang, result.provider),
                trx=trx(result.balance_sun),
                address=result.deposit_address or "—",
            )
        )
    await message.reply_text(t(lang, "balance.header") + "\n\n" + "\n\n".join(blocks))
    for result in results:
        if isinstance(result, ProviderError) or not result.deposit_address:
            continue
        png = deposit_qr_png(result.deposit_address)
        if png is None:  # not a TRON address: the text above shows it, no code is drawn
            log.warning("%s gave a deposit address that is not a TRON address", result.provider)
            continue
        caption = t(
            lang,
            "balance.qr_caption",
            provider=provider_name(lang, result.provider),
            address=result.deposit_address,
        )
        await message.reply_photo(png, caption=caption, filename=f"{result.provider}-deposit.png")


async def cancel_outside(update: Update, context: Context) -> None:
    await _reply_with(update, context, "conversation.nothing_to_cancel")


async def stray_text(update: Update, context: Context) -> None:
    """A message outside any conversation, in a private chat: point to the commands."""
    await _reply_with(update, context, "stray.text")


async def limit_strangers(update: Update, context: Context) -> None:
    """Runs before every other handler: a user who may not spend gets answers only
    within `Runtime.strangers`; beyond it their updates are dropped silently, before
    any database work, so a flood can neither slow the bot nor eat the send rate that
    pushes need. Allowed users are never limited."""
    user = update.effective_user
    rt = context.services
    if user is None or rt.may_spend(user.id):
        return
    if not rt.strangers.allow(user.id):
        log.debug("ignoring an update from a rate-limited stranger")
        raise ApplicationHandlerStop


async def note_chat_alive(update: Update, context: Context) -> None:
    """A chat that writes to the bot again has unblocked it: resume its pushes."""
    chat = update.effective_chat
    if chat is None:
        return
    await context.services.chats.resume(chat.id)


async def on_error(update: object, context: Context) -> None:
    """Log with the update's shape (not its contents) and tell the user, translated."""
    log.error(
        "unhandled error while handling %s",
        type(update).__name__ if update is not None else "a job",
        exc_info=context.error,
    )
    if isinstance(update, Update) and update.effective_chat is not None:
        lang = await user_lang(update, context)
        try:
            await context.bot.send_message(update.effective_chat.id, t(lang, "error.internal"))
        except TelegramError:
            log.warning("could not tell chat %s about the error", update.effective_chat.id)
