"""Signed callback data for buttons that act on orders.

Telegram hands callback data back verbatim, and any client can send arbitrary data.
Acting buttons carry an HMAC over the chat id and payload, so data forged, altered or
copied into another chat is refused before any lookup or API call. Ownership and state
are still checked against the database afterwards.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

_SIG_BYTES = 8  # 64-bit tag: ample against guessing, keeps data under Telegram's 64 bytes


@dataclass(frozen=True)
class Action:
    verb: str  # "c" confirm order, "ca" confirm all of a submission, "x" cancel order
    target: int


def secret_from_token(token: str) -> bytes:
    return hashlib.sha256(b"callback-data:" + token.encode()).digest()


def _tag(secret: bytes, chat_id: int, payload: str) -> str:
    mac = hmac.new(secret, f"{chat_id}|{payload}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:_SIG_BYTES]).decode().rstrip("=")


def sign(secret: bytes, chat_id: int, verb: str, target: int) -> str:
    payload = f"a:{verb}:{target}"
    return f"{payload}:{_tag(secret, chat_id, payload)}"


def verify(secret: bytes, chat_id: int, data: str) -> Action | None:
    """The action, or None if the data is malformed or was not signed for this chat."""
    parts = data.split(":")
    if len(parts) != 4 or parts[0] != "a" or parts[1] not in ("c", "ca", "x"):
        return None
    if not parts[2].isdecimal() or len(parts[2]) > 18:
        return None
    if not parts[3].isascii():  # compare_digest raises TypeError on non-ASCII str
        return None
    payload = ":".join(parts[:3])
    if not hmac.compare_digest(parts[3], _tag(secret, chat_id, payload)):
        return None
    return Action(parts[1], int(parts[2]))


def verify_any(secret: bytes, chat_ids: Sequence[int], data: str) -> Action | None:
    """`verify` for a chat known under several ids: a group upgraded to a supergroup
    keeps the buttons signed for its old id working in the new one."""
    for chat_id in chat_ids:
        action = verify(secret, chat_id, data)
        if action is not None:
            return action
    return None
