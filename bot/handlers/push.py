"""Delivering queued push messages (the outbox) to Telegram.

The poller only writes notices; this dispatcher renders each one in the submitter's
language at send time and marks it sent. A chat that blocked the bot is marked and
its notices dropped instead of retried. A crash between Telegram accepting a message
and it being marked sent is the one window in which a push could repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import time

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError

from bot.domain import NoticeKind
from bot.handlers import callback_data
from bot.handlers.orders import confirm_button
from bot.handlers.render import money_lines, num, order_line, short_address
from bot.i18n import Html, Lang, resolve_lang, t
from bot.services.runtime import Runtime
from bot.storage.repository import Notification, Order

log = logging.getLogger(__name__)

_BATCH = 200
_PARALLEL = 30  # AIORateLimiter paces the actual sends; this only bounds memory
_MAX_BUTTONS = 10


async def render(rt: Runtime, note: Notification) -> tuple[str, InlineKeyboardMarkup | None]:
    sub = await rt.repo.get_submission(int(note.payload["submission_id"]))
    lang: Lang = "en"
    if sub is not None:
        lang = resolve_lang(await rt.repo.get_user_lang(sub.user_id), None)
    orders = (
        await rt.repo.orders_by_ids([int(i) for i in note.payload["order_ids"]])
        if "order_ids" in note.payload
        else await rt.repo.orders_of_submission(int(note.payload["submission_id"]))
    )
    kind = NoticeKind(note.kind)
    lines = Html("\n".join(_detail(lang, kind, o) for o in orders))
    text = t(
        lang,
        f"push.{kind.value}",
        orders=lines,
        submission=note.payload["submission_id"],
        found=_addresses(lang, note.payload.get("found")),
        missing=_addresses(lang, note.payload.get("missing")),
    )
    return text, _buttons(rt, lang, note.chat_id, orders, sub.id if sub else None)


_MAX_ADDRESSES = 20  # per list: two full lists stay far below Telegram's 4,096 characters


def _addresses(lang: Lang, addresses: object) -> Html:
    """Receivers named by a search-ended notice, one per line, the rest counted."""
    items = [str(a) for a in addresses] if isinstance(addresses, list) else []
    if not items:
        return Html(t(lang, "push.none"))
    lines = [f"<code>{html.escape(a)}</code>" for a in items[:_MAX_ADDRESSES]]
    if len(items) > _MAX_ADDRESSES:
        lines.append(t(lang, "push.more", count=len(items) - _MAX_ADDRESSES))
    return Html("\n".join(lines))


def _detail(lang: Lang, kind: NoticeKind, order: Order) -> str:
    parts: list[str] = [order_line(lang, order)]
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


def _buttons(
    rt: Runtime, lang: Lang, chat_id: int, orders: list[Order], submission_id: int | None
) -> InlineKeyboardMarkup | None:
    confirmable = [o for o in orders if rt.orders.can_confirm(o)]
    rows = [[confirm_button(lang, rt, chat_id, o)] for o in confirmable[:_MAX_BUTTONS]]
    if len(confirmable) > 1 and submission_id is not None:
        rows.append(
            [
                InlineKeyboardButton(
                    t(lang, "button.confirm_all", count=len(confirmable)),
                    callback_data=callback_data.sign(
                        rt.callback_secret, chat_id, "ca", submission_id
                    ),
                )
            ]
        )
    return InlineKeyboardMarkup(rows) if rows else None


class OutboxDispatcher:
    """Sends queued notices whenever the poller signals, and once at start-up."""

    def __init__(self, rt: Runtime, bot: Bot) -> None:
        self._rt = rt
        self._bot = bot
        self._task: asyncio.Task[None] | None = None
        self.sent = 0
        self.last_sent_at: float | None = None

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
            await self._rt.outbox_ready.wait()
            self._rt.outbox_ready.clear()
            try:
                await self.drain()
            except Exception:
                log.exception("outbox drain failed; retrying on the next signal")

    async def drain(self) -> int:
        """One pass over everything queued; returns how many were handled. Notices that
        failed for a passing reason stay queued for the next signal."""
        handled = 0
        after = 0
        gate = asyncio.Semaphore(_PARALLEL)

        async def one(note: Notification) -> bool:
            async with gate:
                return await self._deliver(note)

        while notes := await self._rt.repo.unsent_notifications(_BATCH, after_id=after):
            handled += sum(await asyncio.gather(*(one(n) for n in notes)))
            after = notes[-1].id
        return handled

    async def _deliver(self, note: Notification) -> bool:
        """True if handled (sent or dropped for good); False to retry later."""
        repo = self._rt.repo
        if await repo.is_chat_blocked(note.chat_id):
            await repo.mark_dropped(note.id, "blocked")
            return True
        try:
            text, markup = await render(self._rt, note)
            await self._bot.send_message(note.chat_id, text, reply_markup=markup)
        except Forbidden:
            log.info("chat %s blocked the bot; its pushes are dropped", note.chat_id)
            await repo.set_chat_blocked(note.chat_id, time.time())
            await repo.mark_dropped(note.id, "blocked")
            return True
        except BadRequest as exc:
            log.warning("push %s refused by Telegram: %s", note.id, exc.message)
            await repo.mark_dropped(note.id, f"bad_request: {exc.message}"[:200])
            return True
        except NetworkError as exc:
            log.warning("push %s not sent (%s); will retry", note.id, exc.message)
            return False
        except TelegramError as exc:
            log.warning("push %s failed: %s", note.id, exc.message)
            return False
        await repo.mark_sent(note.id, now=time.time())
        self.sent += 1
        self.last_sent_at = time.time()
        return True
