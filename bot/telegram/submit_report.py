"""A submission's outcome receiver by receiver, as message lines.

Order of the lines: a count per outcome, then the receivers that need the user (the
uncertain one first: it may be an order that exists), then those not ordered, then the
ordered ones, compacted to one short line each. Full addresses wherever the user has
to act on one; the ordered ones carry their order number.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.i18n import Lang, t
from bot.providers.port import ReceiverStatus
from bot.services.orders import ReceiverReport
from bot.telegram.render import error_text, provider_name, short_address

# Display order, and each outcome's count key.
_COUNT_KEYS = {
    ReceiverStatus.UNCERTAIN: "report.count.uncertain",
    ReceiverStatus.REFUSED: "report.count.refused",
    ReceiverStatus.PRICE_ROSE: "report.count.price_rose",
    ReceiverStatus.NOT_ATTEMPTED: "report.count.not_attempted",
    ReceiverStatus.ORDERED: "report.count.ordered",
}
_ORDER = tuple(_COUNT_KEYS)


def receiver_lines(lang: Lang, provider: str, report: Sequence[ReceiverReport]) -> list[str]:
    name = provider_name(lang, provider)
    counts = [
        t(lang, _COUNT_KEYS[status], n=n)
        for status in _ORDER
        if (n := sum(r.status is status for r in report))
    ]
    lines = [t(lang, "report.counts", counts=t(lang, "report.separator").join(counts))]
    for status in _ORDER:
        group = [r for r in report if r.status is status]
        if not group:
            continue
        if status is ReceiverStatus.NOT_ATTEMPTED:
            # Why the loop stopped, when no receiver above says it (e.g. no price answer).
            stop = next((r.error for r in group if r.error is not None), None)
            if stop is not None:
                lines.append(t(lang, "report.stopped", reason=error_text(lang, stop)))
            lines.append(t(lang, "report.not_attempted_header"))
        elif status is ReceiverStatus.ORDERED:
            lines.append(t(lang, "report.ordered_header"))
        lines.extend(_line(lang, name, r) for r in group)
    return lines


def _line(lang: Lang, provider: str, r: ReceiverReport) -> str:
    receiver = r.receiver or "?"
    if r.status is ReceiverStatus.UNCERTAIN:
        return t(lang, "report.uncertain", receiver=receiver, provider=provider)
    if r.status is ReceiverStatus.REFUSED:
        reason = error_text(lang, r.error) if r.error is not None else "?"
        return t(lang, "report.refused", receiver=receiver, reason=reason)
    if r.status is ReceiverStatus.PRICE_ROSE:
        return t(lang, "report.price_rose", receiver=receiver)
    if r.status is ReceiverStatus.NOT_ATTEMPTED:
        return t(lang, "report.not_attempted", receiver=receiver)
    number = str(r.order.id) if r.order is not None else "?"
    return t(lang, "report.ordered", id=number, receiver=short_address(r.receiver))
