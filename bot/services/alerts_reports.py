"""Operator alerts that report on orders: those whose outcome stayed unknown, and the
daily summary of the previous UTC day. Both are queued through the outbox with the
stored state that makes them once-only, in one transaction (bot/storage/operator_alerts).

Unknown outcomes: a submission the recovery gave up on (unresolved: the provider could
not tell, the search could not finish, or a crash cut it short), one still uncertain or
sending long after it was made, and an order still in a status the docs do not list.
Each is alerted once; those found in one check go out as one grouped alert (at most
UNKNOWN_SHOWN of them; the rest follow in the next checks).

The daily summary counts the orders created on the previous UTC day: orders, TRX
charged, refunded and net, overall, per provider and per user (the busiest
SUMMARY_USERS; the rest as "+N more"). A figure not known yet is counted as pending,
never as 0. The day summarised is stored, so a restart never sends it twice.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from typing import Final

from bot.domain import NoticeKind, SubmissionState
from bot.providers.port import ReceiverStatus
from bot.services.history import Figure, Totals, utc_day
from bot.services.orders.receivers import receiver_report
from bot.services.orders.states import missing
from bot.storage.repository import NewNotification, NoticePayload, Order, Repository, Submission

UNKNOWN_AFTER: Final = 3600.0  # an uncertain submission or unknown order older than this
UNKNOWN_SHOWN: Final = 10  # entries per grouped alert
RECEIVERS_SHOWN: Final = 3  # addresses per entry; the rest counted
SUMMARY_USERS: Final = 15  # users listed in the daily summary
SUBMISSION_PREFIX: Final = "unknown:submission:"
ORDER_PREFIX: Final = "unknown:order:"
SUMMARY_KEY: Final = "daily_summary"
_GAVE_UP: Final = (SubmissionState.UNRESOLVED,)
_STILL_OPEN: Final = (SubmissionState.UNCERTAIN, SubmissionState.SENDING)


def _utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M")


def encode_figure(value: Figure) -> str:
    return f"{value.sun},{value.pending},{value.known}"


def decode_figure(text: str) -> Figure:
    """A stored figure; anything unreadable reads as one pending figure."""
    try:
        sun, pending, known = (int(part) for part in text.split(","))
    except ValueError:
        return Figure(0, 1, 0)
    return Figure(sun, pending, known)


def encode_totals(totals: Totals) -> str:
    figures = (totals.charge, totals.refund, totals.net)
    return ";".join([str(totals.orders), *(encode_figure(f) for f in figures)])


def decode_totals(text: str) -> Totals:
    parts = text.split(";")
    if len(parts) != 4 or not parts[0].isdecimal():
        return Totals()
    charge, refund, net = (decode_figure(p) for p in parts[1:])
    return Totals(int(parts[0]), charge, refund, net)


@dataclass(frozen=True)
class _Entry:
    key: str
    fields: dict[str, str]


class ReportAlerts:
    def __init__(
        self,
        repo: Repository,
        chat_id: int,
        *,
        clock: Callable[[], float] = time.time,
        unknown_after: float = UNKNOWN_AFTER,
    ) -> None:
        self._repo = repo
        self.chat_id = chat_id
        self._clock = clock
        self._unknown_after = unknown_after

    def _note(self, kind: NoticeKind, alert: dict[str, str]) -> NewNotification:
        return NewNotification(self.chat_id, kind, NoticePayload(submission_id=0, alert=alert))

    # -- unknown outcomes ---------------------------------------------------------------

    async def check_unknown(self) -> int:
        """Queue one grouped alert for the unknown outcomes not alerted yet; returns how
        many it lists (0: nothing queued)."""
        now = self._clock()
        before = now - self._unknown_after
        gave_up = await self._repo.unalerted_submissions(
            _GAVE_UP, created_before=now + 1, prefix=SUBMISSION_PREFIX
        )
        stale = await self._repo.unalerted_submissions(
            _STILL_OPEN, created_before=before, prefix=SUBMISSION_PREFIX
        )
        orders = await self._repo.unalerted_unknown_orders(
            created_before=before, prefix=ORDER_PREFIX
        )
        subs = sorted([*gave_up, *stale], key=lambda s: s.id)
        total = len(subs) + len(orders)
        if not total:
            return 0
        entries = [await self._submission_entry(s) for s in subs[:UNKNOWN_SHOWN]]
        entries += [_order_entry(o) for o in orders[: UNKNOWN_SHOWN - len(entries)]]
        alert = {"count": str(len(entries)), "more": str(total - len(entries))}
        for index, entry in enumerate(entries):
            alert.update({f"{index}.{name}": value for name, value in entry.fields.items()})
        note = self._note(NoticeKind.UNKNOWN_OUTCOMES, alert)
        await self._repo.mark_alerted({e.key: "alerted" for e in entries}, note, now=now)
        return len(entries)

    async def _submission_entry(self, sub: Submission) -> _Entry:
        own = await self._repo.orders_of_submission(sub.id)
        unknown = await _unknown_receivers(self._repo, sub, own)
        shown = unknown[:RECEIVERS_SHOWN]
        return _Entry(
            f"{SUBMISSION_PREFIX}{sub.id}",
            {
                "what": "submission",
                "id": str(sub.id),
                "provider": sub.provider.value,
                "chat": str(sub.chat_id),
                "user": str(sub.user_id),
                "amount": str(sub.amount),
                "receivers": str(len(sub.receivers)),
                "ordered": str(len(own)),
                "unknown": str(len(unknown)),
                "addresses": " ".join(shown),
                "addresses_more": str(len(unknown) - len(shown)),
                "state": sub.state.value,
                "code": sub.error_code or "",
                "created": _utc(sub.created_at),
            },
        )

    # -- the daily summary --------------------------------------------------------------

    async def check_daily_summary(self) -> bool:
        """Queue the previous UTC day's summary unless it was queued already."""
        now = self._clock()
        day = utc_day(now) - timedelta(days=1)
        done = await self._repo.alert_state(SUMMARY_KEY)
        if done is not None and done >= day.isoformat():
            return False
        alert = await self.summary(day)
        # The first check of a new bot says nothing of a day without orders (there was no
        # bot to summarise); from then on every day is summarised, empty ones too.
        busy = decode_totals(alert["all"]).orders > 0
        return await self._repo.change_alert_state(
            SUMMARY_KEY,
            day.isoformat(),
            self._note(NoticeKind.DAILY_SUMMARY, alert),
            now=now,
            first=busy,
        )

    async def summary(self, day: date) -> dict[str, str]:
        """The day's figures as the alert carries them (see operator_render)."""
        start = datetime.combine(day, day_time(0), UTC).timestamp()
        rows = await self._repo.orders_created_between(start, start + 86_400)
        overall = Totals()
        providers: defaultdict[str, Totals] = defaultdict(Totals)
        users: defaultdict[int, Totals] = defaultdict(Totals)
        for row in rows:
            overall = overall.add(row.order)
            providers[row.order.provider.value] = providers[row.order.provider.value].add(
                row.order
            )
            users[row.user_id] = users[row.user_id].add(row.order)
        alert = {"day": day.isoformat(), "all": encode_totals(overall)}
        for name, totals in sorted(providers.items()):
            alert[f"p.{name}"] = encode_totals(totals)
        busiest = sorted(users.items(), key=lambda item: (-item[1].charge.sun, item[0]))
        for user_id, totals in busiest[:SUMMARY_USERS]:
            alert[f"u.{user_id}"] = encode_totals(totals)
        alert["users_more"] = str(max(0, len(busiest) - SUMMARY_USERS))
        return alert


def _order_entry(order: Order) -> _Entry:
    return _Entry(
        f"{ORDER_PREFIX}{order.id}",
        {
            "what": "order",
            "id": str(order.id),
            "provider": order.provider.value,
            "chat": str(order.chat_id),
            "provider_order_id": order.provider_order_id,
            "amount": str(order.amount),
            "status": order.raw_status or "",
            "created": _utc(order.created_at),
        },
    )


async def _unknown_receivers(repo: Repository, sub: Submission, own: list[Order]) -> list[str]:
    """The receivers whose order may or may not exist: by their stored progress where
    the submission has it (one request per receiver), otherwise every one without an
    order (one request for all)."""
    if await repo.receiver_records(sub.id):
        report = await receiver_report(repo, sub)
        return [r.receiver or "?" for r in report if r.status is ReceiverStatus.UNCERTAIN]
    return sorted(Counter(missing(sub, own)).elements())


def summary_groups(alert: Mapping[str, str], prefix: str) -> list[tuple[str, Totals]]:
    """The summary's groups of one kind (`p.` providers, `u.` users), in stored order."""
    return [
        (key[len(prefix) :], decode_totals(value))
        for key, value in alert.items()
        if key.startswith(prefix)
    ]
