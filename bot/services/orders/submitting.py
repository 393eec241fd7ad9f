"""Submitting: the submission is recorded first, then sent once, its receivers'
progress stored as the adapter reports it. A lost answer is reconciled, never retried."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from bot.domain import ProviderName, SubmissionState
from bot.providers.errors import FailureReason, ProviderError, ProviderUnavailable
from bot.providers.port import EnergyProvider, OrderRequest, ReceiverStatus, SubmitResult
from bot.services.energy_need import SizedTransfer
from bot.services.orders.adapters import Adapters
from bot.services.orders.limits import LimitGuard
from bot.services.orders.outcomes import (
    SHUTDOWN,
    ReceiverReport,
    SubmitOutcome,
    SubmitStatus,
)
from bot.services.orders.progress import StoredProgress, SubmitStopped
from bot.services.orders.queue import CreateQueue, Ticket
from bot.services.orders.receivers import answered, receiver_report
from bot.services.orders.recovery import Recovery
from bot.services.orders.states import move
from bot.storage.repository import Order, Repository, Submission

log = logging.getLogger(__name__)

_SENDING = SubmissionState.SENDING


class SubmitNotSent(Exception):
    """The bot began shutting down while the submission waited in line: nothing was
    recorded and nothing sent."""


class Submitter:
    def __init__(
        self,
        repo: Repository,
        adapters: Adapters,
        recovery: Recovery,
        limits: LimitGuard,
        *,
        clock: Callable[[], float],
        queue: CreateQueue | None = None,
        sent_with: Callable[[EnergyProvider], None] = lambda adapter: None,
    ) -> None:
        self._queue = queue if queue is not None else CreateQueue()
        self._sent_with = sent_with  # an order went out with this adapter's key
        self._repo = repo
        self._limits = limits
        self._adapters = adapters
        self._recovery = recovery
        self._clock = clock

    async def submit(
        self,
        *,
        chat_id: int,
        user_id: int,
        provider: ProviderName,
        request: OrderRequest,
        keep_going: Callable[[], bool] = lambda: True,
        ticket: Ticket | None = None,
        auto_confirm: bool | None = None,
        sized: SizedTransfer | None = None,
    ) -> SubmitOutcome:
        """Wait for the submission's turn in its key's create line, record it, then send
        it once. A lost answer is reconciled, never retried: the history is searched and
        any orders found are adopted.

        `ticket` is the place taken when the user pressed (`join`); without one, the
        place is taken now. `keep_going` is asked when the turn comes and before each
        create request: once it says no (the bot is shutting down), nothing more is sent;
        SubmitNotSent when nothing at all was (nothing is recorded then).

        Raises SpendLimitExceeded, with nothing recorded or sent, when the order would
        break the user's per-order or daily limit: checked before waiting in line, and
        again when the submission is recorded.

        `auto_confirm`: the summary's own choice for these orders (None: the user's
        /settings decide), stored before anything is sent. `sized`: the payee's transfer
        the summary sized the order for, stored with the submission (automatic
        confirmation measures "another transfer" by it)."""
        adapter = self._adapters[provider]
        ticket = ticket if ticket is not None else self._queue.join(adapter, request)
        try:
            await self._limits.check(user_id, request, self._clock())
            await self._queue.wait_turn(ticket)
            if not keep_going():
                raise SubmitNotSent
            async with self._limits.reserve(user_id, request, self._clock()):
                sub = await self._repo.create_submission(
                    chat_id=chat_id,
                    user_id=user_id,
                    provider=provider,
                    key_id=adapter.key_id,
                    amount=request.amount,
                    duration_sec=request.duration_sec,
                    max_price=request.max_price,
                    deadline_sec=request.deadline_sec,
                    receivers=request.receivers,
                    now=self._clock(),
                    payee=None if sized is None else sized.payee,
                    transfer_energy=None if sized is None else sized.energy,
                )
            if auto_confirm is not None:
                await self._repo.set_submission_auto_confirm(sub.id, auto_confirm)
            with self._recovery.held(sub.id):
                return await self._send(sub, adapter, request, keep_going, ticket)
        finally:
            self._queue.done(ticket)

    def join(self, provider: ProviderName, request: OrderRequest) -> Ticket:
        """A place in the create line of `provider`'s key, taken at the press."""
        return self._queue.join(self._adapters[provider], request)

    def leave(self, ticket: Ticket) -> None:
        """Give the place up without submitting (submit gives it up by itself)."""
        self._queue.done(ticket)

    async def _send(
        self,
        sub: Submission,
        adapter: EnergyProvider,
        request: OrderRequest,
        keep_going: Callable[[], bool],
        ticket: Ticket,
    ) -> SubmitOutcome:
        progress = StoredProgress(self._repo, sub, self._clock, keep_going)
        try:
            result: SubmitResult | SubmitStopped | ProviderError = await adapter.submit(
                request, progress
            )
        except (SubmitStopped, ProviderError) as exc:
            result = exc
        finally:
            # The create calls are over: the next in line may go while this one settles
            # (a lost answer's history search included).
            self._queue.done(ticket)
            self._sent_with(adapter)
        if isinstance(result, SubmitStopped):
            return await self._stopped(sub)
        if isinstance(result, ProviderUnavailable) and result.outcome_unknown:
            log.warning("submission %s: outcome unknown (%s); reconciling", sub.id, result.code)
            return await self._lost(sub, result)
        if isinstance(result, ProviderError):
            return await self._failed(sub, result)
        return await self._settle_result(sub, result)

    async def _lost(self, sub: Submission, exc: ProviderError) -> SubmitOutcome:
        """The answer (or a receiver's) was lost: searched for now, never resent."""
        await self._sent(sub, SubmissionState.UNCERTAIN, exc.code)
        return await self._recovery.reconcile_now(sub, exc)

    async def _settle_result(self, sub: Submission, result: SubmitResult) -> SubmitOutcome:
        """The submission's state from its receivers' outcomes (all stored already)."""
        stored = {o.provider_order_id: o for o in await self._repo.orders_of_submission(sub.id)}
        report = [answered(r, stored) for r in result.receivers]
        uncertain = next(
            (r for r in result.receivers if r.status is ReceiverStatus.UNCERTAIN), None
        )
        if uncertain is not None:
            # Never "not ordered" and never resent: looked up where the provider allows,
            # else left unresolved with the receiver recorded (submission_receivers).
            log.warning("submission %s: receiver %s uncertain", sub.id, uncertain.position)
            lost = uncertain.error or ProviderUnavailable(
                sub.provider, "UNKNOWN", outcome_unknown=True
            )
            outcome = await self._lost(sub, lost)
            orders = await self._repo.orders_of_submission(sub.id)
            return replace(outcome, orders=orders, receivers=report)
        # Nothing placed: the error that stopped the loop, else the first refusal.
        failure = result.error or next((r.error for r in result.receivers if r.error), None)
        if not stored and failure is not None:
            return replace(await self._failed(sub, failure), receivers=report)
        log.info("submission %s: %d orders stored", sub.id, len(stored))
        return await self._submitted(sub, list(stored.values()), result.error, report)

    async def _stopped(self, sub: Submission) -> SubmitOutcome:
        """Shutting down between two receivers: no request is in flight, so every
        receiver's outcome is known; those not sent are reported as not attempted."""
        stop = ProviderUnavailable(
            sub.provider, SHUTDOWN, outcome_unknown=False, reason=FailureReason.SHUTTING_DOWN
        )
        report = await receiver_report(self._repo, sub)
        first = next(
            (i for i, r in enumerate(report) if r.status is ReceiverStatus.NOT_ATTEMPTED), None
        )
        if first is not None:
            report[first] = replace(report[first], error=stop)
        orders = await self._repo.orders_of_submission(sub.id)
        if not orders:
            return replace(await self._failed(sub, stop), receivers=report)
        log.info("submission %s: stopped for shutdown after %d orders", sub.id, len(orders))
        return await self._submitted(sub, orders, stop, report)

    async def _submitted(
        self,
        sub: Submission,
        orders: list[Order],
        error: ProviderError | None,
        report: list[ReceiverReport],
    ) -> SubmitOutcome:
        await self._sent(sub, SubmissionState.SUBMITTED)
        return SubmitOutcome(sub, SubmitStatus.SUBMITTED, orders, error, report)

    async def _failed(self, sub: Submission, exc: ProviderError) -> SubmitOutcome:
        await self._sent(sub, SubmissionState.FAILED, exc.code)
        return SubmitOutcome(sub, SubmitStatus.FAILED, [], exc)

    async def _sent(self, sub: Submission, to: SubmissionState, code: str | None = None) -> None:
        """Move the submission on from sending, as the send turned out."""
        await move(self._repo, sub, to, now=self._clock(), expected=_SENDING, error_code=code)
