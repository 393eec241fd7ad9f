"""The summary's switch for the order's automatic confirmation: shown when the chosen
provider can confirm and the chain is read; kept in the draft and stored with the
submission when its Confirm is pressed."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.i18n import t
from bot.telegram import keyboards
from bot.telegram.callback_data import ConfirmOffer, WizardCommand
from bot.telegram.context import Context, user_lang
from bot.telegram.draft import Draft
from bot.telegram.handlers.wizard import SUMMARY, load_draft, save_draft

_TOGGLE = WizardCommand("ac").pack()


@dataclass(frozen=True)
class Toggle:
    """What the summary's switch shows, read before the quotes decide the provider."""

    enabled: bool  # the draft's own choice, else the user's /settings
    providers: frozenset[str]  # those that can confirm: the switch shows for them only

    def for_provider(self, chosen: str | None) -> bool | None:
        return self.enabled if chosen in self.providers else None


async def summary_toggle(update: Update, context: Context, draft: Draft) -> Toggle | None:
    """None: no switch at all (the chain is not read, so nothing is confirmed by
    itself)."""
    rt = context.services
    if rt.after_match is None or not rt.after_match.chain_reads:
        return None
    providers = frozenset(
        name.value
        for name in rt.orders.provider_names()
        if rt.orders.provider(name).supports_confirm
    )
    if draft.auto_confirm is not None:
        return Toggle(draft.auto_confirm, providers)
    user = update.effective_user
    if user is None or rt.user_settings is None:
        return Toggle(True, providers)
    return Toggle(await rt.user_settings.auto_confirm(user.id), providers)


async def toggle_auto_confirm(update: Update, context: Context) -> str:
    """Flip this order's automatic confirmation; only the switch's label changes (the
    summary's Confirm stays valid: what is ordered is the same)."""
    query = update.callback_query
    assert query is not None
    lang = await user_lang(update, context)
    draft = load_draft(update, context)
    markup = getattr(query.message, "reply_markup", None)
    if not isinstance(markup, InlineKeyboardMarkup) or not _is_live(markup, draft):
        # An older summary's switch: the live summary's label would no longer be true.
        await query.answer(t(lang, "summary.stale"), show_alert=True)
        return SUMMARY
    toggle = await summary_toggle(update, context, draft)
    shown = None if toggle is None else toggle.for_provider(draft.provider)
    if shown is None:
        await query.answer()
        return SUMMARY
    draft.auto_confirm = not shown
    save_draft(update, context, draft)
    key = "summary.auto_confirm_on" if draft.auto_confirm else "summary.auto_confirm_off"
    await query.answer(t(lang, key))
    button = keyboards.auto_confirm_toggle(lang, draft.auto_confirm)
    rows: list[list[InlineKeyboardButton]] = [
        [button if b.callback_data == _TOGGLE else b for b in row]
        for row in markup.inline_keyboard
    ]
    await query.edit_message_reply_markup(InlineKeyboardMarkup(rows))
    return SUMMARY


def _is_live(markup: InlineKeyboardMarkup, draft: Draft) -> bool:
    """The pressed keyboard is the live summary's: its Confirm carries the draft's nonce."""
    for row in markup.inline_keyboard:
        for button in row:
            data = button.callback_data
            offer = ConfirmOffer.unpack(data) if isinstance(data, str) else None
            if offer is not None and draft.nonce is not None and offer.nonce == draft.nonce:
                return True
    return False
