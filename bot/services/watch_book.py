"""The watched addresses as users set them up (/watch, /unwatch, /watches, /autorent),
and the seams `WatchService` runs on: its store (rows of the repository, each change
written with the push it causes) and its placer (the normal submit path, so the
operator's spend limits apply).

Auto-rent is opt-in per watch and needs both daily budgets (TRX and orders); who may
spend is checked when it is set up and again before every order (`WatchService`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

import pydantic

from bot.domain import NoticeKind, ProviderName
from bot.money import format_trx
from bot.providers.errors import FailureReason, ProviderError
from bot.providers.port import Balance, OrderRequest
from bot.services.alerts import AlertState
from bot.services.auto_rent import (
    AutoRentLedger,
    AutoRentPlan,
    PlaceResult,
    PlaceStatus,
)
from bot.services.energy_need import FEEE_MIN_ENERGY, TRONSAVE_MIN_ENERGY
from bot.services.orders import OrderService, SpendLimitExceeded, SubmitStatus
from bot.services.watch import ActionKind, Watch, WatchAction
from bot.storage.repository import NewNotification, NoticePayload, Repository, WatchedAddress

log = logging.getLogger(__name__)

DEFAULT_MAX_PER_USER = 10
MIN_THRESHOLD = 1
MAX_THRESHOLD = 100_000_000
DEFAULT_THRESHOLD = 65_000  # about one USDT transfer to a holder

PROVIDER_MINIMUM: dict[ProviderName, int] = {
    ProviderName.TRONSAVE: TRONSAVE_MIN_ENERGY,
    ProviderName.FEEE: FEEE_MIN_ENERGY,
}

_PLAN = pydantic.TypeAdapter(AutoRentPlan)
_LEDGER = pydantic.TypeAdapter(AutoRentLedger)

_KINDS: dict[ActionKind, NoticeKind] = {
    ActionKind.ALERT: NoticeKind.WATCH_LOW,
    ActionKind.RECOVERED: NoticeKind.WATCH_RECOVERED,
    ActionKind.AUTO_RENT: NoticeKind.AUTO_RENT,
    ActionKind.AUTO_RENT_STOPPED: NoticeKind.AUTO_RENT_STOPPED,
}


class AddStatus(StrEnum):
    ADDED = "added"
    UPDATED = "updated"  # the chat's watch of that address got the new threshold
    TOO_MANY = "too_many"


class PlanStatus(StrEnum):
    SET = "set"
    NOT_WATCHED = "not_watched"
    NO_PROVIDER = "no_provider"  # no configured provider takes such an order
    OVER_BUDGET = "over_budget"  # one order at the max price already exceeds the TRX budget


@dataclass(frozen=True)
class WatchView:
    """One watch as /watches shows it."""

    row: WatchedAddress
    plan: AutoRentPlan | None
    ledger: AutoRentLedger


def load_plan(text: str | None) -> AutoRentPlan | None:
    if text is None:
        return None
    try:
        return _PLAN.validate_json(text)
    except (pydantic.ValidationError, ValueError):
        log.warning("watch: a stored auto-rent plan is not readable; treated as off")
        return None


def load_ledger(text: str | None) -> AutoRentLedger:
    if text is None:
        return AutoRentLedger()
    try:
        return _LEDGER.validate_json(text)
    except (pydantic.ValidationError, ValueError):
        # Unreadable: the day starts over, but paused, so nothing is ordered blindly.
        log.warning("watch: a stored auto-rent ledger is not readable; paused a day")
        return AutoRentLedger(paused_until=time.time() + 86_400)


def _json(value: AutoRentPlan | AutoRentLedger) -> str:
    adapter: pydantic.TypeAdapter[AutoRentPlan] | pydantic.TypeAdapter[AutoRentLedger]
    adapter = _PLAN if isinstance(value, AutoRentPlan) else _LEDGER
    return adapter.dump_json(value).decode()  # type: ignore[arg-type]


def _to_watch(row: WatchedAddress) -> Watch:
    try:
        state = AlertState(row.alert_state)
    except ValueError:
        state = AlertState.UNKNOWN
    return Watch(
        watch_id=row.id,
        chat_id=row.chat_id,
        user_id=row.user_id,
        address=row.address,
        threshold=row.threshold,
        state=state,
        plan=load_plan(row.plan),
        ledger=load_ledger(row.ledger),
        open_auto_order=row.open_order,
        lang=row.lang,
    )


def _utc(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M")


def notice_of(action: WatchAction) -> NewNotification:
    """The push of one action; its figures are formatted here, rendered at send time."""
    watch = action.watch
    alert: dict[str, str] = {
        "watch_id": str(watch.watch_id),
        "user_id": str(watch.user_id),
        "lang": watch.lang or "",
        "address": watch.address,
        "available": str(action.available),
        "threshold": str(watch.threshold),
    }
    plan = watch.plan
    if plan is not None and action.kind in (ActionKind.AUTO_RENT, ActionKind.AUTO_RENT_STOPPED):
        alert |= {
            "provider": plan.provider,
            "budget": format_trx(plan.daily_budget_sun),
            "daily_orders": str(plan.daily_orders),
        }
    placed = action.placed
    if placed is not None:
        alert |= {"status": placed.status.value, "code": placed.code or ""}
        if placed.submission_id is not None:
            alert["submission"] = str(placed.submission_id)
        if placed.charge_sun is not None:
            alert["charge"] = format_trx(placed.charge_sun)
        if placed.retry_at is not None:
            alert["resets"] = _utc(placed.retry_at)
        if placed.amount:
            alert["amount"] = str(placed.amount)
    if action.stop is not None:
        alert["stop"] = action.stop.value
    return NewNotification(
        watch.chat_id, _KINDS[action.kind], NoticePayload(submission_id=0, alert=alert)
    )


class WatchBook:
    def __init__(
        self,
        repo: Repository,
        orders: OrderService,
        *,
        max_per_user: int = DEFAULT_MAX_PER_USER,
        deadline_sec: int = 300,
        pause_seconds: int = 3_600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_per_user < 1:
            raise ValueError("max_per_user must be at least 1")
        self._repo = repo
        self._orders = orders
        self.max_per_user = max_per_user
        self._deadline = deadline_sec
        self._pause = pause_seconds
        self._clock = clock

    # --- what users set up -----------------------------------------------------------

    async def add(
        self, chat_id: int, user_id: int, address: str, threshold: int, lang: str | None
    ) -> AddStatus:
        row, created = await self._repo.add_watch(
            chat_id=chat_id,
            user_id=user_id,
            address=address,
            threshold=threshold,
            lang=lang,
            max_per_user=self.max_per_user,
            now=self._clock(),
        )
        if row is None:
            return AddStatus.TOO_MANY
        return AddStatus.ADDED if created else AddStatus.UPDATED

    async def of(self, chat_id: int, user_id: int) -> list[WatchView]:
        rows = await self._repo.watches_of(chat_id, user_id)
        return [WatchView(r, load_plan(r.plan), load_ledger(r.ledger)) for r in rows]

    async def find(self, chat_id: int, user_id: int, address: str) -> WatchedAddress | None:
        rows = await self._repo.watches_of(chat_id, user_id)
        return next((r for r in rows if r.address == address), None)

    async def owned(self, watch_id: int, user_id: int) -> WatchedAddress | None:
        """The watch, if it is `user_id`'s (buttons name watches by id)."""
        row = await self._repo.watch_by_id(watch_id)
        return row if row is not None and row.user_id == user_id else None

    async def remove(self, row: WatchedAddress) -> bool:
        return await self._repo.remove_watch(row.id)

    async def set_plan(
        self,
        row: WatchedAddress,
        *,
        amount: int | None,
        duration_sec: int,
        max_price: int,
        daily_budget_sun: int,
        daily_orders: int,
        provider: ProviderName | None = None,
    ) -> tuple[PlanStatus, AutoRentPlan | None]:
        """Turn auto-rent on with this preset (`amount` None: sized before each order).
        Raises ValueError for budgets or values that are not positive."""
        configured = self._orders.provider_names()
        names = [provider] if provider is not None else configured
        chosen = next(
            (
                name
                for name in names
                if name in configured
                and self._takes(name, amount, duration_sec, max_price, row.address)
            ),
            None,
        )
        if chosen is None:
            return PlanStatus.NO_PROVIDER, None
        plan = AutoRentPlan(
            provider=chosen.value,
            amount=PROVIDER_MINIMUM.get(chosen, 1) if amount is None else amount,
            duration_sec=duration_sec,
            max_price=max_price,
            daily_budget_sun=daily_budget_sun,
            daily_orders=daily_orders,
            pause_seconds=self._pause,
            auto_amount=amount is None,
        )
        if plan.max_cost_sun > daily_budget_sun:
            return PlanStatus.OVER_BUDGET, plan
        # What was spent today still counts, so setting a plan again cannot reset the
        # budget; a pause or a stop already told is cleared by it.
        ledger = load_ledger(row.ledger)
        ledger = replace(ledger.on(self._clock()), stopped=None, paused_until=0.0)
        if not await self._repo.set_watch_plan(row.id, _json(plan), _json(ledger)):
            return PlanStatus.NOT_WATCHED, None
        return PlanStatus.SET, plan

    def _takes(
        self, name: ProviderName, amount: int | None, duration: int, price: int, address: str
    ) -> bool:
        """Whether provider `name` takes such an order (`amount` None: any it allows)."""
        minimum = PROVIDER_MINIMUM.get(name, 0)
        if amount is not None and amount < minimum:
            return False
        adapter = self._orders.provider(name)
        request = OrderRequest(amount or minimum, duration, price, (address,), self._deadline)
        return adapter.check_request(request) is None

    async def stop(self, row: WatchedAddress) -> bool:
        """Auto-rent off for this watch; what was spent today stays on the ledger."""
        return await self._repo.set_watch_plan(row.id, None, row.ledger)

    # --- the WatchService's store ------------------------------------------------------

    async def watches(self) -> Sequence[Watch]:
        return [_to_watch(r) for r in await self._repo.all_watches(self._clock())]

    async def save_alert_state(
        self, watch_id: int, state: AlertState, action: WatchAction | None
    ) -> None:
        note = notice_of(action) if action is not None else None
        await self._repo.set_watch_alert_state(watch_id, state.value, note, now=self._clock())

    async def save_ledger(
        self, watch_id: int, ledger: AutoRentLedger, action: WatchAction | None
    ) -> None:
        note = notice_of(action) if action is not None else None
        await self._repo.set_watch_ledger(watch_id, _json(ledger), note, now=self._clock())

    # --- the WatchService's placer and balance -------------------------------------------

    async def place(self, watch: Watch, plan: AutoRentPlan) -> PlaceResult:
        """The preset order through the normal submit path. Never raises for what the
        provider or the limits answer; an outcome not known is UNKNOWN."""
        request = OrderRequest(
            amount=plan.amount,
            duration_sec=plan.duration_sec,
            max_price=plan.max_price,
            receivers=(watch.address,),
            deadline_sec=self._deadline,
        )
        try:
            outcome = await self._orders.submit(
                chat_id=watch.chat_id,
                user_id=watch.user_id,
                provider=ProviderName(plan.provider),
                request=request,
            )
        except SpendLimitExceeded as exc:
            return PlaceResult(
                PlaceStatus.SPEND_LIMIT,
                retry_at=exc.refusal.resets_at,
                code=exc.refusal.kind.value,
                amount=plan.amount,
            )
        sub_id = outcome.submission.id
        if outcome.status in (SubmitStatus.SUBMITTED, SubmitStatus.RECOVERED) and outcome.orders:
            charges = [o.charge_sun for o in outcome.orders]
            known = None if any(c is None for c in charges) else sum(c or 0 for c in charges)
            return PlaceResult(
                PlaceStatus.PLACED,
                charge_sun=known,
                order_ids=tuple(o.id for o in outcome.orders),
                submission_id=sub_id,
                amount=plan.amount,
            )
        if outcome.status is SubmitStatus.FAILED:
            error = outcome.error
            code = _code(error)
            if error is not None and error.reason is FailureReason.INSUFFICIENT_BALANCE:
                return PlaceResult(
                    PlaceStatus.NO_BALANCE, submission_id=sub_id, code=code, amount=plan.amount
                )
            return PlaceResult(
                PlaceStatus.FAILED, submission_id=sub_id, code=code, amount=plan.amount
            )
        # Uncertain or unresolved (or submitted with nothing stored): counted as placed.
        return PlaceResult(PlaceStatus.UNKNOWN, submission_id=sub_id, amount=plan.amount)

    async def provider_balance(self, provider: str) -> int | None:
        for answer in await self._orders.balances():
            if isinstance(answer, Balance) and answer.provider.value == provider:
                return answer.balance_sun
        return None  # not known: the submit path refuses what the balance cannot pay


def _code(error: ProviderError | None) -> str:
    if error is None:
        return ""
    return error.reason.value
