"""The wizard's buttons: its commands, a step's common values, the summary's provider
choice, Confirm and suggested amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal, Self

from bot.telegram.callback_data.wire import SEP, Prefix, _after, _head_pattern, _one_of, _pack

WizardCommandName = Literal["new", "stop", "dl", "rq", "ac"]
_COMMANDS: tuple[WizardCommandName, ...] = ("new", "stop", "dl", "rq", "ac")


@dataclass(frozen=True)
class WizardCommand:
    """Start the wizard, leave it, change the summary's deadline, ask its quotes again
    ("rq"), or switch its automatic confirmation ("ac")."""

    command: WizardCommandName

    def pack(self) -> str:
        return _pack(Prefix.WIZARD, self.command)

    @classmethod
    def unpack(cls, data: str) -> Self | None:
        command = _one_of(_after(data, Prefix.WIZARD), _COMMANDS)
        return None if command is None else cls(command)

    @staticmethod
    def pattern(command: WizardCommandName) -> str:
        return _head_pattern(Prefix.WIZARD, command, exact=True)


@dataclass(frozen=True)
class StepChoice:
    """A common value for a wizard step; it goes through the step's parser like text."""

    step: str
    value: str

    def pack(self) -> str:
        return _pack(Prefix.WIZARD, self.step, self.value)

    @classmethod
    def unpack(cls, data: str) -> Self | None:
        rest = _after(data, Prefix.WIZARD)
        if rest is None or SEP not in rest:
            return None
        step, _, value = rest.partition(SEP)
        return cls(step, value)

    @staticmethod
    def pattern(step: str) -> str:
        return _head_pattern(Prefix.WIZARD, step)


@dataclass(frozen=True)
class ProviderChoice:
    """Choose the provider on the summary (checked against the configured ones)."""

    KIND: ClassVar = "prov"
    provider: str

    def pack(self) -> str:
        return _pack(Prefix.WIZARD, self.KIND, self.provider)

    @classmethod
    def unpack(cls, data: str) -> Self | None:
        rest = _after(data, Prefix.WIZARD, cls.KIND)
        return None if rest is None else cls(rest)

    @classmethod
    def pattern(cls) -> str:
        return _head_pattern(Prefix.WIZARD, cls.KIND)


@dataclass(frozen=True)
class ConfirmOffer:
    """The summary's Confirm: the provider it names and the summary's one-time nonce."""

    KIND: ClassVar = "go"
    provider: str
    nonce: str

    def pack(self) -> str:
        return _pack(Prefix.WIZARD, self.KIND, self.provider, self.nonce)

    @classmethod
    def unpack(cls, data: str) -> Self | None:
        rest = _after(data, Prefix.WIZARD, cls.KIND)
        if rest is None:
            return None
        provider, _, nonce = rest.partition(SEP)
        return cls(provider, nonce) if nonce else None

    @classmethod
    def pattern(cls) -> str:
        return _head_pattern(Prefix.WIZARD, cls.KIND)


@dataclass(frozen=True)
class SuggestedAmount:
    """`w:size:<amount>`: use the amount the chain checks suggest. Unsigned like a step
    choice: the amount goes through the amount parser, and the summary is shown again
    (with a new Confirm) before anything can be submitted."""

    KIND: ClassVar = "size"
    amount: int

    def pack(self) -> str:
        return _pack(Prefix.WIZARD, self.KIND, self.amount)

    @classmethod
    def unpack(cls, data: str) -> Self | None:
        raw = _after(data, Prefix.WIZARD, cls.KIND)
        if raw is None or not raw.isdecimal() or not raw.isascii() or len(raw) > 12:
            return None
        return cls(int(raw))

    @classmethod
    def pattern(cls) -> str:
        return _head_pattern(Prefix.WIZARD, cls.KIND)


def wizard_pattern() -> str:
    """Any wizard button (for the one that answers presses after the wizard ended)."""
    return _head_pattern(Prefix.WIZARD)
