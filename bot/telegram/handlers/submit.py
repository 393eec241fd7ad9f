"""The summary's Confirm: submit exactly what the summary showed, once, and tell the
outcome (every receiver's when it is anything short of "all ordered")."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import Update

from bot.domain import ProviderName
from bot.i18n import Html, Lang, t
from bot.money import format_trx
from bot.providers.port import OrderRequest, ReceiverStatus
from bot.services.orders import (
    LimitKind,
    LimitRefusal,
    SpendLimitExceeded,
    SubmitOutcome,
    SubmitStatus,
)
from bot.telegram import keyboards
from bot.telegram.callback_data import ConfirmOffer
from bot.telegram.context import Context, chat_id_of, ensure_allowed, until_shutdown, user_lang
from bot.telegram.draft import Draft
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


def _bound_offer(draft: Draft, data: str) -> tuple[ProviderName, OrderRequest] | None:
    """The provider and request a Confirm press was shown with, if still valid."""
    button = ConfirmOffer.unpack(data)
    offer = None if button is None else draft.bound_offer(button.provider, button.nonce)
    if offer is None or offer.provider is None:
        return None
    try:
        return ProviderName(offer.provider), offer.request
    except ValueError:
        return None


async def submit(update: Update, context: Context) -> str | int:
    query = update.callback_query
    assert query is not None and query.data is not None
    lang = await user_lang(update, context)
    draft = load_draft(update, context)
    bound = _bound_offer(draft, query.data)
    if bound is None:
        await query.answer(t(lang, "summary.stale"), show_alert=True)
        return SUMMARY
    provider, request = bound
    if not await ensure_allowed(update, context, lang):
        return END
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
    await reply(update, t(lang, "submit.sending"))
    try:
        outcome = await rt.orders.submit(
            chat_id=chat_id_of(update),
            user_id=user.id,
            provider=provider,
            request=request,
            keep_going=until_shutdown(context),
            auto_confirm=draft.auto_confirm,
        )
    except SpendLimitExceeded as exc:
        await reply(update, limit_refused_text(lang, exc.refusal), keyboards.my_orders(lang))
        drop_draft(update, context)
        return END
    if user.language_code is not None:
        await rt.chats.keep_language(user.id, lang)  # so pushes to this chat use it
    chunks = submit_reply(lang, outcome)
    for chunk in chunks[:-1]:
        await reply(update, chunk)
    await reply(update, chunks[-1], keyboards.my_orders(lang))
    drop_draft(update, context)
    return END


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
