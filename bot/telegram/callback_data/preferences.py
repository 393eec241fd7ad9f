"""The user's own choices: the language menu and a /settings switch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Self

from bot.telegram.callback_data.wire import Prefix, _after, _head_pattern, _one_of, _pack


@dataclass(frozen=True)
class LanguageChoice:
    """`menu` opens the language menu; a language sets it; anything else follows the app."""

    choice: str

    def pack(self) -> str:
        return _pack(Prefix.LANGUAGE, self.choice)

    @classmethod
    def unpack(cls, data: str) -> Self | None:
        rest = _after(data, Prefix.LANGUAGE)
        return None if rest is None else cls(rest)

    @staticmethod
    def pattern() -> str:
        return _head_pattern(Prefix.LANGUAGE)


SettingName = Literal["ac"]  # automatic confirmation
_SETTINGS: tuple[SettingName, ...] = ("ac",)


@dataclass(frozen=True)
class SettingsButton:
    """Switch one /settings choice of the pressing user."""

    setting: SettingName

    def pack(self) -> str:
        return _pack(Prefix.SETTINGS, self.setting)

    @classmethod
    def unpack(cls, data: str) -> Self | None:
        setting = _one_of(_after(data, Prefix.SETTINGS), _SETTINGS)
        return None if setting is None else cls(setting)

    @staticmethod
    def pattern() -> str:
        return _head_pattern(Prefix.SETTINGS)
