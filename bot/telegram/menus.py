"""The command menu per chat: everyone gets the user commands (the default menu, both
languages, set in `lifecycle`); each admin's private chat gets them plus the admin
commands, through BotCommandScopeChat, set at start and whenever that chat picks a
language. An admin removed from ADMIN_USER_IDS gets the user menu back at the next
start (the admins of the last start are stored for that).

A chat that chose a language gets its menu in that language whatever its Telegram app
speaks; otherwise English by default and Chinese for a zh app (language_code)."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError
from telegram.ext import Application

from bot.i18n import LANGS, Lang, as_lang, t
from bot.services.runtime import Runtime
from bot.telegram.handlers import admin, basic

log = logging.getLogger(__name__)


def admin_command_list(lang: Lang) -> list[BotCommand]:
    return [BotCommand(name, t(lang, f"command.{name}")) for name in admin.COMMANDS]


def menu(lang: Lang, *, is_admin: bool) -> list[BotCommand]:
    commands = basic.command_list(lang)
    return commands + admin_command_list(lang) if is_admin else commands


async def set_chat_menu(bot: Bot, rt: Runtime, chat_id: int, lang: Lang | None) -> None:
    """This private chat's menu: `lang` if it chose one, else by its app's language.
    A failure is logged and changes nothing else."""
    is_admin = rt.access is not None and rt.access.is_admin(chat_id)
    scope = BotCommandScopeChat(chat_id)
    try:
        if not is_admin:
            await bot.set_my_commands(menu(lang or "en", is_admin=False), scope=scope)
            return
        await bot.set_my_commands(menu(lang or "en", is_admin=True), scope=scope)
        await bot.set_my_commands(
            menu(lang or "zh", is_admin=True), scope=scope, language_code="zh"
        )
    except TelegramError as exc:
        log.info("could not set the command menu of chat %s: %s", chat_id, exc)


async def set_admin_menus(app: Application[Any, Any, Any, Any, Any, Any], rt: Runtime) -> None:
    """At start: each admin's menu, and the user menu back for admins no longer listed."""
    access = rt.access
    if access is None:
        return
    admins = sorted(access.admins)
    for admin_id in admins:
        stored = await rt.notices.chat_language(admin_id)
        await set_chat_menu(app.bot, rt, admin_id, as_lang(stored) if stored else None)
    for gone in await access.former_menu_admins():
        try:
            for lang in LANGS:
                await app.bot.delete_my_commands(
                    scope=BotCommandScopeChat(gone), language_code=None if lang == "en" else lang
                )
        except TelegramError as exc:
            log.info("could not reset the command menu of chat %s: %s", gone, exc)
    await access.remember_menu_admins()
