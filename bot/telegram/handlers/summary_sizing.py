"""The summary's chain checks: started beside the quotes, never holding the summary back
longer than their short budget, and rendered with the chosen quote (lines and the
suggested-amount button). See `bot.services.sizing` and `bot.telegram.sizing_render`."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from telegram import InlineKeyboardButton

from bot.i18n import Lang
from bot.parsing import MAX_AMOUNT
from bot.providers.port import Quote
from bot.services.sizing import SUMMARY_BUDGET_SECONDS, Sizing, provider_minimum
from bot.telegram import keyboards
from bot.telegram.context import Context
from bot.telegram.draft import Answers
from bot.telegram.sizing_render import sizing_lines

log = logging.getLogger(__name__)

# Beyond the service's own budget, for cancelled reads to wind down.
_SLACK_SECONDS = 1.0

SizingTask = asyncio.Task[Sizing]


@dataclass(frozen=True)
class SizingSection:
    text: str
    rows: list[list[InlineKeyboardButton]] = field(default_factory=list)


def start_sizing(context: Context, answers: Answers) -> SizingTask | None:
    """Size the draft's order on the chain, in the background; None without chain reads."""
    sizing = context.services.sizing
    if sizing is None or not sizing.enabled or not answers.receivers or not answers.amount:
        return None
    return asyncio.create_task(
        sizing.size(answers.receivers, answers.amount, answers.payee_address)
    )


async def sizing_result(task: SizingTask | None) -> Sizing:
    """The finished checks (bounded by the service's budget). A failure of the checks
    themselves reads as an unreachable node: the summary goes out all the same."""
    if task is None:
        return Sizing(enabled=False)
    try:
        async with asyncio.timeout(SUMMARY_BUDGET_SECONDS + _SLACK_SECONDS):
            return await task
    except Exception:  # the summary must not fail for its chain block
        log.exception("sizing failed")
        return Sizing(enabled=True)


def sizing_if_ready(task: SizingTask | None) -> Sizing | None:
    """The checks' result without waiting: None while they run (for a summary sent before
    its quote is ready, edited in place later with `sizing_result`)."""
    if task is None:
        return Sizing(enabled=False)
    if not task.done():
        return None
    if task.cancelled() or task.exception() is not None:
        return Sizing(enabled=True)
    return task.result()


def sizing_section(
    lang: Lang, sizing: Sizing | None, quote: Quote | None, provider: str | None
) -> SizingSection:
    """The block appended to the summary and the buttons above its Confirm. `sizing`
    None: still running (a summary sent before the checks finished)."""
    suggested = None
    if sizing is not None:
        suggested = sizing.suggested_amount(provider_minimum(provider))
        if suggested is not None and suggested > MAX_AMOUNT:
            suggested = None
    lines = sizing_lines(
        lang,
        sizing,
        rental_sun=quote.total_sun if quote is not None else None,
        suggested=suggested,
    )
    rows: list[list[InlineKeyboardButton]] = []
    report = sizing.report if sizing is not None else None
    if report is not None and suggested is not None and suggested != report.amount:
        rows.append([keyboards.suggested_amount(lang, suggested)])
    return SizingSection("\n".join(lines), rows)
