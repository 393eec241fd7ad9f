"""/settings: each user's own choices, stored per user. For now one: automatic
confirmation of used rentals (on unless turned off; each summary can still switch it
for its own order)."""

from __future__ import annotations

from telegram import Update

from bot.i18n import Lang, t
from bot.services.runtime import Runtime
from bot.telegram import keyboards
from bot.telegram.context import Context, ensure_allowed, user_lang


def settings_text(rt: Runtime, lang: Lang, auto_confirm: bool) -> str:
    state = t(lang, "settings.on" if auto_confirm else "settings.off")
    text = t(lang, "settings.text", auto_confirm=state)
    if rt.after_match is None or not rt.after_match.chain_reads:
        text += "\n\n" + t(lang, "settings.no_chain")
    return text


async def show_settings(update: Update, context: Context) -> None:
    lang = await user_lang(update, context)
    if not await ensure_allowed(update, context, lang):
        return
    user, message = update.effective_user, update.effective_message
    rt = context.services
    assert user is not None and message is not None and rt.user_settings is not None
    enabled = await rt.user_settings.auto_confirm(user.id)
    await message.reply_text(
        settings_text(rt, lang, enabled), reply_markup=keyboards.settings_menu(lang, enabled)
    )


async def settings_button(update: Update, context: Context) -> None:
    """The switch under /settings: flips the stored choice and shows the new one."""
    query = update.callback_query
    assert query is not None
    lang = await user_lang(update, context)
    if not await ensure_allowed(update, context, lang):
        return
    user = update.effective_user
    rt = context.services
    assert user is not None and rt.user_settings is not None
    enabled = await rt.user_settings.toggle_auto_confirm(user.id)
    await query.answer(t(lang, "settings.saved"))
    await query.edit_message_text(
        settings_text(rt, lang, enabled), reply_markup=keyboards.settings_menu(lang, enabled)
    )
