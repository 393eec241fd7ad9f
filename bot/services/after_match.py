"""After the match: confirming used rentals by themselves, and telling rentals that end.

`AfterMatch.run_cycle()` is what its job runs, one cycle at a time:

1. Claims left unfinished by a stop mid-confirmation are settled from the order's stored
   state (the poller keeps tracking it); such an order is never sent again.
2. `AutoConfirmService` says which orders' energy is used up; each is claimed in the
   database (compare-and-set) *before* its confirmation is sent, then confirmed through
   `OrderService.confirm`, the one action the "Confirm now for a refund" button uses. Its
   per-chat lock puts a press at the same moment before or after it: the second sees
   the order confirmed and sends nothing. The outcome is recorded with its push in one
   transaction.
3. Rentals ending within the lead time are told once (`RentalEndingService`).

Without the chain (reads off) step 2 does nothing: no order is confirmed automatically,
and the manual button stays as it always was.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.chain.errors import ChainError
from bot.chain.models import TRANSFER_ENERGY_TO_HOLDER
from bot.chain.port import ChainReader
from bot.domain import NoticeKind, OrderState
from bot.providers.errors import ProviderError
from bot.services.auto_confirm import (
    DEFAULT_BUDGET_SECONDS,
    AutoConfirmService,
    ConfirmCandidate,
    ConfirmDecision,
    RentalEnd,
    RentalEndingService,
    Verdict,
)
from bot.services.orders import ActionStatus, NotYourOrder, OrderService
from bot.services.sizing import UsageSnapshot
from bot.storage.repository import (
    NewNotification,
    NoticePayload,
    Order,
    Repository,
    Submission,
)

log = logging.getLogger(__name__)

DEFAULT_CONFIRM_TIMEOUT = 60.0  # the provider call, its settlement lookup included
# A claim a stop left unfinished while the order stays active: after this long the poller
# would have seen a confirmation, so the outcome is told as unknown.
UNFINISHED_GRACE_SECONDS = 300.0

# What a claimed confirmation came to (order_after_match.confirm_outcome).
DONE, ALREADY, NOT_ALLOWED, REFUSED, UNKNOWN, CLOSED = (
    "done",
    "already",
    "not_allowed",
    "refused",
    "unknown",
    "closed",
)


def delegated_since(order: Order) -> float:
    """When the rental started, as early as the bot knows it: the provider's end time
    less the duration where it told one, else when the poller saw the match (a transfer
    between the delegation and that poll used the rented energy too)."""
    seen = order.matched_at if order.matched_at is not None else order.created_at
    if order.ends_at is None:
        return seen
    return min(seen, order.ends_at - order.duration_sec)


def candidate(
    order: Order, payee: str | None = None, transfer_energy: int | None = None
) -> ConfirmCandidate | None:
    """`payee` / `transfer_energy`: the transfer its submission was sized for, if any."""
    if order.receiver is None:
        return None
    figure = transfer_energy if payee is not None and (transfer_energy or 0) > 0 else None
    return ConfirmCandidate(
        order_id=order.id,
        chat_id=order.chat_id,
        receiver=order.receiver,
        amount=order.delivered_amount or order.amount,
        matched_at=delegated_since(order),
        ends_at=order.ends_at,
        next_transfer_energy=figure or TRANSFER_ENERGY_TO_HOLDER,
        payee=payee if figure else None,
    )


class _Candidates:
    """The repository as `AutoConfirmStore`: orders of the providers that can confirm."""

    def __init__(self, repo: Repository, orders: OrderService) -> None:
        self._repo = repo
        self._orders = orders

    async def auto_confirm_candidates(self) -> Sequence[ConfirmCandidate]:
        found: list[ConfirmCandidate] = []
        for name in self._orders.provider_names():
            if not self._orders.provider(name).supports_confirm:
                continue
            for row in await self._repo.auto_confirm_orders(name):
                made = candidate(row.order, row.payee, row.transfer_energy)
                if made is not None:
                    found.append(made)
        return found


class _Endings:
    """The repository as `RentalEndingStore`: one push per chat and submission."""

    def __init__(self, repo: Repository) -> None:
        self._repo = repo

    async def matched_rentals_ending_before(self, until: float) -> Sequence[RentalEnd]:
        return [
            RentalEnd(o.id, o.chat_id, o.ends_at, o.submission_id, o.duration_sec)
            for o in await self._repo.matched_rentals_ending_before(until)
            if o.ends_at is not None
        ]

    async def report_endings(self, rentals: Sequence[RentalEnd], now: float) -> list[RentalEnd]:
        by_id = {r.order_id: r for r in rentals}

        def notices(ids: list[int]) -> list[NewNotification]:
            groups: defaultdict[tuple[int, int], list[int]] = defaultdict(list)
            for order_id in ids:
                rental = by_id[order_id]
                groups[(rental.chat_id, rental.submission_id)].append(order_id)
            return [
                NewNotification(
                    chat, NoticeKind.RENTAL_ENDING, NoticePayload(sub, order_ids=tuple(group))
                )
                for (chat, sub), group in groups.items()
            ]

        fresh = await self._repo.report_endings(list(by_id), notices, now)
        return [by_id[i] for i in fresh]


@dataclass
class AfterMatchReport:
    checked: int = 0
    confirmed: int = 0
    failed: int = 0
    endings: int = 0
    errors: list[str] = field(default_factory=list)


def _notice(order: Order, kind: NoticeKind) -> NewNotification:
    return NewNotification(order.chat_id, kind, NoticePayload(order.submission_id, (order.id,)))


class AfterMatch:
    def __init__(
        self,
        repo: Repository,
        orders: OrderService,
        chain: ChainReader | None,
        *,
        ending_lead_seconds: float,
        clock: Callable[[], float],
        call_timeout: float = 15.0,
        confirm_timeout: float = DEFAULT_CONFIRM_TIMEOUT,
        on_notices: Callable[[], None] = lambda: None,
    ) -> None:
        self._repo = repo
        self._orders = orders
        self._clock = clock
        self._confirm_timeout = confirm_timeout
        self.on_notices = on_notices
        self.chain_reads = chain is not None
        self._chain = chain
        self._call_timeout = call_timeout
        self._decider = (
            None
            if chain is None
            else AutoConfirmService(
                chain,
                _Candidates(repo, orders),
                call_timeout=call_timeout,
                # Room for the node's own timeout on each of an order's two calls.
                budget_seconds=max(DEFAULT_BUDGET_SECONDS, 3 * call_timeout),
                clock=clock,
            )
        )
        self._endings = (
            RentalEndingService(_Endings(repo), lead_seconds=ending_lead_seconds, clock=clock)
            if ending_lead_seconds > 0
            else None
        )

    async def run_cycle(self) -> AfterMatchReport:
        report = AfterMatchReport()
        for name, step in (
            ("unfinished", self._settle_unfinished),
            ("auto_confirm", self._auto_confirm),
            ("endings", self._tell_endings),
        ):
            try:
                await step(report)
            except Exception as exc:
                # A failed step (the database, say) leaves the others their turn.
                log.exception("after-match: %s step failed", name)
                report.errors.append(f"{name}:{type(exc).__name__}")
        if report.confirmed or report.failed or report.endings:
            self.on_notices()
        return report

    async def _settle_unfinished(self, report: AfterMatchReport) -> None:
        """A confirmation claimed by an earlier run that stopped before recording how it
        ended: never sent again; its outcome is read from the order once the poller has
        seen it change, or told as unknown if it stays active (the button stays)."""
        now = self._clock()
        for order, claimed_at in await self._repo.unfinished_auto_confirms():
            if order.state is OrderState.CONFIRMED:
                note = _notice(order, NoticeKind.AUTO_CONFIRMED)
                if await self._repo.finish_auto_confirm(order.id, DONE, note, now):
                    report.confirmed += 1
            elif not order.state.is_open:
                await self._repo.finish_auto_confirm(order.id, CLOSED, None, now)
            elif now - claimed_at > UNFINISHED_GRACE_SECONDS:
                note = _notice(order, NoticeKind.AUTO_CONFIRM_FAILED)
                if await self._repo.finish_auto_confirm(order.id, UNKNOWN, note, now):
                    report.failed += 1

    async def _auto_confirm(self, report: AfterMatchReport) -> None:
        if self._decider is None:
            return
        decisions = await self._decider.cycle()
        report.checked += len(decisions)
        for decision in decisions:
            if decision.verdict is not Verdict.CONFIRM:
                continue
            try:
                await self._confirm(decision, report)
            except Exception as exc:
                log.exception("after-match: order %s not confirmed", decision.candidate.order_id)
                report.errors.append(f"confirm:{type(exc).__name__}")

    async def _confirm(self, decision: ConfirmDecision, report: AfterMatchReport) -> None:
        order_id, chat_id = decision.candidate.order_id, decision.candidate.chat_id
        claimed = await self._repo.claim_auto_confirm(
            order_id,
            self._clock(),
            energy_left=decision.energy_left,
            energy_fee=await self._energy_fee(),
        )
        if not claimed:
            return  # claimed before: never sent twice
        log.info(
            "auto-confirm: order %s used (%d transfer(s), %s energy left): confirming",
            order_id,
            decision.transfers_seen,
            decision.energy_left,
        )
        try:
            async with asyncio.timeout(self._confirm_timeout):
                (result,) = await self._orders.confirm(chat_id=chat_id, order_ids=[order_id])
        except (ProviderError, TimeoutError, NotYourOrder) as exc:
            # The answer is lost or refused: the outcome is unknown, so it is not tried
            # again; the user is told and keeps the button while the order is active.
            log.warning("auto-confirm: order %s outcome unknown (%r)", order_id, exc)
            (order,) = await self._repo.orders_by_ids([order_id])
            failed = _notice(order, NoticeKind.AUTO_CONFIRM_FAILED)
            if await self._repo.finish_auto_confirm(order_id, UNKNOWN, failed, self._clock()):
                report.failed += 1
            return
        status = result.status
        note: NewNotification | None
        if status is ActionStatus.DONE:
            note = _notice(result.order, NoticeKind.AUTO_CONFIRMED)
            outcome = DONE
            report.confirmed += 1
        elif status is ActionStatus.REFUSED:
            note, outcome = _notice(result.order, NoticeKind.AUTO_CONFIRM_FAILED), REFUSED
            report.failed += 1
        else:  # confirmed by a press meanwhile, or no longer active: nothing to tell
            note, outcome = None, ALREADY if status is ActionStatus.ALREADY else NOT_ALLOWED
        await self._repo.finish_auto_confirm(order_id, outcome, note, self._clock())

    async def _energy_fee(self) -> int | None:
        """The burn price for the saving shown (the client caches it); None if unread."""
        if self._chain is None:
            return None
        try:
            async with asyncio.timeout(self._call_timeout):
                return await self._chain.energy_fee()
        except (ChainError, TimeoutError) as exc:
            log.info("auto-confirm: burn price not read (%r)", exc)
            return None

    async def usage(self, orders: Sequence[Order]) -> UsageSnapshot:
        """What the saving of automatically confirmed orders is computed from: the
        energy left on each receiver and the burn price, as read before the confirm
        (the same figures the button's reply reads)."""
        figures = await self._repo.auto_confirm_figures([o.id for o in orders])
        left = {
            o.receiver: found[0]
            for o in orders
            if o.receiver and (found := figures.get(o.id)) and found[0] is not None
        }
        fees = [fee for _, fee in figures.values() if fee is not None]
        return UsageSnapshot(fees[0] if fees else None, left)

    async def submission(self, submission_id: int) -> Submission | None:
        """What "Rent again" repeats (None once pruned)."""
        return await self._repo.get_submission(submission_id)

    async def _tell_endings(self, report: AfterMatchReport) -> None:
        if self._endings is not None:
            report.endings += len(await self._endings.due())


class UserSettings:
    """Each user's choices (/settings): automatic confirmation, on unless turned off."""

    def __init__(self, repo: Repository, *, clock: Callable[[], float]) -> None:
        self._repo = repo
        self._clock = clock

    async def auto_confirm(self, user_id: int) -> bool:
        return await self._repo.user_auto_confirm(user_id)

    async def set_auto_confirm(self, user_id: int, enabled: bool) -> None:
        await self._repo.set_user_auto_confirm(user_id, enabled, self._clock())

    async def toggle_auto_confirm(self, user_id: int) -> bool:
        """Switch it and return the new value."""
        enabled = not await self.auto_confirm(user_id)
        await self.set_auto_confirm(user_id, enabled)
        return enabled
