"""Delivering queued push messages (the outbox) to Telegram.

The poller only writes notices; this dispatcher renders each one in the submitter's
language at send time and marks it sent.

Delivery is at-least-once. A lost push is worse than a repeated one: a repeated match
push only shows its (idempotent) Confirm buttons twice, a lost one leaves a rental
running that the user does not know to confirm. So a send that timed out
(`TimedOut`: Telegram may or may not have shown it) is retried - not at once, but after
a backoff, counted against the notice's bounded attempts, and logged as a possible
repeat. A crash between Telegram accepting a message and it being marked sent is the
other window in which a part could repeat.

A long push goes out as several messages (each within Telegram's limit, buttons under
the last); the number of parts already accepted is stored, so a retry resumes after
them. A refusal the bot can fix (too long, bad HTML, bad keyboard) is answered by a
simpler rendering; the level that worked is stored with the notice. Anything else that
goes wrong - any exception - costs one attempt of that notice only; after
`MAX_ATTEMPTS` it is parked as failed (kept, logged, counted), never retried forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import html
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from bot.domain import NoticeKind, OrderState
from bot.i18n import Html, Lang, resolve_lang, t
from bot.services.orders import ActionReport, ActionStatus
from bot.services.runtime import Runtime
from bot.storage.repository import Notification, Order, Submission
from bot.telegram import keyboards
from bot.telegram.context import Context
from bot.telegram.handlers.orders import confirm_result_line
from bot.telegram.long_text import TELEGRAM_LIMIT, chunk_lines, plain, split_text
from bot.telegram.operator_render import OPERATOR_KINDS, operator_text
from bot.telegram.render import (
    money_lines,
    num,
    order_line,
    provider_name,
    short_address,
    utc_time,
)
from bot.telegram.send_pacing import background_sends
from bot.telegram.submit_report import receiver_lines
from bot.telegram.watch_render import WATCH_KINDS, render_watch

log = logging.getLogger(__name__)

_BATCH = 200
_PARALLEL = 30  # send_pacing paces the actual sends; this only bounds memory
_MAX_BUTTONS = 10  # per-order Confirm buttons; Confirm-all covers the rest
MAX_ATTEMPTS: Final = 12  # with the backoff below about 2.5 h: rides out a short outage
_BACKOFF_BASE = 15.0
_BACKOFF_MAX = 1800.0
_IDLE_WAKE = 60.0  # look for due retries at least this often
# Rendering levels, tried in turn when Telegram refuses one for a reason we can fix.
FULL, COMPACT, PLAIN = 0, 1, 2
_LIMITS: Final = {FULL: TELEGRAM_LIMIT, COMPACT: TELEGRAM_LIMIT // 2, PLAIN: TELEGRAM_LIMIT // 2}
# Fragments of Telegram's 400 descriptions that a different rendering can cure.
_FIXABLE: Final = (
    "message is too long",
    "can't parse entities",
    "entities",
    "reply markup",
    "button_data_invalid",
    "button",
    "keyboard",
)


@dataclass(frozen=True)
class Rendered:
    parts: list[str]  # one message each, every one within Telegram's limit
    markup: InlineKeyboardMarkup | None  # goes under the last part
    html: bool = True


def backoff(attempts: int) -> float:
    """Seconds before try number `attempts + 1`."""
    return float(min(_BACKOFF_BASE * 2 ** max(attempts - 1, 0), _BACKOFF_MAX))


def fixable(exc: BadRequest) -> bool:
    message = exc.message.lower()
    return any(fragment in message for fragment in _FIXABLE)


async def render(  # noqa: PLR0911 (one return per kind of notice)
    rt: Runtime, note: Notification, level: int = FULL
) -> Rendered:
    payload, kind = note.payload, note.kind
    if payload is None or kind is None:
        raise ValueError(f"push {note.id}: a kind or payload this version cannot read")
    if kind in OPERATOR_KINDS:
        text = await operator_text(rt, note, kind)
        if level >= PLAIN:
            return Rendered(split_text(plain(text), limit=_LIMITS[PLAIN]), None, html=False)
        return Rendered(split_text(text, limit=_LIMITS[level]), None)
    if kind in WATCH_KINDS:
        watch_lang, text, watch_markup = await render_watch(rt, note, kind)
        if level >= PLAIN:
            if watch_markup is not None:
                text += "\n\n" + t(watch_lang, "autorent.stop_hint")
            return Rendered(split_text(plain(text), limit=_LIMITS[PLAIN]), None, html=False)
        return Rendered(split_text(text, limit=_LIMITS[level]), watch_markup)
    subject = await rt.notices.subject(payload)
    sub, orders = subject.submission, subject.orders
    lang: Lang = resolve_lang(subject.language, None) if sub is not None else "en"
    if kind is NoticeKind.INTERRUPTED and sub is not None:
        title, report = await interrupted_lines(rt, lang, sub)
        parts = chunk_lines(report, header=title, limit=_LIMITS[level])
        if level >= PLAIN:
            return Rendered([plain(p) for p in parts], None, html=False)
        return Rendered(parts, None)
    lines = Html("\n".join(await _order_lines(rt, lang, kind, orders)))
    text = t(
        lang,
        f"push.{kind.value}",
        orders=lines,
        submission=payload.submission_id,
        found=_addresses(lang, payload.found),
        missing=_addresses(lang, payload.missing),
    )
    markup = _buttons(
        rt, lang, note.chat_id, orders, subject.submission_orders, sub.id if sub else None, level
    )
    if kind is NoticeKind.RENTAL_ENDING and sub is not None:
        markup = with_rent_again(rt, lang, note.chat_id, sub.id, markup)
    if level >= PLAIN:
        if markup is not None:
            text += "\n\n" + t(lang, "push.buttons_unavailable")
        return Rendered(split_text(plain(text), limit=_LIMITS[PLAIN]), None, html=False)
    return Rendered(split_text(text, limit=_LIMITS[level]), markup)


async def interrupted_lines(rt: Runtime, lang: Lang, sub: Submission) -> tuple[str, list[str]]:
    """A submission a crash cut short: a title, then every receiver by outcome (the
    uncertain ones have no order to list in /orders, so none is left out)."""
    title = t(lang, "push.interrupted", submission=sub.id)
    return title, receiver_lines(lang, sub.provider, await rt.orders.receiver_report(sub))


_MAX_ADDRESSES = 100  # every receiver of an order; a long push is split into parts


def _addresses(lang: Lang, addresses: Sequence[str] | None) -> Html:
    """Receivers named by a search-ended notice, one per line, the rest counted."""
    items = list(addresses or ())
    if not items:
        return Html(t(lang, "push.none"))
    lines = [f"<code>{html.escape(a)}</code>" for a in items[:_MAX_ADDRESSES]]
    if len(items) > _MAX_ADDRESSES:
        lines.append(t(lang, "push.more", count=len(items) - _MAX_ADDRESSES))
    return Html("\n".join(lines))


async def _order_lines(
    rt: Runtime, lang: Lang, kind: NoticeKind, orders: list[Order]
) -> list[str]:
    if kind is not NoticeKind.AUTO_CONFIRMED:
        return _shared_lines(lang, kind, orders) or [_detail(lang, kind, o) for o in orders]
    # The manual Confirm's result for each order: refund, net cost, saving made.
    usage = await rt.after_match.usage(orders) if rt.after_match is not None else None
    return [confirm_result_line(lang, ActionReport(o, ActionStatus.DONE), usage) for o in orders]


# The state each push announces: orders in it that are still there share it.
_ANNOUNCED: Final = {
    NoticeKind.MATCHED: OrderState.MATCHED,
    NoticeKind.EXPIRED: OrderState.EXPIRED,
    NoticeKind.COMPLETED: OrderState.COMPLETED,
    NoticeKind.CANCELLED: OrderState.CANCELLED,
    NoticeKind.FAILED: OrderState.FAILED,
}


def _shared_lines(lang: Lang, kind: NoticeKind, orders: list[Order]) -> list[str] | None:
    """Orders of one submission share provider and amount, and in their push its state:
    said once above the list, each line then names the order and its receiver only (100
    receivers fit one message). None when the orders differ (states moved on since)."""
    state = _ANNOUNCED.get(kind)
    if state is None or len(orders) < 2:
        return None
    first = orders[0]
    if any(
        o.provider is not first.provider or o.amount != first.amount or o.state is not state
        for o in orders
    ):
        return None
    head = t(
        lang,
        "push.shared",
        count=len(orders),
        provider=provider_name(lang, first.provider),
        amount=num(first.amount),
    )
    return [head, *(_detail(lang, kind, o, shared=True) for o in orders)]


def _detail(lang: Lang, kind: NoticeKind, order: Order, *, shared: bool = False) -> str:
    line = (
        t(lang, "push.order", id=order.id, receiver=short_address(order.receiver))
        if shared
        else order_line(lang, order)
    )
    parts: list[str] = [line]
    if kind is NoticeKind.RENTAL_ENDING and order.ends_at is not None:
        parts.append(t(lang, "push.rental_ends_at", at=utc_time(order.ends_at)))
    if kind is NoticeKind.MATCHED and order.delegate_txid:
        parts.append(
            t(
                lang,
                "push.delivery",
                receiver=short_address(order.receiver),
                amount=num(order.delivered_amount or order.amount),
                txid=order.delegate_txid,
            )
        )
    if kind in (NoticeKind.CANCELLED, NoticeKind.EXPIRED, NoticeKind.FAILED):
        parts.extend(money_lines(lang, order))
    return "\n".join(parts)


def _buttons(  # noqa: PLR0917 (one private call site)
    rt: Runtime,
    lang: Lang,
    chat_id: int,
    orders: list[Order],
    submission_orders: list[Order],
    submission_id: int | None,
    level: int,
) -> InlineKeyboardMarkup | None:
    """Confirm buttons for at most `_MAX_BUTTONS` orders of this push, and one
    Confirm-all for every confirmable order of the submission."""
    confirmable = [o for o in orders if rt.orders.can_confirm(o)]
    in_submission = [o for o in submission_orders if rt.orders.can_confirm(o)]
    rows: list[list[InlineKeyboardButton]] = []
    all_button = len(in_submission) > 1 and submission_id is not None
    if level == FULL or not all_button:
        rows = [
            [keyboards.confirm_order(lang, rt.callback_secret, chat_id, o.id)]
            for o in confirmable[:_MAX_BUTTONS]
        ]
    if all_button and confirmable and submission_id is not None:
        rows.append(
            [
                keyboards.confirm_all(
                    lang, rt.callback_secret, chat_id, submission_id, len(in_submission)
                )
            ]
        )
    return InlineKeyboardMarkup(rows) if rows else None


def with_rent_again(
    rt: Runtime, lang: Lang, chat_id: int, submission_id: int, markup: InlineKeyboardMarkup | None
) -> InlineKeyboardMarkup:
    """A rental-ending notice's buttons: its Confirm buttons, then "Rent again"."""
    rows = [list(row) for row in markup.inline_keyboard] if markup is not None else []
    rows.append([keyboards.rent_again(lang, rt.callback_secret, chat_id, submission_id)])
    return InlineKeyboardMarkup(rows)


