"""What every provider's settings share, and the checks their fields use.

Each provider package defines its own settings as a mixin of flat fields named after it
(`tronsave_api_key`, ...); `bot.config.Settings` composes them, so the environment
names stay flat and one `Settings` object reports one error line.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, SecretStr


class HttpSettings(BaseModel):
    http_timeout_seconds: float = Field(default=15.0, gt=0)


def blank_is_unset(value: object) -> object:
    """A blank line such as `FEEE_API_KEY=` (as in .env.example) means "not set"."""
    return None if isinstance(value, str) and not value.strip() else value


def http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return value.rstrip("/")


# The field types provider settings use: a key that a blank line leaves unset, and a
# base URL that must be http(s) (kept without its trailing slash).
ApiKey = Annotated[SecretStr | None, BeforeValidator(blank_is_unset)]
BaseUrl = Annotated[str, AfterValidator(http_url)]
# A balance threshold in TRX (Decimal at the edge; the bot compares in SUN).
TrxThreshold = Annotated[
    Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=6)] | None,
    BeforeValidator(blank_is_unset),
]
