"""Every button's callback data: one codec, one dataclass per kind of button.

Telegram hands callback data back verbatim (at most 64 bytes), and any client can send
arbitrary data, so `unpack` treats it as untrusted input and returns None for anything
malformed. Each kind packs to the same wire format the bot has always sent, so buttons
already in live chats keep working:

    w:new  w:stop  w:dl  w:rq    wizard commands (start, leave, change the deadline,
                                 ask the summary's quotes again)
    w:<step>:<value>             a common value offered for a wizard step
    w:prov:<provider>            choose the provider on the summary
    w:go:<provider>:<nonce>      the summary's Confirm (nonce checked against the draft)
    l:new  l:<page>              the order list, fresh or a page of it
    lang:<menu|en|zh|auto>       the language menu and choices
    a:<verb>:<id>:<tag>          an order action; signed
    h:<page>  h:csv              a page of /history, or its CSV export
    w:ac                         the summary's automatic-confirmation toggle
    set:<setting>                switch a /settings choice (e.g. set:ac)
    ra:<submission>:<tag>        "Rent again" under a rental-ending notice; signed
    h:<page|csv>:<chat id>       the same of another chat (an admin's /history <id>)
    wa:<verb>:<id>:<tag>         a watched address: stop its auto-rent, unwatch it; signed

Buttons that act on money (`OrderAction`) carry an HMAC over the chat id and payload,
so data forged, altered or copied into another chat is refused before any lookup or
API call. Ownership and state are still checked against the database afterwards. The
summary's Confirm (`ConfirmOffer`) needs no tag: its nonce must match the one kept in the
pressing user's own draft, for that chat, which only the bot writes. The handlers'
patterns come from `pattern()` here, so a prefix is written once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Literal, Self, TypeVar

MAX_BYTES = 64  # Telegram's limit for callback data
SEP = ":"
_T = TypeVar("_T", bound=str)
_SIG_BYTES = 8  # 64-bit tag: ample against guessing, keeps data under Telegram's 64 bytes


class Prefix(StrEnum):
    """The first field of every button's data: one per family of handlers."""

    WIZARD = "w"
    PAGE = "l"
    LANGUAGE = "lang"
    ORDER_ACTION = "a"
    HISTORY = "h"
    WATCH = "wa"
    SETTINGS = "set"
    RENT_AGAIN = "ra"


def _checked(data: str) -> str:
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data[:20]}…")
    return data


def _pack(*fields: object) -> str:
    return _checked(SEP.join(str(f) for f in fields))


def _after(data: str, *head: str) -> str | None:
    """What follows `head` (joined by SEP, then SEP), or None if data starts otherwise."""
    start = SEP.join(head) + SEP
    return data[len(start) :] if data.startswith(start) else None


def _one_of(value: str | None, options: tuple[_T, ...]) -> _T | None:
    """`value` typed as one of `options` (a Literal's values), or None."""
    return next((o for o in options if o == value), None)


def _head_pattern(*head: str, exact: bool = False) -> str:
    prefix = "^" + re.escape(SEP.join(head))
    return prefix + "$" if exact else prefix + re.escape(SEP)


# -- the wizard ----------------------------------------------------------------------

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


def wizard_pattern() -> str:
    """Any wizard button (for the one that answers presses after the wizard ended)."""
    return _head_pattern(Prefix.WIZARD)


# -- the order list and the language menu ----------------------------------------------

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


# -- order actions (signed) -----------------------------------------------------------

Verb = Literal["c", "ca", "x"]  # confirm order, confirm all of a submission, cancel order
_VERBS: tuple[Verb, ...] = ("c", "ca", "x")
_MAX_TARGET_DIGITS = 18


@dataclass(frozen=True)
class OrderAction:
    verb: Verb
    target: int

    def pack(self, secret: bytes, chat_id: int) -> str:
        return _signed(secret, chat_id, Prefix.ORDER_ACTION, self.verb, str(self.target))

    @classmethod
    def unpack(cls, secret: bytes, chat_ids: Sequence[int], data: str) -> Self | None:
        """The action, or None if the data is malformed or was signed for none of
        `chat_ids` (a group upgraded to a supergroup is known under both ids, and the
        buttons signed for its old id keep working in the new one)."""
        fields = _verified(secret, chat_ids, data, Prefix.ORDER_ACTION, 2)
        if fields is None:
            return None
        verb, target = _one_of(fields[0], _VERBS), _target(fields[1])
        return None if verb is None or target is None else cls(verb, target)

    @staticmethod
    def pattern() -> str:
        return _head_pattern(Prefix.ORDER_ACTION)


