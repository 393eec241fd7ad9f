"""The wizard's summary: every provider's quote for the request, a provider choice, and
a Confirm bound to what the summary showed (see `bot.telegram.draft.Offer`)."""

from __future__ import annotations

import secrets

from telegram import Update

from bot.i18n import Html, Lang, t
from bot.providers.errors import ProviderError
from bot.providers.port import OrderRequest, Quote, Refusal
from bot.services.orders import preferred_quote
from bot.telegram import keyboards
from bot.telegram.callback_data import ProviderChoice
from bot.telegram.context import Context, user_lang
from bot.telegram.draft import DEADLINE, Offer
from bot.telegram.handlers import auto_confirm_toggle
from bot.telegram.handlers.summary_sizing import sizing_result, sizing_section, start_sizing
from bot.telegram.handlers.wizard import SUMMARY, ask, load_draft, reply, save_draft
from bot.telegram.long_text import split_text
from bot.telegram.render import duration, error_text, num, provider_name, trx


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


async def show_summary(update: Update, context: Context, lang: Lang) -> str:
    draft = load_draft(update, context)
    request = draft.answers.request()
    sizing = start_sizing(context, draft.answers)  # the chain checks, beside the quotes
    usable: dict[str, Quote] = {}
    blocks: list[str] = []
    for name, result in (await context.services.orders.quotes(request)).items():
        if isinstance(result, Refusal | ProviderError):
            blocks.append(error_text(lang, result))
        else:
            usable[name.value] = result
            blocks.append(_quote_line(lang, request, result))
    chosen = draft.provider
    if chosen not in usable and usable:
        chosen = preferred_quote(list(usable.values()), request.max_price).provider.value
    draft.provider = chosen
    draft.nonce = secrets.token_urlsafe(6)
    # What this summary's Confirm submits, frozen now: later buttons change the draft.
    draft.offer = Offer(draft.nonce, chosen, request)
    save_draft(update, context, draft)
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
    if chosen is None:
        text += "\n\n" + t(lang, "summary.no_provider")
    chain = sizing_section(lang, await sizing_result(sizing), usable.get(chosen or ""), chosen)
    text += "\n\n" + chain.text
    toggle = await auto_confirm_toggle.summary_toggle(update, context, draft, chosen)
    markup = keyboards.summary(lang, list(usable.values()), chosen, draft.nonce, toggle)
    markup = keyboards.with_rows_first(markup, chain.rows)
    # 100 receivers and the providers' warnings exceed one message: the summary then
    # comes in parts, split between lines, with the buttons under the last. Sent once
    # (at most once): it commits nothing, and a user who does not see it asks again.
    parts = split_text(text)
    for part in parts[:-1]:
        await reply(update, part)
    await reply(update, parts[-1], markup)
    return SUMMARY


def _void_confirm(update: Update, context: Context, provider: str | None = None) -> None:
    """The summary's Confirm is void from now on (another provider, another deadline)."""
    draft = load_draft(update, context)
    draft.nonce = None
    if provider is not None:
        draft.provider = provider
    save_draft(update, context, draft)


async def choose_provider(update: Update, context: Context) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    lang = await user_lang(update, context)
    button = ProviderChoice.unpack(query.data)
    name = button.provider if button is not None else ""
    known = name in context.services.orders.provider_names()
    _void_confirm(update, context, name if known else None)
    await query.edit_message_reply_markup(None)
    return await show_summary(update, context, lang)


async def change_deadline(update: Update, context: Context) -> str:
    query = update.callback_query
    assert query is not None
    await query.answer()
    _void_confirm(update, context)  # the old Confirm showed the old deadline
    await query.edit_message_reply_markup(None)
    return await ask(update, context, await user_lang(update, context), DEADLINE)


async def summary_text(update: Update, context: Context) -> str:
    lang = await user_lang(update, context)
    await reply(update, t(lang, "summary.use_buttons"))
    return SUMMARY
