"""The chain's part of the bot's messages, as catalog text: the summary's sizing and
savings lines, and the saving actually made after a confirm (manual or automatic).

Pure functions of the services' results. A long receiver list is summarised (the first
few receivers in full, problems first, and counts for the rest), so the sizing block
stays far below Telegram's 4,096 characters whatever the list.
"""

from __future__ import annotations

from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

from bot.i18n import Html, Lang, t
from bot.services.energy_need import NeedBasis, NeedFlag, NeedReport, ReceiverNeed
from bot.services.savings import Savings, realised
from bot.services.sizing import FALLBACK_ENERGY, Sizing
from bot.storage.repository import Order
from bot.telegram.render import money_lines, num, short_address, trx

# Receivers shown one by one; the rest are counted by kind.
DETAILED_RECEIVERS = 8
BUDGET_CODE = "BUDGET"  # EnergyNeedService's code for a receiver cut by the time budget

# Kinds of receiver line, in the order they are shown (problems first): each kind's
# line and its count among the rest.
_KINDS = ("not_activated", "short", "unchecked", "needs_none", "covered", "energy_only")
_LINE_KEYS = {
    "not_activated": "sizing.receiver.not_activated",
    "short": "sizing.receiver.short",
    "needs_none": "sizing.receiver.needs_none",
    "covered": "sizing.receiver.covered",
    "energy_only": "sizing.receiver.energy_only",
}
_REST_KEYS = {
    "not_activated": "sizing.rest.not_activated",
    "short": "sizing.rest.short",
    "unchecked": "sizing.rest.unchecked",
    "needs_none": "sizing.rest.needs_none",
    "covered": "sizing.rest.covered",
    "energy_only": "sizing.rest.energy_only",
}
_TRANSFER_KEYS = {
    NeedBasis.SIMULATED: "sizing.transfer.simulated",
    NeedBasis.PAYEE_HOLDER: "sizing.transfer.payee_holder",
    NeedBasis.PAYEE_NON_HOLDER: "sizing.transfer.payee_non_holder",
    NeedBasis.ASSUMED_HOLDER: "sizing.transfer.assumed_holder",
    NeedBasis.UNKNOWN: "sizing.transfer.unknown",
}
_CHECK_KEYS = {
    "activation": "sizing.check.activation",
    "energy": "sizing.check.energy",
    "transfer_need": "sizing.check.transfer_need",
    "burn_price": "sizing.check.burn_price",
}


def _kind(need: ReceiverNeed) -> str:
    if NeedFlag.NOT_ACTIVATED in need.flags:
        return "not_activated"
    if need.available_energy is None:
        return "unchecked"
    if NeedFlag.COVERS_NONE in need.flags:
        return "short"
    if NeedFlag.NEEDS_NONE in need.flags:
        return "needs_none"
    if need.transfers_covered is None:
        return "energy_only"  # the transfer's energy is unknown
    return "covered"


