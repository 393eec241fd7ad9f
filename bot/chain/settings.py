"""Settings of the TRON network client: a mixin of the bot's `Settings` (environment names
`TRON_*` and `TRONGRID_API_KEY`, see `.env.example`), as the provider packages' are."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, SecretStr

from bot.net.pacing import Pacer

DEFAULT_NODE_URL = "https://api.trongrid.io"


def _blank_is_unset(value: object) -> object:
    """A blank line such as `TRONGRID_API_KEY=` (as in .env.example) means "not set"."""
    return None if isinstance(value, str) and not value.strip() else value


def _node_url(value: str) -> str:
    value = value.strip().rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return value


class ChainSettings(BaseModel):
    """`TRON_NODE_URL`, `TRONGRID_API_KEY`, `TRON_REQUESTS_PER_SECOND`, ..."""

    # false: no chain reads at all (the bot then works as it would with no node reachable,
    # and says what it could not check).
    tron_chain_reads: bool = True
    tron_node_url: Annotated[str, AfterValidator(_node_url)] = DEFAULT_NODE_URL
    # Sent as TRON-PRO-API-KEY. TronGrid serves keyless clients too, at a lower limit.
    trongrid_api_key: Annotated[SecretStr | None, BeforeValidator(_blank_is_unset)] = None
    # TronGrid asks clients not to hard-code its limits (they are per key and per IP), so
    # the pace is a setting; older docs gave about 15 requests/s with a key.
    tron_requests_per_second: float = Field(default=5.0, gt=0)
    tron_timeout_seconds: float = Field(default=10.0, gt=0)
    # The burn price changes only by a network proposal (last on 2025-08-08).
    tron_energy_fee_cache_seconds: float = Field(default=600.0, ge=0)

    def make_pacer(self) -> Pacer:
        """The one pacer for the node; create it once per process and share it."""
        return Pacer(1.0 / self.tron_requests_per_second, hold=False)
