"""The order conversation: amount → duration → max price → receivers → (payee) → summary
→ submit. The payee (the USDT recipient, which sizes the transfer) is asked only when the
bot reads the chain, and one tap skips it.

Each step accepts typed text (buttons only fill in common values through the same
parser), so a forged button press is just another answer to validate. The draft lives
in `user_data`, keyed by chat, and the conversation is persistent, so a restart resumes
where the user was. The summary's Confirm button names its provider and carries a
one-time nonce bound to that provider and to the request the summary showed: pressing it
twice, or pressing an old summary, submits nothing, and a press never submits to another
provider or with other values than its summary showed, whatever other buttons did since.

This module holds the entry, the steps and the way out; the summary and the submission
are `summary.py` and `submit.py`, what they share `wizard.py`, the draft
`bot/telegram/draft.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.i18n import t
from bot.parsing import InputError, parse_amount
from bot.telegram.callback_data import (
    ConfirmOffer,
    ProviderChoice,
    RentAgain,
    StepChoice,
    SuggestedAmount,
    WizardCommand,
)
from bot.telegram.context import Context, ensure_allowed, user_lang
from bot.telegram.draft import AMOUNT, DEADLINE, DURATION, PAYEE, PRICE, RECEIVERS, STEPS, Draft
from bot.telegram.handlers.after_match import rent_again
from bot.telegram.handlers.auto_confirm_toggle import toggle_auto_confirm
from bot.telegram.handlers.submit import submit
from bot.telegram.handlers.summary import (
    change_deadline,
    choose_provider,
    retry_quotes,
    show_summary,
    summary_text,
)
from bot.telegram.handlers.wizard import (
    END,
    PARSERS,
    SUMMARY,
    ask,
    drop_draft,
    load_draft,
    next_step,
    reply,
    save_draft,
)

# -- entry ---------------------------------------------------------------------------

# In the one-line form, the word before the payee: /new 65000 1h 70 T… to T…
PAYEE_MARKERS = frozenset({"to", "payee", "->", "→", "给"})


def split_payee(args: list[str]) -> tuple[list[str], str | None]:
    """The one-line form's arguments before the payee marker, and the payee's text (None
    without a marker)."""
    for index, arg in enumerate(args):
        if index >= 3 and arg.lower() in PAYEE_MARKERS:
            return args[:index], " ".join(args[index + 1 :])
    return args, None


async def start_new(update: Update, context: Context) -> str | int:
    lang = await user_lang(update, context)
    if not await ensure_allowed(update, context, lang):  # answers a press with why not
        return END
    if update.callback_query is not None:
        await update.callback_query.answer()
    draft = Draft()
    draft.answer(DEADLINE, context.services.default_deadline)
    save_draft(update, context, draft)
    args = context.args or []
    if not args:
        return await ask(update, context, lang, AMOUNT)
    # Power-user shortcut: /new AMOUNT DURATION PRICE ADDRESS [ADDRESS ...] [to PAYEE]
    args, payee = split_payee(args)
    values = [*args[:3], " ".join(args[3:])]
    for step, value in zip((AMOUNT, DURATION, PRICE, RECEIVERS), values, strict=False):
        if not value:
            return await ask(update, context, lang, step)
        try:
            draft.answer(step, PARSERS[step](value))
        except InputError as exc:
            return await ask(update, context, lang, step, exc)
        save_draft(update, context, draft)
    if payee is not None:
        try:
            draft.answer(PAYEE, PARSERS[PAYEE](payee))
        except InputError as exc:
            return await ask(update, context, lang, PAYEE, exc)
        save_draft(update, context, draft)
    return await show_summary(update, context, lang)


# -- the steps -----------------------------------------------------------------------


async def _answer(update: Update, context: Context, step: str, text: str) -> str:
    lang = await user_lang(update, context)
    try:
        value = PARSERS[step](text)
    except InputError as exc:
        return await ask(update, context, lang, step, exc)
    draft = load_draft(update, context)
    draft.answer(step, value)
    save_draft(update, context, draft)
    following = next_step(step, context)
    if following == SUMMARY:
        return await show_summary(update, context, lang)
    return await ask(update, context, lang, following)


def _text_step(step: str) -> Callable[[Update, Context], Any]:
    async def handle(update: Update, context: Context) -> str:
        message = update.effective_message
        assert message is not None and message.text is not None
        return await _answer(update, context, step, message.text)

    return handle


def _button_step(step: str) -> Callable[[Update, Context], Any]:
    async def handle(update: Update, context: Context) -> str:
        query = update.callback_query
        assert query is not None and query.data is not None
        await query.answer()
        if query.message is not None:
            await query.edit_message_reply_markup(None)
        choice = StepChoice.unpack(query.data)
        return await _answer(update, context, step, choice.value if choice else "")

    return handle


async def use_suggested_amount(update: Update, context: Context) -> str:
    """The summary's "use the suggested amount": the draft's amount changes and the
    summary is shown again, with a new Confirm (the old one showed the old amount)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    lang = await user_lang(update, context)
    button = SuggestedAmount.unpack(query.data)
    try:
        amount = parse_amount(str(button.amount) if button is not None else "")
    except InputError as exc:
        await reply(update, t(lang, exc.key, **exc.params))
        return SUMMARY
    draft = load_draft(update, context)
    draft.answer(AMOUNT, amount)
    draft.nonce = None
    save_draft(update, context, draft)
    if query.message is not None:
        await query.edit_message_reply_markup(None)
    return await show_summary(update, context, lang)


