"""The order conversation: amount → duration → max price → receivers → summary → submit.

Each step accepts typed text (buttons only fill in common values through the same
parser), so a forged button press is just another answer to validate. The draft lives
in `user_data`, keyed by chat, and the conversation is persistent, so a restart resumes
where the user was. The summary's Confirm button names its provider and carries a
one-time nonce bound to that provider and to the request the summary showed: pressing it
twice, or pressing an old summary, submits nothing, and a press never submits to another
provider or with other values than its summary showed, whatever other buttons did since.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any

from telegram import (
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatType
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.domain import ProviderName
from bot.i18n import Html, Lang, t
from bot.parsing import (
    InputError,
    parse_amount,
    parse_deadline,
    parse_duration,
    parse_price,
    parse_receivers,
)
from bot.providers.errors import ProviderError
from bot.providers.port import OrderRequest, Quote, ReceiverStatus, Refusal
from bot.services.orders import SubmitOutcome, SubmitStatus, preferred_quote
from bot.telegram.context import Context, chat_id_of, ensure_allowed, runtime, user_lang
from bot.telegram.long_text import chunk_lines, split_text
from bot.telegram.render import duration, error_text, num, order_line, provider_name, trx
from bot.telegram.submit_report import receiver_lines

ReplyMarkup = InlineKeyboardMarkup | ForceReply

log = logging.getLogger(__name__)

AMOUNT, DURATION, PRICE, RECEIVERS, SUMMARY, DEADLINE = (
    "amount",
    "duration",
    "price",
    "receivers",
    "summary",
    "deadline",
)
END = ConversationHandler.END

# Common values offered as buttons; they go through the same parsers as typed text.
_CHOICES: dict[str, list[tuple[str, str]]] = {
    AMOUNT: [("65000", "choice.amount_holder"), ("131000", "choice.amount_new")],
    PRICE: [("50", ""), ("60", ""), ("70", ""), ("90", "")],
    DEADLINE: [("2m", ""), ("5m", ""), ("10m", ""), ("30m", "")],
}
_PARSERS: dict[str, Callable[[str], Any]] = {
    AMOUNT: parse_amount,
    DURATION: parse_duration,
    PRICE: parse_price,
    RECEIVERS: parse_receivers,
    DEADLINE: parse_deadline,
}
_NEXT = {AMOUNT: DURATION, DURATION: PRICE, PRICE: RECEIVERS, RECEIVERS: SUMMARY}


def _drafts(context: Context) -> dict[str, dict[str, Any]]:
    assert context.user_data is not None
    drafts: dict[str, dict[str, Any]] = context.user_data.setdefault("drafts", {})
    return drafts


def _draft(update: Update, context: Context) -> dict[str, Any]:
    return _drafts(context).setdefault(str(chat_id_of(update)), {})


def _drop_draft(update: Update, context: Context) -> None:
    _drafts(context).pop(str(chat_id_of(update)), None)


def _token(seconds: int) -> str:
    """Shortest typed form of a duration, e.g. 3600 -> "1h"."""
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return str(seconds)


def _buttons_for(context: Context, lang: Lang, step: str) -> list[InlineKeyboardButton]:
    if step == DURATION:
        # Offer what the configured providers can serve (Feee's durations are fixed).
        seconds = sorted(
            {s for p in runtime(context).orders.providers.values() for s in p.durations}
        )
        return [
            InlineKeyboardButton(duration(lang, s), callback_data=f"w:{step}:{_token(s)}")
            for s in seconds
        ]
    return [
        InlineKeyboardButton(
            t(lang, label, value=num(int(value))) if label else value,
            callback_data=f"w:{step}:{value}",
        )
        for value, label in _CHOICES.get(step, [])
    ]


def _question_markup(update: Update, context: Context, lang: Lang, step: str) -> ReplyMarkup:
    chat = update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE:
        # In groups the bot only sees replies to itself (privacy mode): ask for one.
        return ForceReply(selective=True)
    choices = _buttons_for(context, lang, step)
    rows = [choices[i : i + 4] for i in range(0, len(choices), 4)]
    rows.append([InlineKeyboardButton(t(lang, "button.cancel"), callback_data="w:stop")])
    return InlineKeyboardMarkup(rows)


async def _reply(update: Update, text: str, markup: ReplyMarkup | None = None) -> Message:
    message = update.effective_message
    assert message is not None
    if update.callback_query is not None:
        return await message.chat.send_message(text, reply_markup=markup)
    return await message.reply_text(text, reply_markup=markup)


async def _ask(
    update: Update, context: Context, lang: Lang, step: str, error: InputError | None = None
) -> str:
    text = t(lang, f"ask.{step}")
    if error is not None:
        text = t(lang, error.key, **error.params) + "\n\n" + text
    await _reply(update, text, _question_markup(update, context, lang, step))
    return step


# -- entry ---------------------------------------------------------------------------


async def start_new(update: Update, context: Context) -> str | int:
    lang = await user_lang(update, context)
    if update.callback_query is not None:
        await update.callback_query.answer()
    if not await ensure_allowed(update, context, lang):
        return END
    _drop_draft(update, context)
    draft = _draft(update, context)
    draft["deadline"] = runtime(context).default_deadline
    args = context.args or []
    if not args:
        return await _ask(update, context, lang, AMOUNT)
    # Power-user shortcut: /new AMOUNT DURATION PRICE ADDRESS [ADDRESS ...]
    values = [*args[:3], " ".join(args[3:])]
    for step, value in zip((AMOUNT, DURATION, PRICE, RECEIVERS), values, strict=False):
        if not value:
            return await _ask(update, context, lang, step)
        try:
            draft[step] = _PARSERS[step](value)
        except InputError as exc:
            return await _ask(update, context, lang, step, exc)
    return await _show_summary(update, context, lang)


# -- the steps -----------------------------------------------------------------------


async def _answer(update: Update, context: Context, step: str, text: str) -> str:
    lang = await user_lang(update, context)
    try:
        value = _PARSERS[step](text)
    except InputError as exc:
        return await _ask(update, context, lang, step, exc)
    draft = _draft(update, context)
    draft[step] = value
    following = SUMMARY if step == DEADLINE else _NEXT[step]
    if following == SUMMARY:
        return await _show_summary(update, context, lang)
    return await _ask(update, context, lang, following)


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
        return await _answer(update, context, step, query.data.split(":", 2)[2])

    return handle


# -- summary -------------------------------------------------------------------------


def _request(draft: dict[str, Any]) -> OrderRequest:
    return OrderRequest(
        amount=int(draft[AMOUNT]),
        duration_sec=int(draft[DURATION]),
        max_price=int(draft[PRICE]),
        receivers=tuple(draft[RECEIVERS]),
        deadline_sec=int(draft["deadline"]),
    )


def _quote_line(lang: Lang, request: OrderRequest, quote: Quote) -> str:
    notes = []
    if not quote.within(request.max_price):
        notes.append(t(lang, "summary.above_max", price=quote.unit_price_sun))
    if quote.balance_sufficient is False:
        notes.append(t(lang, "summary.balance_low"))
    if quote.can_match is False:
        notes.append(t(lang, "summary.cannot_match", available=quote.receivers_available or 0))
    line = t(
        lang,
        "summary.quote",
        provider=provider_name(lang, quote.provider),
        unit=quote.unit_price_sun,
        total=trx(quote.total_sun),
    )
    if quote.balance_sun is not None:
        line += "\n" + t(lang, "summary.balance", trx=trx(quote.balance_sun))
    if quote.can_match is not None:
        line += "\n" + t(
            lang, "summary.can_match_yes" if quote.can_match else "summary.can_match_no"
        )
    return "\n".join([line, *notes])


async def _show_summary(update: Update, context: Context, lang: Lang) -> str:
    rt = runtime(context)
    draft = _draft(update, context)
    request = _request(draft)
    usable: dict[str, Quote] = {}
    blocks: list[str] = []
    for name, result in (await rt.orders.quotes(request)).items():
        if isinstance(result, Refusal | ProviderError):
            blocks.append(error_text(lang, result))
        else:
            usable[name.value] = result
            blocks.append(_quote_line(lang, request, result))
    chosen = draft.get("provider")
    if chosen not in usable and usable:
        chosen = preferred_quote(list(usable.values()), request.max_price).provider.value
    draft["provider"] = chosen
    nonce = secrets.token_urlsafe(6)
    draft["nonce"] = nonce
    # What this summary's Confirm submits, frozen now: later buttons change the draft.
    draft["offer"] = {"nonce": nonce, "provider": chosen, "request": _request_data(request)}
    text = t(
        lang,
        "summary.text",
        amount=num(request.amount),
        count=len(request.receivers),
        duration=duration(lang, request.duration_sec),
        price=request.max_price,
        receivers=Html("\n".join(f"• <code>{r}</code>" for r in request.receivers)),
        quotes=Html("\n\n".join(blocks)),
        deadline=duration(lang, request.deadline_sec),
    )
    rows: list[list[InlineKeyboardButton]] = []
    if len(usable) > 1:
        rows.append(
            [
                InlineKeyboardButton(
                    t(
                        lang,
                        "button.provider_chosen" if name == chosen else "button.provider",
                        provider=provider_name(lang, name),
                        total=trx(q.total_sun),
                    ),
                    callback_data=f"w:prov:{name}",
                )
                for name, q in usable.items()
            ]
        )
    if chosen is not None:
        rows.append(
            [
                InlineKeyboardButton(
                    t(lang, "button.confirm", provider=provider_name(lang, chosen)),
                    callback_data=f"w:go:{chosen}:{nonce}",
                )
            ]
        )
    else:
        text += "\n\n" + t(lang, "summary.no_provider")
    rows.append(
        [
            InlineKeyboardButton(t(lang, "button.deadline"), callback_data="w:dl"),
            InlineKeyboardButton(t(lang, "button.cancel"), callback_data="w:stop"),
        ]
    )
    # 100 receivers and the providers' warnings exceed one message: the summary then
    # comes in parts, split between lines, with the buttons under the last. Sent once
    # (at most once): it commits nothing, and a user who does not see it asks again.
    parts = split_text(text)
    for part in parts[:-1]:
        await _reply(update, part)
    await _reply(update, parts[-1], InlineKeyboardMarkup(rows))
    return SUMMARY


def _request_data(request: OrderRequest) -> dict[str, Any]:
    return {
        AMOUNT: request.amount,
        DURATION: request.duration_sec,
        PRICE: request.max_price,
        RECEIVERS: list(request.receivers),
        "deadline": request.deadline_sec,
    }


def _bound_offer(draft: dict[str, Any], data: str) -> tuple[ProviderName, OrderRequest] | None:
    """The provider and request a Confirm press was shown with, if still valid."""
    provider, _, nonce = data.removeprefix("w:go:").partition(":")
    offer = draft.get("offer")
    if not nonce or not isinstance(offer, dict) or draft.get("nonce") != nonce:
        return None
    if offer.get("nonce") != nonce or offer.get("provider") != provider:
        return None
    try:
        return ProviderName(provider), _request(offer["request"])
    except (KeyError, TypeError, ValueError):
        return None


async def choose_provider(update: Update, context: Context) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    lang = await user_lang(update, context)
    name = query.data.removeprefix("w:prov:")
    _draft(update, context).pop("nonce", None)  # the old Confirm is void from now on
    if name in {p.value for p in runtime(context).orders.providers}:
        _draft(update, context)["provider"] = name
    await query.edit_message_reply_markup(None)
    return await _show_summary(update, context, lang)


async def change_deadline(update: Update, context: Context) -> str:
    query = update.callback_query
    assert query is not None
    await query.answer()
    _draft(update, context).pop("nonce", None)  # the old Confirm showed the old deadline
    await query.edit_message_reply_markup(None)
    return await _ask(update, context, await user_lang(update, context), DEADLINE)


async def summary_text(update: Update, context: Context) -> str:
    lang = await user_lang(update, context)
    await _reply(update, t(lang, "summary.use_buttons"))
    return SUMMARY


async def submit(update: Update, context: Context) -> str | int:
    query = update.callback_query
    assert query is not None and query.data is not None
    lang = await user_lang(update, context)
    draft = _draft(update, context)
    bound = _bound_offer(draft, query.data)
    if bound is None:
        await query.answer(t(lang, "summary.stale"), show_alert=True)
        return SUMMARY
    provider, request = bound
    if not await ensure_allowed(update, context, lang):
        return END
    draft.pop("nonce")  # one press, one submission
    user = update.effective_user
    assert user is not None
    # Saved before anything is sent: PTB saves user data only after the handler returns,
    # so a crash mid-submit would otherwise bring the nonce back and the old summary's
    # Confirm would order everything a second time.
    context.application.mark_data_for_update_persistence(user_ids=user.id)
    await context.application.update_persistence()
    await query.answer()
    await query.edit_message_reply_markup(None)
    rt = runtime(context)
    await _reply(update, t(lang, "submit.sending"))
    outcome = await rt.orders.submit(
        chat_id=chat_id_of(update),
        user_id=user.id,
        provider=provider,
        request=request,
        keep_going=_until_shutdown(context),
    )
    if user.language_code is not None and await rt.repo.get_user_lang(user.id) is None:
        # Remember the language so pushes to this chat use it.
        await rt.repo.set_user_lang(user.id, lang)
    chunks = submit_reply(lang, outcome)
    for chunk in chunks[:-1]:
        await _reply(update, chunk)
    await _reply(update, chunks[-1], _after_submit_markup(lang))
    _drop_draft(update, context)
    return END


def _until_shutdown(context: Context) -> Callable[[], bool]:
    """False once shutdown has begun: PTB clears `running` first thing when it stops (an
    application processing updates without being started, as in tests, never stops)."""
    app = context.application
    was_running = app.running
    return lambda: app.running or not was_running


def submit_reply(lang: Lang, outcome: SubmitOutcome) -> list[str]:
    """The answer to Confirm, in as many messages as it needs. Anything short of "every
    receiver ordered" is told receiver by receiver, an uncertain one always."""
    report = outcome.receivers
    uncertain = any(r.status is ReceiverStatus.UNCERTAIN for r in report)
    if not report or outcome.all_ordered or (len(report) == 1 and not uncertain):
        return split_text(submit_outcome_text(lang, outcome))  # 100 order lines: split
    title = t(
        lang,
        "report.title",
        provider=provider_name(lang, outcome.submission.provider),
        submission=outcome.submission.id,
    )
    return chunk_lines(receiver_lines(lang, outcome.submission.provider, report), header=title)