def _percent(ratio: Decimal | None) -> str:
    if ratio is None:
        return "0"
    return str((ratio * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _receiver_line(lang: Lang, need: ReceiverNeed, report: NeedReport) -> str:
    kind = _kind(need)
    address = short_address(need.receiver)
    if kind == "unchecked":
        late = need.failure == BUDGET_CODE
        key = "sizing.receiver.late" if late else "sizing.receiver.unchecked"
        return t(lang, key, address=address)
    return t(
        lang,
        _LINE_KEYS[kind],
        address=address,
        on_hand=num(need.available_energy or 0),
        need=num(need.suggested_amount or 0),
        transfers=need.transfers or 1,
        covered=need.transfers_covered or 0,
        amount=num(report.amount),
        per=num(report.transfer.energy or 0),
    )


def _transfer_line(lang: Lang, report: NeedReport) -> str:
    return t(
        lang,
        _TRANSFER_KEYS[report.transfer.basis],
        payee=short_address(report.payee),
        energy=num(report.transfer.energy or 0),
        holder=num(FALLBACK_ENERGY[0]),
        non_holder=num(FALLBACK_ENERGY[1]),
    )


def receiver_lines(
    lang: Lang, report: NeedReport, detailed: int = DETAILED_RECEIVERS
) -> list[str]:
    """The first `detailed` receivers (problems first), then one line counting the rest."""
    ranked = sorted(report.receivers, key=lambda n: _KINDS.index(_kind(n)))
    lines = [_receiver_line(lang, n, report) for n in ranked[:detailed]]
    rest = Counter(_kind(n) for n in ranked[detailed:])
    if rest:
        parts = t(lang, "sizing.separator").join(
            t(lang, _REST_KEYS[kind], count=rest[kind]) for kind in _KINDS if rest[kind]
        )
        lines.append(t(lang, "sizing.rest", count=sum(rest.values()), parts=parts))
    return lines


def _savings_lines(lang: Lang, sizing: Sizing, rental_sun: int | None) -> list[str]:
    fee = sizing.energy_fee
    figures = sizing.expected(rental_sun)
    if fee is None:
        return []
    if figures is None:
        burn = sizing.burn_sun()
        if burn is None:
            return []
        energy = burn // fee if fee else 0
        return [t(lang, "sizing.burn_only", burn=trx(burn), energy=num(energy), fee=fee)]
    return [saving_line(lang, figures, made=False)]


def saving_line(lang: Lang, figures: Savings, *, made: bool) -> str:
    """The saving expected (summary) or made (after a confirm); when renting costs more
    than burning, by how much."""
    if figures.saving_sun >= 0:
        key = "confirm.saved" if made else "sizing.savings"
        return t(
            lang,
            key,
            burn=trx(figures.burn_sun),
            energy=num(figures.energy),
            fee=figures.energy_fee,
            cost=trx(figures.cost_sun),
            saving=trx(figures.saving_sun),
            percent=_percent(figures.saving_ratio),
        )
    return t(
        lang,
        "confirm.saved_none" if made else "sizing.savings_none",
        burn=trx(figures.burn_sun),
        energy=num(figures.energy),
        fee=figures.energy_fee,
        cost=trx(figures.cost_sun),
        extra=trx(-figures.saving_sun),
    )


def _unchecked_line(lang: Lang, sizing: Sizing) -> str | None:
    report = sizing.report
    items = [c.value for c in sorted(report.unchecked)] if report is not None else []
    if sizing.energy_fee is None:
        items.append("burn_price")
    if not items:
        return None
    names = t(lang, "sizing.separator").join(t(lang, _CHECK_KEYS[item]) for item in items)
    return t(lang, "sizing.unchecked", items=names)


def sizing_lines(
    lang: Lang,
    sizing: Sizing | None,
    *,
    rental_sun: int | None,
    suggested: int | None,
) -> list[str]:
    """The summary's chain block: the transfer's energy, each receiver's need, the
    suggested amount, burn cost against the rental, and what could not be checked.
    `sizing` None: the checks are still running. `rental_sun`: the chosen quote's total."""
    head = t(lang, "sizing.header")
    if sizing is None:
        return [head, t(lang, "sizing.pending")]
    if not sizing.enabled:
        return [head, t(lang, "sizing.off")]
    report = sizing.report
    if report is None or not sizing.reachable:
        return [head, t(lang, "sizing.unreachable")]
    lines = [head, _transfer_line(lang, report), *receiver_lines(lang, report)]
    if suggested is not None and suggested != report.amount:
        lines.append(t(lang, "sizing.suggested", amount=num(suggested)))
    elif report.receivers and all(NeedFlag.NEEDS_NONE in r.flags for r in report.receivers):
        lines.append(t(lang, "sizing.none_needed"))
    lines += _savings_lines(lang, sizing, rental_sun)
    unchecked = _unchecked_line(lang, sizing)
    if unchecked is not None:
        lines.append(unchecked)
    return lines


# -- after a confirm ----------------------------------------------------------------


def saving_made_line(
    lang: Lang, order: Order, *, energy_used: int | None, energy_fee: int | None
) -> str | None:
    """The saving a confirmed order actually made: its net cost (charge less refund)
    against burning the rented energy its transfers used. None while the refund is
    unknown (the caller says it is pending); a sentence when the chain could not say."""
    if order.refund_sun is None or order.charge_sun is None:
        return None
    if energy_used is None or energy_fee is None:
        return t(lang, "confirm.saving_unknown")
    figures = realised(
        charge_sun=order.charge_sun,
        refund_sun=order.refund_sun,
        energy_used=energy_used,
        energy_fee=energy_fee,
    )
    return None if figures is None else saving_line(lang, figures, made=True)


def confirm_result_lines(
    lang: Lang, order: Order, *, energy_used: int | None, energy_fee: int | None
) -> list[Html]:
    """Charge, refund and net cost of a confirmed order, and the saving made: for the
    manual confirm's reply and the automatic confirm's push alike."""
    lines = money_lines(lang, order)
    saving = saving_made_line(lang, order, energy_used=energy_used, energy_fee=energy_fee)
    if saving is not None:
        lines.append(Html(saving))
    return lines


def total_saving_line(lang: Lang, figures: list[Savings | None]) -> str | None:
    """One line for many confirmed orders: the sum when every one is known."""
    if not figures:
        return None
    if any(f is None for f in figures):
        return t(lang, "confirm.saving_unknown")
    known = [f for f in figures if f is not None]
    fee = known[0].energy_fee
    total = Savings(
        energy=sum(f.energy for f in known),
        energy_fee=fee,
        burn_sun=sum(f.burn_sun for f in known),
        cost_sun=sum(f.cost_sun for f in known),
    )
    return saving_line(lang, total, made=True)
