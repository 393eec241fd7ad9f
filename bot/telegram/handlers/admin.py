"""/allow, /deny, /limit, /users and /audit: admins (ADMIN_USER_IDS) manage who may
spend and how much, in chat. Anyone else is refused and nothing changes."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from telegram import Update

from bot.i18n import Lang, t
from bot.money import format_trx, trx_to_sun
from bot.services.access import AccessService
from bot.telegram.context import Context, user_lang
from bot.telegram.long_text import chunk_lines

AUDIT_SHOWN = 30  # the newest admin actions /audit shows
_MAX_LIMIT_TRX = Decimal(10**9)


async def _send(update: Update, texts: list[str]) -> None:
    message = update.effective_message
    assert message is not None
    for text in texts:
        await message.reply_text(text)


async def _admin(update: Update, context: Context) -> tuple[Lang, AccessService, int] | None:
    """The caller's language, the access service and their id, if they are an admin."""
    lang = await user_lang(update, context)
    access = context.services.access
    user = update.effective_user
    if access is None or user is None or not access.is_admin(user.id):
        await _send(update, [t(lang, "admin.refused")])
        return None
    return lang, access, user.id


def _user_id(text: str) -> int | None:
    return int(text) if text.isdecimal() and 0 < int(text) < 2**53 else None


def _limit_sun(text: str) -> int | None:
    """A daily limit in TRX (up to 6 decimals, 0 allowed) as SUN; None if not one."""
    try:
        trx = Decimal(text)
    except InvalidOperation:
        return None
    if not trx.is_finite() or trx < 0 or trx > _MAX_LIMIT_TRX:
        return None
    if trx != trx.quantize(Decimal("0.000001")):  # finer than 1 SUN
        return None
    return trx_to_sun(trx)


async def _set_access(update: Update, context: Context, allowed: bool) -> None:
    admin = await _admin(update, context)
    if admin is None:
        return
    lang, access, admin_id = admin
    args = context.args or []
    target = _user_id(args[0]) if len(args) == 1 else None
    if target is None:
        await _send(update, [t(lang, "admin.usage_allow" if allowed else "admin.usage_deny")])
        return
    await access.set_access(admin_id, target, allowed)
    await _send(update, [t(lang, "admin.allowed" if allowed else "admin.denied", user_id=target)])


async def allow(update: Update, context: Context) -> None:
    await _set_access(update, context, True)


async def deny(update: Update, context: Context) -> None:
    await _set_access(update, context, False)


async def limit(update: Update, context: Context) -> None:
    admin = await _admin(update, context)
    if admin is None:
        return
    lang, access, admin_id = admin
    args = context.args or []
    target = _user_id(args[0]) if len(args) == 2 else None
    off = len(args) == 2 and args[1].lower() == "off"
    sun = None if off or len(args) != 2 else _limit_sun(args[1])
    if target is None or (sun is None and not off):
        await _send(update, [t(lang, "admin.usage_limit")])
        return
    await access.set_daily_limit(admin_id, target, sun)
    if sun is None:
        await _send(update, [t(lang, "admin.limit_off", user_id=target)])
    else:
        await _send(update, [t(lang, "admin.limit_set", user_id=target, limit=format_trx(sun))])


async def users(update: Update, context: Context) -> None:
    admin = await _admin(update, context)
    if admin is None:
        return
    lang, access, admin_id = admin
    await access.record(admin_id, "users")
    rows = await access.users()
    if not rows:
        await _send(update, [t(lang, "admin.users_empty")])
        return
    lines = [
        t(
            lang,
            "admin.user_line",
            user_id=r.user_id,
            spent=format_trx(r.spent_sun),
            limit=t(lang, "admin.no_limit") if r.limit_sun is None else format_trx(r.limit_sun),
        )
        for r in rows
    ]
    await _send(update, chunk_lines(lines, header=t(lang, "admin.users_title")))


async def audit(update: Update, context: Context) -> None:
    admin = await _admin(update, context)
    if admin is None:
        return
    lang, access, admin_id = admin
    await access.record(admin_id, "audit")
    entries = await access.audit(AUDIT_SHOWN)
    lines = [
        t(
            lang,
            "admin.audit_line",
            at=datetime.fromtimestamp(e.at, UTC).strftime("%Y-%m-%d %H:%M:%S"),
            admin=e.admin_id,
            action=e.action,
            target="" if e.target_id is None else e.target_id,
            detail=e.detail or "",
        ).rstrip()
        for e in entries
    ]
    await _send(update, chunk_lines(lines, header=t(lang, "admin.audit_title", count=len(lines))))


COMMANDS: dict[str, Callable[[Update, Context], Coroutine[Any, Any, None]]] = {
    "allow": allow,
    "deny": deny,
    "limit": limit,
    "users": users,
    "audit": audit,
}
