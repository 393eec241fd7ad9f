"""Every receiver of a submission, from what the adapter answered or what was stored."""

from __future__ import annotations

from collections.abc import Mapping

from bot.providers.errors import ProviderBusinessError
from bot.providers.port import ReceiverResult, ReceiverStatus
from bot.providers.registry import reason_of
from bot.services.orders.outcomes import ReceiverReport
from bot.storage.repository import RECEIVER_SENDING, Order, Repository, Submission


def answered(result: ReceiverResult, stored: Mapping[str, Order]) -> ReceiverReport:
    """One receiver as the adapter answered, with its order as stored."""
    order = stored.get(result.order.provider_order_id) if result.order is not None else None
    return ReceiverReport(result.receiver, result.status, order, result.error)


async def receiver_report(repo: Repository, sub: Submission) -> list[ReceiverReport]:
    """Every receiver of a submission from what was stored: its order; uncertain if
    its request went out without a stored answer; not attempted if it never did."""
    records = {r.position: r for r in await repo.receiver_records(sub.id)}
    orders = {o.provider_order_id: o for o in await repo.orders_of_submission(sub.id)}
    report: list[ReceiverReport] = []
    for position, receiver in enumerate(sub.receivers):
        rec = records.get(position)
        if rec is None:
            report.append(ReceiverReport(receiver, ReceiverStatus.NOT_ATTEMPTED))
            continue
        status = (
            ReceiverStatus.UNCERTAIN
            if rec.outcome == RECEIVER_SENDING
            else ReceiverStatus(rec.outcome)
        )
        error = (
            ProviderBusinessError(
                sub.provider,
                rec.error_code,
                rec.error_detail or "",
                reason=reason_of(sub.provider, rec.error_code),
            )
            if rec.error_code
            else None
        )
        order = orders.get(rec.provider_order_id or "")
        report.append(ReceiverReport(receiver, status, order, error))
    return report
