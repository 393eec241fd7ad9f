"""Delivering queued push messages (the outbox) to Telegram.

The poller only writes notices; this dispatcher has each one rendered (`push_render`) in
the submitter's language at send time, sends it and marks it sent.

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
import logging
import time
from collections.abc import Callable
from typing import Final

from telegram import Bot, Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from bot.services.runtime import Runtime
from bot.storage.repository import Notification
from bot.telegram.context import Context
from bot.telegram.push_render import PLAIN, Rendered, render
from bot.telegram.send_pacing import background_sends

log = logging.getLogger(__name__)

_BATCH = 200
_PARALLEL = 30  # send_pacing paces the actual sends; this only bounds memory
MAX_ATTEMPTS: Final = 12  # with the backoff below about 2.5 h: rides out a short outage
_BACKOFF_BASE = 15.0
_BACKOFF_MAX = 1800.0
_IDLE_WAKE = 60.0  # look for due retries at least this often
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


def backoff(attempts: int) -> float:
    """Seconds before try number `attempts + 1`."""
    return float(min(_BACKOFF_BASE * 2 ** max(attempts - 1, 0), _BACKOFF_MAX))


def fixable(exc: BadRequest) -> bool:
    message = exc.message.lower()
    return any(fragment in message for fragment in _FIXABLE)


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