def submit_outcome_text(lang: Lang, outcome: SubmitOutcome) -> str:
    provider = provider_name(lang, outcome.submission.provider)
    lines = Html("\n".join(order_line(lang, o) for o in outcome.orders))
    if outcome.status is SubmitStatus.FAILED:
        assert outcome.error is not None
        return t(lang, "submit.failed", reason=error_text(lang, outcome.error))
    if outcome.status is SubmitStatus.SUBMITTED:
        text = t(lang, "submit.done", provider=provider, count=len(outcome.orders), orders=lines)
        if outcome.error is not None:  # some receivers were refused
            text += "\n\n" + t(lang, "submit.partial", reason=error_text(lang, outcome.error))
        return text
    key = {
        SubmitStatus.RECOVERED: "submit.recovered",
        SubmitStatus.UNCERTAIN: "submit.uncertain",
        SubmitStatus.UNRESOLVED: "submit.unresolved",
    }[outcome.status]
    return t(lang, key, provider=provider, count=len(outcome.orders), orders=lines)


def _after_submit_markup(lang: Lang) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t(lang, "button.my_orders"), callback_data="l:new")]]
    )


# -- leaving -------------------------------------------------------------------------


async def cancel(update: Update, context: Context) -> int:
    lang = await user_lang(update, context)
    if update.callback_query is not None:
        await update.callback_query.answer()
        await update.callback_query.edit_message_reply_markup(None)
    _drop_draft(update, context)
    await _reply(update, t(lang, "conversation.cancelled"))
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
            CallbackQueryHandler(_button_step(step), pattern=rf"^w:{step}:"),
        ]
        for step in (AMOUNT, DURATION, PRICE, RECEIVERS, DEADLINE)
    }
    states[SUMMARY] = [
        CallbackQueryHandler(submit, pattern=r"^w:go:"),
        CallbackQueryHandler(change_deadline, pattern=r"^w:dl$"),
        CallbackQueryHandler(choose_provider, pattern=r"^w:prov:"),
        MessageHandler(text, summary_text),
    ]
    return ConversationHandler(
        entry_points=[
            CommandHandler("new", start_new),
            CallbackQueryHandler(start_new, pattern=r"^w:new$"),
        ],
        states=states,
        fallbacks=[
            CommandHandler("cancel", cancel),
            CallbackQueryHandler(cancel, pattern=r"^w:stop$"),
        ],
        name="new_order",
        persistent=True,
        allow_reentry=True,
    )
