"""Feee's answers as typed models, amounts in integer SUN.

Money arrives as TRX decimals; JSON numbers are decoded straight to `Decimal` (see
`FeeeClient`) so no amount ever passes through a float.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.money import trx_to_sun


def _sun(value: object) -> int:
    if isinstance(value, bool) or value is None:
        raise ValueError("not a TRX amount")
    if isinstance(value, Decimal | str | int):
        return trx_to_sun(value)
    if isinstance(value, float):  # only from callers that bypassed our JSON decoder
        return trx_to_sun(str(value))
    raise ValueError("not a TRX amount")


def _trx_fields_to_sun(
    data: Any, fields: Mapping[str, str], required: frozenset[str] = frozenset()
) -> Any:
    """Rename Feee's TRX fields to their SUN names, converting the value exactly.

    The SUN name wins when both are present, so models can also be built from SUN.
    """
    if not isinstance(data, Mapping):
        return data
    out = dict(data)
    for trx_name, sun_name in fields.items():
        if sun_name in out:
            out.pop(trx_name, None)
            continue
        if trx_name in out and (out[trx_name] is not None or trx_name in required):
            out[sun_name] = _sun(out.pop(trx_name))
        else:
            out.pop(trx_name, None)
    return out


class _FeeeModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    # Feee's TRX amounts and the SUN fields they become; the required ones must be given.
    trx_fields: ClassVar[Mapping[str, str]] = {}
    trx_required: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _from_trx(cls, data: Any) -> Any:
        return _trx_fields_to_sun(data, cls.trx_fields, cls.trx_required)


class FeeeQuote(_FeeeModel):
    resource_value: int = Field(gt=0)  # the fee is spread over it: 0 is unreadable
    pay_sun: int  # `pay_amount`: total to pay, service fee included
    service_sun: int | None = None  # `service_amount`; None when not given
    price_in_sun: int | None = None  # SUN per energy unit, before the fee; None: not given
    rent_duration: int = 0
    rent_time_unit: str = ""
    rent_time_second: int = 0

    trx_fields: ClassVar[Mapping[str, str]] = {
        "pay_amount": "pay_sun",
        "service_amount": "service_sun",
    }
    trx_required: ClassVar[frozenset[str]] = frozenset({"pay_amount"})

    @property
    def paid_unit_price(self) -> int:
        """SUN per energy unit the user really pays, the per-order fee included, rounded
        up: what a max price must be compared with. The energy part is `price_in_sun` (per
        day for longer rentals, like TronSave's unit price); the fee is spread over the
        units. Without `service_amount`, the fee is what `pay_amount` adds to the energy
        price, which can only overstate it (the safe side for a max price); without
        `price_in_sun`, all of `pay_amount` is."""
        if self.price_in_sun is None:
            # Without the energy price, all of `pay_amount` is spread over the units:
            # never less than the real unit price.
            return -(-self.pay_sun // self.resource_value)
        fee = self.service_sun
        if fee is None:
            fee = max(0, self.pay_sun - self.price_in_sun * self.resource_value)
        return self.price_in_sun + -(-fee // self.resource_value)


class FeeeOrder(_FeeeModel):
    """Feee's BuyOrderDetail (reference §2.5), amounts in SUN.

    Only `order_no` is required. Any other field may be null or missing (a record with
    one odd field must still be readable): fields with a default take it, and `status`
    and `resource_value`, which nothing can stand in for, become None.
    """

    order_no: str
    receive_address: str = ""
    resource_value: int | None = None
    frozen_resource_value: int = 0
    price_in_sun: int = 0
    pay_sun: int = 0  # `pay_amount`
    refund_sun: int = 0  # `refund_amount`
    status: int | None = None
    business_status: int = 0  # absent on the split-parent example
    frozen_tx_id: str = ""  # on-chain delegate tx; "" until delegated
    create_time: int = 0
    freeze_time: int = 0
    rent_expire_time: int = 0
    rent_duration: int = 0
    rent_time_unit: str = ""
    rent_time_second: int = 0  # absent on older examples
    is_split: bool = False
    sub_orders: list[FeeeOrder] = Field(default_factory=list)  # `sub_order`

    trx_fields: ClassVar[Mapping[str, str]] = {
        "pay_amount": "pay_sun",
        "refund_amount": "refund_sun",
    }

    @model_validator(mode="before")
    @classmethod
    def _from_feee(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)  # never change the caller's answer
        if "sub_order" in data:
            data.setdefault("sub_orders", data.pop("sub_order") or [])
        if isinstance(data.get("sub_orders"), list):
            data["sub_orders"] = [sub for sub in data["sub_orders"] if isinstance(sub, dict)]
        # null means "not known": the field's default (or None) stands for it.
        for name in [k for k, v in data.items() if v is None]:
            del data[name]
        # 22-digit ids are strings in every example; accept a bare JSON integer too.
        if isinstance(data.get("order_no"), int) and not isinstance(data["order_no"], bool):
            data["order_no"] = str(data["order_no"])
        return data


class FeeeAccount(_FeeeModel):
    """`GET /v2/api/query`. Only third parties describe it (reference §2.4 G)."""

    balance_sun: int  # `trx_money`
    recharge_address: str | None = None
    today_energy_value: int | None = None
    today_consume_sun: int | None = None  # `today_consume_trx_amount`
    qps: int | None = None

    trx_fields: ClassVar[Mapping[str, str]] = {
        "trx_money": "balance_sun",
        "today_consume_trx_amount": "today_consume_sun",
    }
    trx_required: ClassVar[frozenset[str]] = frozenset({"trx_money"})