# -- leaving -------------------------------------------------------------------------


async def cancel(update: Update, context: Context) -> int:
    lang = await user_lang(update, context)
    if update.callback_query is not None:
        await update.callback_query.answer()
        await update.callback_query.edit_message_reply_markup(None)
    drop_draft(update, context)
    await reply(update, t(lang, "conversation.cancelled"))
    return END


async def stale_button(update: Update, context: Context) -> None:
    """A form button pressed after its conversation ended: say so, do nothing."""
    query = update.callback_query
    assert query is not None
    lang = await user_lang(update, context)
    await query.answer(t(lang, "summary.stale"), show_alert=True)


def conversation() -> ConversationHandler[Context]:
    text = filters.TEXT & ~filters.COMMAND
    states: dict[object, list[BaseHandler[Update, Context, Any]]] = {
        step: [
            MessageHandler(text, _text_step(step)),
            CallbackQueryHandler(_button_step(step), pattern=StepChoice.pattern(step)),
        ]
        for step in STEPS
    }
    states[SUMMARY] = [
        CallbackQueryHandler(submit, pattern=ConfirmOffer.pattern()),
        CallbackQueryHandler(change_deadline, pattern=WizardCommand.pattern("dl")),
        CallbackQueryHandler(choose_provider, pattern=ProviderChoice.pattern()),
        CallbackQueryHandler(toggle_auto_confirm, pattern=WizardCommand.pattern("ac")),
        CallbackQueryHandler(use_suggested_amount, pattern=SuggestedAmount.pattern()),
        CallbackQueryHandler(retry_quotes, pattern=WizardCommand.pattern("rq")),
        MessageHandler(text, summary_text),
    ]
    return ConversationHandler(
        entry_points=[
            CommandHandler("new", start_new),
            CallbackQueryHandler(start_new, pattern=WizardCommand.pattern("new")),
            CallbackQueryHandler(rent_again, pattern=RentAgain.pattern()),
        ],
        states=states,
        fallbacks=[
            CommandHandler("cancel", cancel),
            CallbackQueryHandler(cancel, pattern=WizardCommand.pattern("stop")),
        ],
        name="new_order",
        persistent=True,
        allow_reentry=True,
    )
