"""The order wizard's draft: what the user answered so far, and what the last summary's
Confirm would submit.

PTB persistence stores `user_data` as JSON, so a draft lives there as a plain dict
(`to_dict` / `from_dict`, keyed as the bot has always stored it: drafts saved before
a restart or by an older version load unchanged). Whatever a stored dict holds, loading
it never fails: a value that cannot be read is left unanswered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.providers.port import OrderRequest
from bot.services.energy_need import SizedTransfer

AMOUNT, DURATION, PRICE, RECEIVERS, DEADLINE = (
    "amount",
    "duration",
    "price",
    "receivers",
    "deadline",
)
# Optional, asked after the receivers when the bot reads the chain: the USDT recipient
# of the transfers the energy is for (it decides their energy). "" means skipped.
PAYEE = "payee"
STEPS = (AMOUNT, DURATION, PRICE, RECEIVERS, DEADLINE, PAYEE)


def _int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


@dataclass
class Answers:
    """The answers to the wizard's steps (None: not answered yet)."""

    amount: int | None = None
    duration: int | None = None
    price: int | None = None
    receivers: list[str] | None = None
    deadline: int | None = None
    payee: str | None = None  # None: not asked; "": skipped; else the address

    @property
    def payee_address(self) -> str | None:
        return self.payee or None

    def request(self) -> OrderRequest:
        """The order request; ValueError while a step is unanswered."""
        if (
            self.amount is None
            or self.duration is None
            or self.price is None
            or self.receivers is None
            or self.deadline is None
        ):
            raise ValueError("the draft is incomplete")
        return OrderRequest(
            amount=self.amount,
            duration_sec=self.duration,
            max_price=self.price,
            receivers=tuple(self.receivers),
            deadline_sec=self.deadline,
        )

    @staticmethod
    def of(request: OrderRequest) -> Answers:
        return Answers(
            request.amount,
            request.duration_sec,
            request.max_price,
            list(request.receivers),
            request.deadline_sec,
        )

    def to_dict(self) -> dict[str, Any]:
        values = {
            AMOUNT: self.amount,
            DURATION: self.duration,
            PRICE: self.price,
            RECEIVERS: self.receivers,
            DEADLINE: self.deadline,
            PAYEE: self.payee,
        }
        return {key: value for key, value in values.items() if value is not None}

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Answers:
        receivers = data.get(RECEIVERS)
        readable = isinstance(receivers, list | tuple) and all(
            isinstance(r, str) for r in receivers
        )
        return Answers(
            amount=_int(data.get(AMOUNT)),
            duration=_int(data.get(DURATION)),
            price=_int(data.get(PRICE)),
            receivers=list(receivers) if readable and receivers is not None else None,
            deadline=_int(data.get(DEADLINE)),
            payee=_text(data.get(PAYEE)),
        )


@dataclass(frozen=True)
class Offer:
    """What a summary's Confirm submits, frozen when the summary was shown."""

    nonce: str
    provider: str | None
    request: OrderRequest
    # The payee's transfer the summary sized the order for (None: not sized); a draft
    # saved before offers kept it loads without one.
    sized: SizedTransfer | None = None


@dataclass
class Draft:
    answers: Answers = field(default_factory=Answers)
    provider: str | None = None  # the provider chosen on the summary
    nonce: str | None = None  # the live summary's; None once pressed or made void
    offer: Offer | None = None
    # The summary's automatic-confirmation toggle; None: the user's /settings decide.
    auto_confirm: bool | None = None

    def answer(self, step: str, value: Any) -> None:
        """Store a parsed answer to `step` (one of `STEPS`)."""
        if step not in STEPS:
            raise ValueError(f"not a wizard step: {step}")
        if step == PAYEE:
            value = value or ""  # answered, and skipped
        setattr(self.answers, step, list(value) if step == RECEIVERS else value)

    def bound_offer(self, provider: str, nonce: str) -> Offer | None:
        """The offer a Confirm press names, if it is still the live one."""
        offer = self.offer
        if not nonce or offer is None or self.nonce != nonce:
            return None
        if offer.nonce != nonce or offer.provider != provider:
            return None
        return offer

    def to_dict(self) -> dict[str, Any]:
        data = self.answers.to_dict()
        if self.provider is not None:
            data["provider"] = self.provider
        if self.nonce is not None:
            data["nonce"] = self.nonce
        if self.auto_confirm is not None:
            data["auto_confirm"] = self.auto_confirm
        if self.offer is not None:
            data["offer"] = {
                "nonce": self.offer.nonce,
                "provider": self.offer.provider,
                "request": Answers.of(self.offer.request).to_dict(),
            }
            if self.offer.sized is not None:
                sized = {"payee": self.offer.sized.payee, "energy": self.offer.sized.energy}
                data["offer"]["sized"] = sized
        return data

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Draft:
        return Draft(
            answers=Answers.from_dict(data),
            provider=_text(data.get("provider")),
            nonce=_text(data.get("nonce")),
            offer=_offer(data.get("offer")),
            auto_confirm=_flag(data.get("auto_confirm")),
        )


def _flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _offer(data: object) -> Offer | None:
    if not isinstance(data, Mapping):
        return None
    nonce, request = _text(data.get("nonce")), data.get("request")
    if nonce is None or not isinstance(request, Mapping):
        return None
    try:
        frozen = Answers.from_dict(request).request()
    except ValueError:
        return None
    return Offer(nonce, _text(data.get("provider")), frozen, _sized(data.get("sized")))


def _sized(data: object) -> SizedTransfer | None:
    if not isinstance(data, Mapping):
        return None
    payee, energy = _text(data.get("payee")), data.get("energy")
    if payee is None or isinstance(energy, bool) or not isinstance(energy, int) or energy <= 0:
        return None
    return SizedTransfer(payee, energy)
