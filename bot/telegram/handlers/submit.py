"""The summary's Confirm: submit exactly what the summary showed, once, and tell the
outcome (every receiver's when it is anything short of "all ordered")."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from datetime import UTC, datetime

from telegram import Message, Update
from telegram.error import TelegramError

from bot.domain import ProviderName
from bot.i18n import Html, Lang, t
from bot.money import format_trx
from bot.providers.port import ReceiverStatus
from bot.services.orders import (
    LimitKind,
    LimitRefusal,
    Place,
    SpendLimitExceeded,
    SubmitNotSent,
    SubmitOutcome,
    SubmitStatus,
    Ticket,
)
from bot.telegram import keyboards
from bot.telegram.callback_data import ConfirmOffer
from bot.telegram.context import Context, chat_id_of, ensure_allowed, until_shutdown, user_lang
from bot.telegram.draft import Draft, Offer
from bot.telegram.handlers.wizard import (
    END,
    SUMMARY,
    drop_draft,
    load_draft,
    reply,
    save_draft,
)
from bot.telegram.long_text import chunk_lines, split_text
from bot.telegram.render import error_text, order_line, provider_name
from bot.telegram.submit_report import receiver_lines

log = logging.getLogger(__name__)

# At most one edit of a waiting message per this many seconds: Telegram allows about one
# message per second per chat, and the line moves at most once per create call anyway.
LINE_EDIT_SECONDS = 1.0
_following: set[asyncio.Task[None]] = set()  # waiting messages still being edited


def _bound_offer(draft: Draft, data: str) -> tuple[ProviderName, Offer] | None:
    """The provider and offer a Confirm press was shown with, if still valid."""
    button = ConfirmOffer.unpack(data)
    offer = None if button is None else draft.bound_offer(button.provider, button.nonce)
    if offer is None or offer.provider is None:
        return None
    try:
        return ProviderName(offer.provider), offer
    except ValueError:
        return None


async def submit(update: Update, context: Context) -> str | int:
    query = update.callback_query
    assert query is not None and query.data is not None
    draft = load_draft(update, context)
    bound = _bound_offer(draft, query.data)
    if bound is None:
        lang = await user_lang(update, context)
        await query.answer(t(lang, "summary.stale"), show_alert=True)
        return SUMMARY
    provider, offer = bound
    request = offer.request
    rt = context.services
    # The press's place in the create line, taken before anything is awaited: orders go
    # out in press order, whatever each handler waits for next.
    ticket = rt.orders.join_create_line(provider, request)
    try:
        return await _submit(update, context, provider, offer, ticket)
    finally:
        rt.orders.leave_create_line(ticket)  # no-op once submit has had it


async def _submit(
    update: Update,
    context: Context,
    provider: ProviderName,
    offer: Offer,
    ticket: Ticket,
) -> str | int:
    query = update.callback_query
    assert query is not None
    lang = await user_lang(update, context)
    if not await ensure_allowed(update, context, lang):
        return END
    draft = load_draft(update, context)
    draft.nonce = None  # one press, one submission
    save_draft(update, context, draft)
    user = update.effective_user
    assert user is not None
    # Saved before anything is sent: PTB saves user data only after the handler returns,
    # so a crash mid-submit would otherwise bring the nonce back and the old summary's
    # Confirm would order everything a second time.
    context.application.mark_data_for_update_persistence(user_ids=user.id)
    await context.application.update_persistence()
    await query.answer()
    await query.edit_message_reply_markup(None)
    rt = context.services
    name = provider_name(lang, provider)
    waiting = await reply(update, line_text(lang, name, ticket.place()))
    # Ends by itself once its turn has come and "Submitting…" is shown (possibly after
    # the outcome's own message: it is an edit of the message above).
    follow = asyncio.create_task(follow_line(waiting, ticket, lambda p: line_text(lang, name, p)))
    _following.add(follow)  # held until done: the loop keeps only weak references
    follow.add_done_callback(_following.discard)
    try:
        outcome = await rt.orders.submit(
            chat_id=chat_id_of(update),
            user_id=user.id,
            provider=provider,
            request=offer.request,
            keep_going=until_shutdown(context),
            ticket=ticket,
            auto_confirm=draft.auto_confirm,
            sized=offer.sized,
        )
    except SpendLimitExceeded as exc:
        follow.cancel()
        await reply(update, limit_refused_text(lang, exc.refusal), keyboards.my_orders(lang))
        drop_draft(update, context)
        return END
    except SubmitNotSent:
        follow.cancel()
        await reply(update, t(lang, "submit.not_sent"))
        drop_draft(update, context)
        return END
    except BaseException:
        follow.cancel()
        raise
    if user.language_code is not None:
        await rt.chats.keep_language(user.id, lang)  # so pushes to this chat use it
    chunks = submit_reply(lang, outcome)
    for chunk in chunks[:-1]:
        await reply(update, chunk)
    await reply(update, chunks[-1], keyboards.my_orders(lang))
    drop_draft(update, context)
    return END


def line_text(lang: Lang, provider: str, place: Place | None) -> str:
    """The waiting message: the place in line and the expected wait, or "Submitting…"
    once nothing is ahead."""
    if place is None:
        return t(lang, "submit.sending")
    seconds = max(1, math.ceil(place.wait_seconds))
    return t(lang, "submit.queued", provider=provider, place=place.position, seconds=seconds)


async def follow_line(
    message: Message, ticket: Ticket, text: Callable[[Place | None], str]
) -> None:
    """Edit the waiting message as the line moves, at most once per
    `LINE_EDIT_SECONDS` (moves in between are shown together), until its turn."""
    loop = asyncio.get_running_loop()
    shown = message.text
    edited_at = loop.time()
    while True:
        version = ticket.version
        place = ticket.place()
        wanted = text(place)
        if wanted != shown:
            await asyncio.sleep(max(0.0, edited_at + LINE_EDIT_SECONDS - loop.time()))
            place = ticket.place()  # the latest, after the pause
            wanted = text(place)
        if wanted != shown:
            try:
                await message.edit_text(wanted)
            except TelegramError as exc:
                log.info("queue message edit failed: %s", exc)
            shown, edited_at = wanted, loop.time()
        if place is None:
            return
        await ticket.moved(version)


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


def limit_refused_text(lang: Lang, refusal: LimitRefusal) -> str:
    """Which limit refused the order, what is left today and when the day resets."""
    cost, limit = format_trx(refusal.cost_sun), format_trx(refusal.limit_sun)
    if refusal.kind is LimitKind.ORDER:
        lines = [t(lang, "limit.order_refused", cost=cost, limit=limit)]
    else:
        left = format_trx(refusal.left_sun or 0)
        lines = [t(lang, "limit.daily_refused", cost=cost, left=left, limit=limit)]
    if refusal.kind is LimitKind.ORDER and refusal.daily_sun is not None:
        left, daily = format_trx(refusal.left_sun or 0), format_trx(refusal.daily_sun)
        lines.append(t(lang, "limit.left_today", left=left, limit=daily))
    reset = datetime.fromtimestamp(refusal.resets_at, UTC).strftime("%Y-%m-%d %H:%M")
    lines.append(t(lang, "limit.resets", reset=reset))
    return "\n".join(lines)