def secret_from_token(token: str) -> bytes:
    return hashlib.sha256(b"callback-data:" + token.encode()).digest()


def _tag(secret: bytes, chat_id: int, payload: str) -> str:
    mac = hmac.new(secret, f"{chat_id}|{payload}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:_SIG_BYTES]).decode().rstrip("=")


def _signed(secret: bytes, chat_id: int, *fields: str) -> str:
    """`fields` and their tag for `chat_id`, as one button's data."""
    payload = SEP.join(fields)
    return _pack(payload, _tag(secret, chat_id, payload))


def _verified(
    secret: bytes, chat_ids: Sequence[int], data: str, prefix: str, count: int
) -> list[str] | None:
    """The `count` fields after `prefix` of data signed for one of `chat_ids` (a group
    upgraded to a supergroup is known under both ids), or None."""
    parts = data.split(SEP)
    if len(parts) != count + 2 or parts[0] != prefix:
        return None
    tag = parts[-1]
    if not tag.isascii():  # compare_digest raises TypeError on non-ASCII str
        return None
    payload = SEP.join(parts[:-1])
    if any(hmac.compare_digest(tag, _tag(secret, chat_id, payload)) for chat_id in chat_ids):
        return parts[1:-1]
    return None


def _target(text: str) -> int | None:
    """A database id in button data, or None."""
    if not text.isdecimal() or len(text) > _MAX_TARGET_DIGITS:
        return None
    return int(text)


# -- the history ----------------------------------------------------------------------


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


# -- after the match ------------------------------------------------------------------

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


@dataclass(frozen=True)
class RentAgain:
    """A summary prefilled from an ending rental's submission. Signed like an order
    action: it shows the submission's receivers, so only its own chat may open it."""

    submission_id: int

    def pack(self, secret: bytes, chat_id: int) -> str:
        return _signed(secret, chat_id, Prefix.RENT_AGAIN, str(self.submission_id))

    @classmethod
    def unpack(cls, secret: bytes, chat_ids: Sequence[int], data: str) -> Self | None:
        fields = _verified(secret, chat_ids, data, Prefix.RENT_AGAIN, 1)
        target = None if fields is None else _target(fields[0])
        return None if target is None else cls(target)

    @staticmethod
    def pattern() -> str:
        return _head_pattern(Prefix.RENT_AGAIN)


def _chat_id(text: str) -> int | None:
    """A Telegram chat id (negative for groups), or None."""
    digits = text.removeprefix("-")
    if not digits.isdecimal() or len(digits) > 16:
        return None
    return int(text)


# -- sizing on the summary ------------------------------------------------------------


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


# -- watched addresses (signed) -------------------------------------------------------

WatchVerb = Literal["s", "u"]  # stop auto-rent, unwatch
_WATCH_VERBS: tuple[WatchVerb, ...] = ("s", "u")


@dataclass(frozen=True)
class WatchButton:
    """A watch's Stop (auto-rent off) or Unwatch button. Signed like `OrderAction`, so
    data copied into another chat or altered is refused before any lookup; the pressing
    user must also own the watch (checked by the handler)."""

    verb: WatchVerb
    watch_id: int

    def pack(self, secret: bytes, chat_id: int) -> str:
        return _signed(secret, chat_id, Prefix.WATCH, self.verb, str(self.watch_id))

    @classmethod
    def unpack(cls, secret: bytes, chat_ids: Sequence[int], data: str) -> Self | None:
        fields = _verified(secret, chat_ids, data, Prefix.WATCH, 2)
        if fields is None:
            return None
        verb, target = _one_of(fields[0], _WATCH_VERBS), _target(fields[1])
        return None if verb is None or target is None else cls(verb, target)

    @staticmethod
    def pattern() -> str:
        return _head_pattern(Prefix.WATCH)
