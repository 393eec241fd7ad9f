"""The saving shown after a Confirm: the receivers' energy is read while the provider
confirms (the rental is still delegated then), so the reply waits for nothing more."""

from __future__ import annotations

import asyncio
import logging

from bot.i18n import Html, Lang
from bot.services.orders import ActionReport, ActionStatus
from bot.services.runtime import Runtime
from bot.services.sizing import CONFIRM_BUDGET_SECONDS, UsageSnapshot
from bot.telegram.render import money_lines
from bot.telegram.sizing_render import confirm_result_lines, total_saving_line

log = logging.getLogger(__name__)

UsageTask = asyncio.Task[UsageSnapshot]


def start_usage(
    rt: Runtime, chat_id: int, *, order_ids: list[int], submission_id: int | None = None
) -> UsageTask | None:
    """None without chain reads: the reply is then exactly as without a node."""
    if rt.sizing is None or not rt.sizing.enabled:
        return None
    return asyncio.create_task(
        rt.sizing.before_confirm(chat_id=chat_id, order_ids=order_ids, submission_id=submission_id)
    )


async def usage_result(task: UsageTask | None) -> UsageSnapshot | None:
    if task is None:
        return None
    try:
        async with asyncio.timeout(CONFIRM_BUDGET_SECONDS + 1.0):
            return await task
    except Exception:  # the reply must not fail for its saving line
        log.exception("confirm saving failed")
        return UsageSnapshot()


def discard(task: UsageTask | None) -> None:
    if task is not None:
        task.cancel()


def money(lang: Lang, report: ActionReport, usage: UsageSnapshot | None) -> list[Html]:
    """An order's money lines; for one confirmed just now, with the saving made."""
    order = report.order
    if usage is None or report.status is not ActionStatus.DONE:
        return money_lines(lang, order)
    return confirm_result_lines(
        lang, order, energy_used=usage.energy_used(order), energy_fee=usage.energy_fee
    )


def total_line(lang: Lang, reports: list[ActionReport], usage: UsageSnapshot | None) -> str | None:
    """Many orders confirmed at once: the saving of those confirmed just now, in total."""
    done = [r.order for r in reports if r.status is ActionStatus.DONE]
    settled = [o for o in done if o.refund_sun is not None and o.charge_sun is not None]
    if usage is None or not settled:
        return None
    return total_saving_line(lang, [usage.saving_made(o) for o in settled])
