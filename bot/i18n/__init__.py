"""Message catalogs (Chinese and English) and the one function that reads them.

Messages are HTML (the bot sends with parse_mode=HTML): every parameter is escaped
unless it is wrapped in `Html`, which marks text the bot itself already rendered.
"""

from __future__ import annotations

import html
from typing import Final, Literal

from bot.i18n import en, zh

Lang = Literal["en", "zh"]
LANGS: Final[tuple[Lang, ...]] = ("zh", "en")
CATALOGS: Final[dict[Lang, dict[str, str]]] = {"en": en.MESSAGES, "zh": zh.MESSAGES}


class Html(str):
    """Text that is already valid HTML and must not be escaped again."""

    __slots__ = ()


def t(lang: Lang, key: str, **params: object) -> str:
    template = CATALOGS[lang].get(key) or CATALOGS["en"][key]
    safe = {
        name: value if isinstance(value, Html) else html.escape(str(value), quote=False)
        for name, value in params.items()
    }
    return template.format(**safe)


def resolve_lang(stored: str | None, telegram_code: str | None) -> Lang:
    """An explicit /language choice wins; otherwise zh* means Chinese, anything else English."""
    if stored in ("en", "zh"):
        return "zh" if stored == "zh" else "en"
    return "zh" if (telegram_code or "").lower().startswith("zh") else "en"


def as_lang(value: str | None) -> Lang:
    return "zh" if value == "zh" else "en"
