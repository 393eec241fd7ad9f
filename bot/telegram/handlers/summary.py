"""The wizard's summary: every provider's quote for the request, a provider choice, and
a Confirm bound to what the summary showed (see `bot.telegram.draft.Offer`).

Quotes are shared across chats (`bot.services.orders.quotes`), so they are usually
there at once. A summary whose quotes are not there within `QUOTE_PATIENCE_SECONDS`
is sent anyway, saying the prices are being fetched, and edited in place when they
come (by a task of its own: the chat stays free meanwhile, and other chats never wait
for it). Its Confirm appears only with the quotes; a failed quote leaves a Try again.
The chain checks (`summary_sizing`) run beside the quotes within their own short budget
and join the summary when it is completed.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError

from bot.domain import ProviderName
from bot.i18n import Html, Lang, t
from bot.providers.errors import ProviderError
from bot.providers.port import OrderRequest, Quote, Refusal
from bot.services.energy_need import SizedTransfer
from bot.services.orders import QuoteAnswer, preferred_quote
from bot.services.sizing import Sizing
from bot.telegram import keyboards
from bot.telegram.callback_data import ProviderChoice
from bot.telegram.context import Context, user_lang
from bot.telegram.draft import DEADLINE, Offer
from bot.telegram.handlers import auto_confirm_toggle
from bot.telegram.handlers.summary_sizing import (
    SizingTask,
    sizing_result,
    sizing_section,
    start_sizing,
)
from bot.telegram.handlers.wizard import SUMMARY, ask, load_draft, reply, save_draft
from bot.telegram.long_text import TELEGRAM_LIMIT, chunk_lines, split_text, utf16_len
from bot.telegram.render import duration, error_text, num, provider_name, trx

log = logging.getLogger(__name__)

# How long a summary waits for its quotes before it is sent saying they are on the way:
# long enough for a shared quote or one fresh call, short enough that a user never
# stares at nothing.
QUOTE_PATIENCE_SECONDS = 1.0
# A quote still missing after this is reported as failed (with Try again).
QUOTE_GIVE_UP_SECONDS = 60.0
_SHUTDOWN_CHECK_SECONDS = 0.5  # how often a waiting summary looks for a shutdown


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


def summary_message(lang: Lang, request: OrderRequest, quotes: str, notes: list[str]) -> str:
    """The summary's text, the one place it is composed: the request, `quotes` (the
    providers' blocks, or the line saying they are on the way) and closing notes."""
    text = t(
        lang,
        "summary.text",
        amount=num(request.amount),
        count=len(request.receivers),
        duration=duration(lang, request.duration_sec),
        price=request.max_price,
        receivers=Html("\n".join(f"• <code>{r}</code>" for r in request.receivers)),
        quotes=Html(quotes),
        deadline=duration(lang, request.deadline_sec),
    )
    return "\n\n".join([text, *notes])


@dataclass(frozen=True)
class _View:
    """A summary with its quotes: the text, the buttons, and the provider preselected."""

    text: str
    markup: InlineKeyboardMarkup
    chosen: str | None
    sized: SizedTransfer | None = None  # the payee's transfer the order is sized for


def _view(
    lang: Lang,
    request: OrderRequest,
    answers: dict[str, QuoteAnswer] | None,
    wanted: str | None,
    nonce: str,
    *,
    sizing: Sizing,
    toggle: auto_confirm_toggle.Toggle | None = None,
) -> _View:
    """`answers` None: no answer came in time (told as a failed quote)."""
    usable: dict[str, Quote] = {}
    blocks: list[str] = []
    failed = answers is None
    for name, result in (answers or {}).items():
        if isinstance(result, Refusal | ProviderError):
            blocks.append(error_text(lang, result))
            failed |= isinstance(result, ProviderError)
        else:
            usable[name] = result
            blocks.append(_quote_line(lang, request, result))
    chosen = wanted
    if chosen not in usable:
        chosen = (
            preferred_quote(list(usable.values()), request.max_price).provider.value
            if usable
            else None
        )
    notes = []
    if chosen is None:
        notes.append(t(lang, "summary.no_price" if failed else "summary.no_provider"))
    chain = sizing_section(lang, sizing, usable.get(chosen or ""), chosen)
    notes.append(chain.text)
    text = summary_message(lang, request, "\n\n".join(blocks), notes)
    auto_confirm = None if toggle is None else toggle.for_provider(chosen)
    markup = keyboards.summary(
        lang, list(usable.values()), chosen, nonce, retry=failed, auto_confirm=auto_confirm
    )
    rows = keyboards.with_rows_first(markup, chain.rows)
    return _View(text, rows, chosen, sizing.sized_transfer)


