"""TronSave's settings (environment names `TRONSAVE_*`, see `.env.example`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

from bot.providers.settings import ApiKey, BaseUrl, HttpSettings, TrxThreshold, blank_is_unset

# Ids per tracking request at most; unset: every open order of the key in one request,
# split only where the API refuses a size (see `tronsave.tracking`).
ChunkCap = Annotated[Annotated[int, Field(ge=1)] | None, BeforeValidator(blank_is_unset)]


class TronSaveSettings(HttpSettings):
    tronsave_api_key: ApiKey = None
    tronsave_base_url: BaseUrl = "https://api.tronsave.io"
    # TronSave allows one request per 2 s on each Fast Charge endpoint.
    tronsave_min_interval_seconds: float = Field(default=2.0, ge=0)
    tronsave_track_chunk_size: ChunkCap = None
    # Alert OPERATOR_CHAT_ID when the balance falls below this (TRX); unset = no alert.
    tronsave_low_balance_trx: TrxThreshold = None