class OutboxDispatcher:
    """Sends queued notices whenever the poller signals, at start-up, and when a
    deferred retry falls due."""

    def __init__(self, rt: Runtime, bot: Bot, *, clock: Callable[[], float] = time.time) -> None:
        self._rt = rt
        self._bot = bot
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self.failed = 0  # parked this run (the database keeps the total)
        self.rerendered = 0
        self._held: dict[int, float] = {}  # notice id -> not before (when the db failed)

    def start(self) -> None:
        self._rt.outbox_ready.set()
        self._task = asyncio.create_task(self._run(), name="outbox-dispatcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            wait = _IDLE_WAKE
            with contextlib.suppress(Exception):
                due = await self._rt.notices.next_try()
                if due is not None:
                    wait = min(wait, max(due - self._clock(), 0.05))
            if self._held:
                wait = max(wait, 1.0)  # held notices look due to the database
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._rt.outbox_ready.wait(), timeout=wait)
            self._rt.outbox_ready.clear()
            try:
                await self.drain()
            except Exception:
                log.exception("outbox drain failed; retrying on the next signal")
                await asyncio.sleep(1.0)

    async def drain(self) -> int:
        """One pass over every notice that is due; returns how many were handled (sent
        or given up). Notices that failed for a passing reason wait for their next try."""
        handled = 0
        after = 0
        gate = asyncio.Semaphore(_PARALLEL)

        async def one(note: Notification) -> bool:
            async with gate:
                try:
                    done = await self._deliver(note)
                except Exception:  # e.g. the database write after a send (disk full)
                    log.exception("push %s: delivery failed", note.id)
                    # The database may not take the deferral either: hold the notice here,
                    # so a push Telegram accepted is not re-sent on every wake-up.
                    self._held[note.id] = self._clock() + backoff(note.attempts + 1)
                    return False
                self._held.pop(note.id, None)
                return done

        now = self._clock()
        self._held = {i: until for i, until in self._held.items() if until > now}
        while notes := await self._rt.notices.due(_BATCH, after_id=after, now=now):
            handled += sum(
                await asyncio.gather(*(one(n) for n in notes if n.id not in self._held))
            )
            after = notes[-1].id
        return handled

    async def _deliver(self, note: Notification) -> bool:
        """True if handled (sent, dropped or parked); False if deferred to a later try."""
        notices = self._rt.notices
        if await notices.chat_blocked(note.chat_id):
            await notices.drop(note.id, "blocked")
            return True
        level, start = note.render_level, note.parts_sent
        for _ in range(8):  # levels and chat migrations, each at most a few times
            try:
                rendered = await render(self._rt, note, level)
            except Exception as exc:
                log.exception("push %s could not be rendered", note.id)
                return await self._attempt_failed(note, f"render: {exc!r}")
            if start and note.parts and level == note.render_level:
                # Resume with the texts already half sent: a fresh rendering may split
                # differently (states changed) and skip or repeat lines.
                rendered = dataclasses.replace(rendered, parts=list(note.parts))
            try:
                await self._send(note, rendered, level, start)
            except ChatMigrated as exc:
                note = await self._migrated(note, int(exc.new_chat_id))
                continue  # re-rendered: buttons are signed for the new id
            except BadRequest as exc:
                if fixable(exc) and level < PLAIN:
                    log.warning("push %s refused (%s); sending it simpler", note.id, exc.message)
                    level, start = level + 1, 0  # repeat earlier parts rather than lose any
                    self.rerendered += 1
                    continue
                return await self._park(note, f"bad_request: {exc.message}")
            except Exception as exc:
                return await self._send_failed(note, exc)
            await self._rt.notices.sent(note.id, now=self._clock())
            return True
        return await self._park(note, "no rendering was accepted")

    async def _migrated(self, note: Notification, new_id: int) -> Notification:
        log.info("chat %s became supergroup %s; moving its orders", note.chat_id, new_id)
        await self._rt.chats.migrate(note.chat_id, new_id)
        return dataclasses.replace(note, chat_id=new_id)

    async def _send_failed(self, note: Notification, exc: Exception) -> bool:
        notices = self._rt.notices
        if isinstance(exc, Forbidden):
            log.info("chat %s blocked the bot; its pushes are dropped", note.chat_id)
            await notices.block_chat(note.chat_id, now=self._clock())
            await notices.drop(note.id, "blocked")
            return True
        if isinstance(exc, RetryAfter):
            # Flood control is not the notice's fault: wait as told, no attempt used.
            delay = exc.retry_after
            seconds = float(delay) if isinstance(delay, int) else delay.total_seconds()
            log.warning("push %s: flood control, retry in %.0f s", note.id, seconds)
            await notices.defer(
                note.id, next_try_at=self._clock() + seconds, attempts=note.attempts
            )
            return False
        if isinstance(exc, TimedOut):
            log.warning("push %s: send timed out; it may arrive twice", note.id)
            return await self._attempt_failed(note, "timed out")
        if isinstance(exc, NetworkError):
            return await self._attempt_failed(note, exc.message)
        log.error("push %s failed", note.id, exc_info=exc)
        return await self._attempt_failed(note, repr(exc))

    async def _send(self, note: Notification, rendered: Rendered, level: int, start: int) -> None:
        last = len(rendered.parts) - 1
        for index in range(start, len(rendered.parts)):
            markup = rendered.markup if index == last else None
            with background_sends():  # replies to users go first
                if rendered.html:
                    await self._bot.send_message(
                        note.chat_id, rendered.parts[index], reply_markup=markup
                    )
                else:
                    await self._bot.send_message(
                        note.chat_id, rendered.parts[index], parse_mode=None
                    )
            if index < last:
                await self._rt.notices.progress(
                    note.id, parts_sent=index + 1, render_level=level, parts=rendered.parts
                )

    async def _attempt_failed(self, note: Notification, reason: str) -> bool:
        attempts = note.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            return await self._park(note, f"{reason} (after {attempts} attempts)")
        log.warning("push %s: attempt %d failed (%s); retrying later", note.id, attempts, reason)
        await self._rt.notices.defer(
            note.id, next_try_at=self._clock() + backoff(attempts), attempts=attempts
        )
        return False

    async def _park(self, note: Notification, reason: str) -> bool:
        log.error("push %s to chat %s parked as failed: %s", note.id, note.chat_id, reason)
        await self._rt.notices.park(note.id, reason, now=self._clock())
        self.failed += 1
        return True


async def on_chat_migrated(update: Update, context: Context) -> None:
    """Telegram's service message on a group's upgrade (in the old group
    `migrate_to_chat_id`, in the new supergroup `migrate_from_chat_id`): move the chat's
    orders and queued pushes before a send has to discover it."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id is not None:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id is not None:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    rt = context.services
    log.info("chat %s became supergroup %s; moving its orders", old, new)
    await rt.chats.migrate(old, new)
    rt.outbox_ready.set()
