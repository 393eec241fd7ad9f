"""What the order wizard's handlers share: its states, the parsers behind every step,
the draft kept per chat in `user_data`, and how a question is asked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram import ForceReply, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.ext import ConversationHandler

from bot.i18n import Lang, t
from bot.parsing import (
    InputError,
    parse_amount,
    parse_deadline,
    parse_duration,
    parse_payee,
    parse_price,
    parse_receivers,
)
from bot.telegram import keyboards
from bot.telegram.context import Context, chat_id_of
from bot.telegram.draft import AMOUNT, DEADLINE, DURATION, PAYEE, PRICE, RECEIVERS, Draft

ReplyMarkup = InlineKeyboardMarkup | ForceReply

SUMMARY = "summary"
END = ConversationHandler.END

PARSERS: dict[str, Callable[[str], Any]] = {
    AMOUNT: parse_amount,
    DURATION: parse_duration,
    PRICE: parse_price,
    RECEIVERS: parse_receivers,
    DEADLINE: parse_deadline,
    PAYEE: parse_payee,
}
NEXT = {AMOUNT: DURATION, DURATION: PRICE, PRICE: RECEIVERS, RECEIVERS: SUMMARY}


def next_step(step: str, context: Context) -> str:
    """The question after `step`. The payee is asked only when the bot reads the chain
    (it is what sizes the transfer); without a node the form is as it always was."""
    if step in (DEADLINE, PAYEE):
        return SUMMARY
    if step == RECEIVERS and context.services.chain is not None:
        return PAYEE
    return NEXT[step]


_DRAFTS = "drafts"  # user_data key: chat id (as text) -> the draft as a plain dict


def _drafts(context: Context) -> dict[str, dict[str, Any]]:
    assert context.user_data is not None
    drafts: dict[str, dict[str, Any]] = context.user_data.setdefault(_DRAFTS, {})
    return drafts


def load_draft(update: Update, context: Context) -> Draft:
    stored = _drafts(context).get(str(chat_id_of(update)))
    return Draft.from_dict(stored) if isinstance(stored, dict) else Draft()


def save_draft(update: Update, context: Context, draft: Draft) -> None:
    _drafts(context)[str(chat_id_of(update))] = draft.to_dict()


def drop_draft(update: Update, context: Context) -> None:
    _drafts(context).pop(str(chat_id_of(update)), None)


def _question_markup(update: Update, context: Context, lang: Lang, step: str) -> ReplyMarkup:
    chat = update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE:
        # In groups the bot only sees replies to itself (privacy mode): ask for one.
        return ForceReply(selective=True)
    if step == PAYEE:
        return keyboards.payee_question(lang)
    return keyboards.step_question(lang, step, context.services.orders.durations())


async def reply(update: Update, text: str, markup: ReplyMarkup | None = None) -> Message:
    message = update.effective_message
    assert message is not None
    if update.callback_query is not None:
        return await message.chat.send_message(text, reply_markup=markup)
    return await message.reply_text(text, reply_markup=markup)


async def ask(
    update: Update, context: Context, lang: Lang, step: str, error: InputError | None = None
) -> str:
    text = t(lang, f"ask.{step}")
    if error is not None:
        text = t(lang, error.key, **error.params) + "\n\n" + text
    await reply(update, text, _question_markup(update, context, lang, step))
    return step
