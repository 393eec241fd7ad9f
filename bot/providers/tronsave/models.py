"""TronSave's answers as typed models, amounts in integer SUN.

The provider adds fields without notice and sends numbers as strings or strings as
numbers; the models accept both and keep only what the bot uses.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

# --- money -------------------------------------------------------------------------------


def _to_sun(value: object) -> object:
    """Integer SUN from an int, a numeric string or a Decimal; fractions round half up."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not an amount of SUN")  # noqa: TRY004 (pydantic wants ValueError)
    if isinstance(value, int):
        return value
    if isinstance(value, str | Decimal | float):
        try:
            # str() first so a float is read from its repr, never through float arithmetic.
            amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise ValueError(f"not a SUN amount: {value!r}") from exc
        if not amount.is_finite():
            raise ValueError(f"not a SUN amount: {value!r}")
        return int(amount.to_integral_value(rounding=ROUND_HALF_UP))
    return value  # let pydantic report the wrong type


Sun = Annotated[int, BeforeValidator(_to_sun)]


# --- models --------------------------------------------------------------------------------


class Model(BaseModel):
    # The provider adds fields without notice and sends numbers as strings or strings as
    # numbers; models accept both and keep only what the bot uses.
    model_config = ConfigDict(
        extra="ignore",
        frozen=True,
        coerce_numbers_to_str=True,
        validate_by_name=True,
        validate_by_alias=True,
    )


class Estimate(Model):
    # Every number may come null or missing: the adapter derives what it can from the
    # rest and calls the answer unreadable only when no price is left.
    charge_amount_sun: Sun | None = Field(default=None, alias="charge_amount")
    unit_price_sun: Sun | None = Field(default=None, alias="price")
    max_receiver_can_provide: int | None = None
    internal_balance_sun: Sun | None = Field(default=None, alias="internal_balance")
    # Only in the example (able_to_match) or only in the schema (duration_sec).
    able_to_match: bool | None = None
    duration_sec: int | None = None


class TrackResult(Model):
    order_id: str
    # Verbatim: the docs list Pending/Matched in prose but Completed in examples. None when
    # the record has none (null, missing or blank): that order's answer is unreadable.
    status: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _blank_status(cls, data: Any) -> Any:
        status = data.get("status") if isinstance(data, dict) else None
        if isinstance(status, str) and not status.strip():
            data = {**data, "status": None}
        return data


class ActionResult(Model):
    order_id: str
    is_success: bool
    fail_reason: str | None = None


class HistoryOrder(Model):
    id: str = Field(alias="_id")
    request_id: str | None = None
    receiver: str | None = None
    requester: str | None = None
    delegator: str | None = None
    resource_type: str | None = None
    amount: int | None = None
    charge_duration_sec: int | None = None
    status: str | None = None
    is_matched: bool | None = None
    charge_amount_sun: Sun | None = Field(default=None, alias="charge_amount")
    unit_price_sun: Sun | None = Field(default=None, alias="unit_price")
    paid_amount_actual_sun: Sun | None = Field(default=None, alias="paid_amount_actual")
    repay_amount_sun: Sun | None = Field(default=None, alias="repay_amount")
    repay_by: str | None = None
    delegate_txid: str | None = None
    delegate_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = Field(default=None, alias="update_at")
    repay_at: datetime | None = None
    expire_delegate_at: datetime | None = None
    deadline: int | None = None
    max_price_accept: Sun | None = None

    @model_validator(mode="before")
    @classmethod
    def _lift_options(cls, data: Any) -> Any:
        """`deadline` and `max_price_accept` arrive nested under `options`."""
        if isinstance(data, dict) and isinstance(data.get("options"), dict):
            options = data["options"]
            data = {**data}
            for name in ("deadline", "max_price_accept"):
                data.setdefault(name, options.get(name))
        return data


class HistoryPage(Model):
    total: int
    results: list[HistoryOrder]
    # Rows served but unreadable (a null id, a number that is not one): they count as
    # served for paging, yet a search that met one cannot say what is not there.
    unreadable: int = 0


class RawHistoryPage(Model):
    total: int
    results: list[Any]


class UserInfo(Model):
    balance_sun: Sun = Field(alias="balance")
    deposit_address: str | None = Field(default=None, alias="depositAddress")
    represent_address: str | None = Field(default=None, alias="representAddress")


class OrderIds(Model):
    order_ids: list[str]


class TrackBody(Model):
    results: list[TrackResult]

    @model_validator(mode="before")
    @classmethod
    def _drop_rows_without_id(cls, data: Any) -> Any:
        # A row naming no order cannot be matched to one; the rest still count.
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            rows = [
                r for r in data["results"] if isinstance(r, dict) and _has_id(r.get("order_id"))
            ]
            data = {**data, "results": rows}
        return data


def _has_id(value: object) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool) and str(value) != ""


class ConfirmBody(Model):
    confirmation_results: list[ActionResult]


class CancelBody(Model):
    cancel_results: list[ActionResult]


class UserInfoEnvelope(Model):
    data: UserInfo
