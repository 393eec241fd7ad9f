"""The pages of /orders and of /history (or its CSV export, of this or another chat):
read-only, so unsigned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

from bot.telegram.callback_data.wire import SEP, Prefix, _after, _head_pattern, _pack

_PAGE_DIGITS = 5  # pages beyond are read as the first one, as is anything malformed


@dataclass(frozen=True)
class PageButton:
    """A page of /orders; `page=None` asks for a fresh list below the message."""

    page: int | None

    def pack(self) -> str:
        return _pack(Prefix.PAGE, "new" if self.page is None else self.page)

    @classmethod
    def unpack(cls, data: str) -> Self | None:
        raw = _after(data, Prefix.PAGE)
        if raw is None:
            return None
        if raw == "new":
            return cls(None)
        return cls(int(raw) if raw.isdecimal() and len(raw) <= _PAGE_DIGITS else 0)

    @staticmethod
    def pattern() -> str:
        return _head_pattern(Prefix.PAGE)


@dataclass(frozen=True)
class HistoryButton:
    """A page of /history, or (`page=None`) its CSV export; with `chat`, of that chat
    (an admin's /history <chat id>). Read-only, so unsigned; who may see the history is
    checked when it is pressed."""

    CSV: ClassVar = "csv"
    page: int | None
    chat: int | None = None

    def pack(self) -> str:
        head = self.CSV if self.page is None else self.page
        if self.chat is None:
            return _pack(Prefix.HISTORY, head)
        return _pack(Prefix.HISTORY, head, self.chat)

    @classmethod
    def unpack(cls, data: str) -> Self | None:
        raw = _after(data, Prefix.HISTORY)
        if raw is None:
            return None
        raw, _, chat_text = raw.partition(SEP)
        chat = _chat_id(chat_text) if chat_text else None
        if chat_text and chat is None:
            return None
        if raw == cls.CSV:
            return cls(None, chat)
        return cls(int(raw) if raw.isdecimal() and len(raw) <= _PAGE_DIGITS else 0, chat)

    @staticmethod
    def pattern() -> str:
        return _head_pattern(Prefix.HISTORY)


def _chat_id(text: str) -> int | None:
    """A Telegram chat id (negative for groups), or None."""
    digits = text.removeprefix("-")
    if not digits.isdecimal() or len(digits) > 16:
        return None
    return int(text)