async def show_summary(update: Update, context: Context, lang: Lang) -> str:
    draft = load_draft(update, context)
    request = draft.answers.request()
    nonce = secrets.token_urlsafe(6)
    # No Confirm until the quotes are shown: the offer is bound when they are.
    draft.nonce, draft.offer = nonce, None
    save_draft(update, context, draft)
    sizing = start_sizing(context, draft.answers)  # the chain checks, beside the quotes
    fetching = asyncio.ensure_future(context.services.orders.quotes(request))
    toggle = await auto_confirm_toggle.summary_toggle(update, context, draft)
    # Read even if nobody waits for it any more (given up), so an error is not "lost".
    fetching.add_done_callback(lambda f: f.cancelled() or f.exception())
    done, _ = await asyncio.wait({fetching}, timeout=QUOTE_PATIENCE_SECONDS)
    if fetching in done:
        answers, chain = _named(fetching.result()), await sizing_result(sizing)
        view = _view(lang, request, answers, draft.provider, nonce, sizing=chain, toggle=toggle)
        if _bind(update, context, nonce, request, view):
            await _send(update, split_text(view.text), view.markup)
        return SUMMARY
    fetching_line = t(lang, "summary.fetching")
    pending = summary_message(lang, request, fetching_line, [])
    lines = pending.split("\n")
    # The part before the quotes never changes; only the rest, the live message, is
    # edited. A summary that fits one message is one message.
    cut = 0 if utf16_len(pending) <= TELEGRAM_LIMIT else lines.index(fetching_line)
    for part in chunk_lines(lines[:cut]) if cut else []:
        await reply(update, part)
    live_markup = keyboards.summary(lang, [], None, nonce)
    live = await reply(update, "\n".join(lines[cut:]), live_markup)
    context.application.create_task(
        _complete(
            update, context, _Pending(lang, request, nonce, fetching, sizing, live, cut, toggle)
        ),
        update=update,
        name=f"summary:{live.chat_id}:{live.message_id}",
    )
    return SUMMARY


def _named(answers: Mapping[ProviderName, QuoteAnswer]) -> dict[str, QuoteAnswer]:
    return {name.value: answer for name, answer in answers.items()}


def _bind(
    update: Update, context: Context, nonce: str, request: OrderRequest, view: _View
) -> bool:
    """Bind the summary's Confirm to what it shows, if the summary is still the live
    one (no other button or summary replaced it meanwhile)."""
    draft = load_draft(update, context)
    if draft.nonce != nonce:
        return False
    draft.provider = view.chosen
    # What this summary's Confirm submits, frozen now: later buttons change the draft.
    draft.offer = Offer(nonce, view.chosen, request, view.sized)
    save_draft(update, context, draft)
    return True


@dataclass(frozen=True)
class _Pending:
    """A summary sent before its quotes: what it asked and the message to edit."""

    lang: Lang
    request: OrderRequest
    nonce: str
    fetching: asyncio.Future[dict[ProviderName, QuoteAnswer]]
    sizing: SizingTask | None
    live: Message
    cut: int  # lines of the summary sent before the live message
    toggle: auto_confirm_toggle.Toggle | None = None


async def _complete(update: Update, context: Context, pending: _Pending) -> None:
    """Wait for the quotes (not past a shutdown or `QUOTE_GIVE_UP_SECONDS`), then edit
    the live message into the finished summary: with its buttons if it is still the
    chat's live summary, else with the prices alone."""
    fetching, live = pending.fetching, pending.live
    app = context.application
    loop = asyncio.get_running_loop()
    give_up_at = loop.time() + QUOTE_GIVE_UP_SECONDS
    while not fetching.done() and app.running and loop.time() < give_up_at:
        await asyncio.wait({fetching}, timeout=_SHUTDOWN_CHECK_SECONDS)
    answers = None
    if fetching.done():
        try:
            answers = _named(fetching.result())
        except Exception:  # a defect, not a provider's answer: told as a failed quote
            log.exception("summary quotes failed in chat %s", live.chat_id)
    wanted = load_draft(update, context).provider
    sizing = await sizing_result(pending.sizing)
    view = _view(
        pending.lang,
        pending.request,
        answers,
        wanted,
        pending.nonce,
        sizing=sizing,
        toggle=pending.toggle,
    )
    bound = _bind(update, context, pending.nonce, pending.request, view)
    if bound and update.effective_user is not None:
        app.mark_data_for_update_persistence(user_ids=update.effective_user.id)
    try:
        parts = chunk_lines(view.text.split("\n")[pending.cut :])
        await _fill(update, live, parts, view.markup if bound else None)
    except TelegramError as exc:
        log.warning("summary edit in chat %s failed: %s", live.chat_id, exc)


async def _send(update: Update, parts: list[str], markup: InlineKeyboardMarkup) -> None:
    # 100 receivers and the providers' warnings exceed one message: the summary then
    # comes in parts, split between lines, with the buttons under the last. Sent once
    # (at most once): it commits nothing, and a user who does not see it asks again.
    for part in parts[:-1]:
        await reply(update, part)
    await reply(update, parts[-1], markup)


async def _fill(
    update: Update, live: Message, parts: list[str], markup: InlineKeyboardMarkup | None
) -> None:
    """The live message becomes the first part; any further parts follow it, the buttons
    under the last."""
    await live.edit_text(parts[0], reply_markup=markup if len(parts) == 1 else None)
    if len(parts) > 1:
        await _send(update, parts[1:], markup or InlineKeyboardMarkup([]))


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


async def retry_quotes(update: Update, context: Context) -> str:
    """Try again, after a quote failed: the summary is shown anew."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    _void_confirm(update, context)
    await query.edit_message_reply_markup(None)
    return await show_summary(update, context, await user_lang(update, context))


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
