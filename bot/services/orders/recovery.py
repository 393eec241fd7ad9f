"""Submissions whose answer was lost: searched for in the provider's history, never
resent. Orders found are adopted with a push per batch, and searching goes on until
every receiver is accounted for or the recovery window closes; "nothing was created"
is said only after a search of the whole window that found nothing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bot.domain import NoticeKind, SubmissionState
from bot.providers.errors import ProviderError
from bot.services.orders.adapters import Adapters
from bot.services.orders.convert import submission_query
from bot.services.orders.outcomes import SubmitOutcome, SubmitStatus
from bot.services.orders.states import (
    missing,
    move,
    receivers_note,
    recovered_note,
    with_timing,
)
from bot.services.reconcile_turns import ReconcileTurns
from bot.storage.repository import NewNotification, NewOrder, Repository, Submission

log = logging.getLogger(__name__)

_UNCERTAIN = SubmissionState.UNCERTAIN


@dataclass(frozen=True)
class _Found:
    """Orders to adopt from one search, and whether every receiver is then accounted for."""

    orders: list[NewOrder]
    complete: bool


class Recovery:
    def __init__(
        self,
        repo: Repository,
        adapters: Adapters,
        *,
        clock: Callable[[], float],
        recovery_window: float,
        sending_stale_after: float,
        reconcile_budget: float,
    ) -> None:
        self._repo = repo
        self._adapters = adapters
        self._clock = clock
        self._recovery_window = recovery_window
        self._sending_stale_after = sending_stale_after
        self._turns = ReconcileTurns(reconcile_budget)
        # Submissions a handler of this process holds right now (sending, or searching
        # after a lost answer): the poller leaves them alone, however long the loop, so
        # the user hears the handler's reply before any push.
        self._in_hand: set[int] = set()
        self._started_at = clock()

    @contextlib.contextmanager
    def held(self, submission_id: int) -> Iterator[None]:
        """The handler holds the submission meanwhile: the poller does not search it."""
        self._in_hand.add(submission_id)
        try:
            yield
        finally:
            self._in_hand.discard(submission_id)

    # -- right after a lost answer, in the handler -------------------------------------

    async def reconcile_now(self, sub: Submission, exc: ProviderError) -> SubmitOutcome:
        """One search right after a lost answer, within the reconcile budget. Orders found
        for only some receivers are adopted with a push and the rest searched for later."""
        if exc.timing is not None:
            timing = exc.timing
            sub = await with_timing(
                self._repo,
                sub,
                sent_at=timing.sent_at,
                answer_by=timing.answer_by,
                offset_low=timing.offset_low,
                offset_high=timing.offset_high,
            )
        try:
            async with asyncio.timeout(self._turns.budget):
                found = await self._recover(sub)
        except (ProviderError, TimeoutError) as lookup_error:
            code = lookup_error.code if isinstance(lookup_error, ProviderError) else "BUDGET"
            log.warning("submission %s: history lookup failed: %s", sub.id, code)
            return SubmitOutcome(sub, SubmitStatus.UNCERTAIN, [], exc)
        if found is None:
            await self._end(sub, SubmissionState.UNRESOLVED, self._clock(), code=exc.code)
            return SubmitOutcome(sub, SubmitStatus.UNRESOLVED, [], exc)
        if found.complete:
            await self._repo.adopt_orders(sub, found.orders, now=self._clock(), complete=True)
            orders = await self._repo.orders_of_submission(sub.id)
            return SubmitOutcome(sub, SubmitStatus.RECOVERED, orders, exc)
        if found.orders:
            # Some receivers only: the reply says the outcome is still open; the push
            # names what was found.
            await self._adopt(sub, found, self._clock())
        return SubmitOutcome(sub, SubmitStatus.UNCERTAIN, [], exc)

    # -- every poll cycle ---------------------------------------------------------------

    async def reconcile_submissions(self) -> None:
        """Settle submissions whose answer was lost, including those a crash interrupted,
        within the cycle's time budget (least recently tried first; the rest wait for the
        next cycle). Then the user is told which receivers were found and which not."""
        pending = [
            sub
            for sub in await self._repo.submissions_in(
                [SubmissionState.SENDING, SubmissionState.UNCERTAIN]
            )
            # Searched only with the key it was placed with: another key's history is
            # another account's orders.
            if self._adapters.for_submission(sub) is not None and sub.id not in self._in_hand
        ]
        turns = self._turns.start_cycle(pending)
        for index, turn in enumerate(turns):
            if not self._turns.can_start():
                log.info("reconcile budget spent; %d submission(s) wait", len(turns) - index)
                return
            sub = await self._take(turn, self._clock())
            if sub is not None:
                await self._search(sub)

    async def _take(self, sub: Submission, now: float) -> Submission | None:
        """The submission to search this cycle, or None to leave it. One a crash left
        sending becomes uncertain: it went out after the record and acted by now."""
        if sub.state is not SubmissionState.SENDING:
            return sub
        if sub.created_at >= self._started_at and (
            now - sub.created_at < self._sending_stale_after
        ):
            return None  # just recorded by this process; its handler is about to hold it
        if not await move(self._repo, sub, _UNCERTAIN, now=now, expected=SubmissionState.SENDING):
            return None
        return await with_timing(self._repo, sub, sent_at=sub.created_at, answer_by=now)

    async def _search(self, sub: Submission) -> None:
        self._turns.tried(sub)
        found: _Found | None
        try:
            async with asyncio.timeout(max(self._turns.remaining(), 0.0)):
                found = await self._recover(sub)
        except ProviderError as exc:
            log.warning("submission %s: history search not finished: %s", sub.id, exc.code)
            await self._close_unknown(sub, self._clock(), exc.code)
            return
        except TimeoutError:
            # Cut by this cycle's budget: it goes on next cycle, past the window too,
            # but not forever.
            log.info("submission %s: history search continues next cycle", sub.id)
            now = self._clock()
            if now - sub.created_at > 2 * self._recovery_window:
                await self._close_unknown(sub, now, "BUDGET")
            return
        if found is None and await self.settle_interrupted(sub, self._clock()):
            return  # no lookup possible, but its receivers' progress was recorded
        await self._settle_reconciled(sub, found, self._clock())

    async def _recover(self, sub: Submission) -> _Found | None:
        """What the provider's history adds to the submission: per receiver not yet
        accounted for, the oldest candidate no submission owns. Once some of its orders are
        known, only orders of the same create request (request_id) are taken; before that,
        only the oldest request's. None: the provider cannot tell."""
        candidates = await self._adapters[sub.provider].recover(submission_query(sub))
        if candidates is None:
            return None
        own = await self._repo.orders_of_submission(sub.id)
        own_ids = {o.provider_order_id for o in own}
        taken = await self._repo.known_provider_ids(
            sub.provider, [o.provider_order_id for o in candidates]
        )
        own_groups = {c.request_id for c in candidates if c.provider_order_id in own_ids}
        own_groups.discard(None)
        free = [c for c in candidates if c.provider_order_id not in taken]
        if own_groups:
            free = [c for c in free if c.request_id in own_groups]
        elif free and free[0].request_id is not None:
            free = [c for c in free if c.request_id == free[0].request_id]
        wanted = missing(sub, own)
        picked: list[NewOrder] = []
        for order in free:
            receiver = order.receiver or ""
            if wanted[receiver] > 0:
                wanted[receiver] -= 1
                picked.append(order)
        return _Found(picked, complete=not +wanted)

    async def _end(
        self,
        sub: Submission,
        to: SubmissionState,
        now: float,
        *,
        code: str | None = None,
        notify: NoticeKind | NewNotification | None = None,
    ) -> None:
        """Move an uncertain submission on (compare-and-set, with its push)."""
        await move(
            self._repo, sub, to, now=now, expected=_UNCERTAIN, error_code=code, notify=notify
        )

    def _window_closed(self, sub: Submission, now: float) -> bool:
        return now - sub.created_at > self._recovery_window

    async def _adopt(self, sub: Submission, found: _Found, now: float) -> None:
        added = await self._repo.adopt_orders(
            sub,
            found.orders,
            now=now,
            complete=found.complete,
            notify=lambda new: recovered_note(sub, new),
        )
        log.info("submission %s: adopted %d orders from history", sub.id, len(added))

    async def _close_unknown(self, sub: Submission, now: float, code: str) -> None:
        """A search that could not finish: nothing to conclude, unless the window closed,
        when the user is told the outcome is unknown for every receiver not found."""
        if not self._window_closed(sub, now):
            return
        own = await self._repo.orders_of_submission(sub.id)
        await self._end(
            sub,
            SubmissionState.UNRESOLVED,
            now,
            code="SEARCH_INCOMPLETE",
            notify=receivers_note(sub, NoticeKind.RECOVERY_UNKNOWN, own),
        )
        log.warning("submission %s: window closed with the search unfinished (%s)", sub.id, code)

    async def _settle_reconciled(self, sub: Submission, found: _Found | None, now: float) -> None:
        if found is None:
            await self._end(sub, SubmissionState.UNRESOLVED, now, notify=NoticeKind.UNRESOLVED)
            return
        if found.orders:
            await self._adopt(sub, found, now)
        if found.complete or not self._window_closed(sub, now):
            return
        own = await self._repo.orders_of_submission(sub.id)
        if not own:
            await self._end(
                sub, SubmissionState.FAILED, now, code="NOT_CREATED", notify=NoticeKind.NOT_CREATED
            )
            return
        # Found for some receivers only, after searching the whole window every time.
        await self._end(
            sub,
            SubmissionState.SUBMITTED,
            now,
            code="PARTLY_FOUND",
            notify=receivers_note(sub, NoticeKind.RECOVERY_PARTIAL, own),
        )

    async def settle_interrupted(self, sub: Submission, now: float) -> bool:
        """Settle a submission a crash left half-sent at a provider that cannot look
        orders up: it becomes unresolved and the chat is told, receiver by receiver, what
        is known (see `receiver_report`). False when no receiver progress was recorded
        (e.g. a provider sending all receivers in one request): the caller goes on."""
        if not await self._repo.receiver_records(sub.id):
            return False
        await self._end(
            sub, SubmissionState.UNRESOLVED, now, code="INTERRUPTED", notify=NoticeKind.INTERRUPTED
        )
        log.warning("submission %s: interrupted; the chat is told what is known", sub.id)
        return True
