"""The signed buttons: an HMAC over the chat id and payload, so data forged, altered or
copied into another chat is refused before any lookup. Order actions, "Rent again" and a
watched address's Stop and Unwatch; the key comes from the bot token (`secret_from_token`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Self

from bot.telegram.callback_data.wire import SEP, Prefix, _head_pattern, _one_of, _pack

_SIG_BYTES = 8  # 64-bit tag: ample against guessing, keeps data under Telegram's 64 bytes

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
