"""The node's and TronGrid's answer shapes, read with pydantic. Private to the client:
the port speaks `models.py`."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

from bot.chain.errors import ChainBadAnswer
from bot.net.http import validate

_M = TypeVar("_M", bound=BaseModel)


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class AccountResourceBody(_Model):
    # A missing field means 0: the node omits zero-valued fields.
    energy_limit: int = Field(default=0, alias="EnergyLimit", ge=0)
    energy_used: int = Field(default=0, alias="EnergyUsed", ge=0)


class TriggerResult(_Model):
    result: bool = False
    code: str | None = None
    message: str | None = None


class TxRet(_Model):
    ret: str | None = None


class TriggerTransaction(_Model):
    ret: list[TxRet] = []


class TriggerBody(_Model):
    result: TriggerResult
    constant_result: list[str] = []
    energy_used: int = Field(default=0, ge=0)  # the total, penalty included
    transaction: TriggerTransaction | None = None

    @property
    def succeeded(self) -> bool:
        if not self.result.result or self.result.code is not None:
            return False
        rets = self.transaction.ret if self.transaction else []
        return not any(r.ret == "FAILED" for r in rets)


class ChainParameter(_Model):
    key: str
    value: int = 0  # omitted when 0


class ChainParameters(_Model):
    chain_parameter: list[ChainParameter] = Field(alias="chainParameter")


class TokenInfo(_Model):
    address: str


class Trc20Item(_Model):
    transaction_id: str
    block_timestamp: int
    sender: str = Field(alias="from")
    payee: str = Field(alias="to")
    value: int
    token_info: TokenInfo


class Meta(_Model):
    fingerprint: str | None = None


class Trc20Page(_Model):
    data: list[Trc20Item] = []
    meta: Meta = Meta()


def parse(model: type[_M], raw: object) -> _M:
    return validate(model, raw, lambda detail: ChainBadAnswer("BAD_RESPONSE", detail))
