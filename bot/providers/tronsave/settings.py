"""TronSave's settings (environment names `TRONSAVE_*`, see `.env.example`)."""

from __future__ import annotations

from pydantic import Field

from bot.providers.settings import ApiKey, BaseUrl, HttpSettings, TrxThreshold


class TronSaveSettings(HttpSettings):
    tronsave_api_key: ApiKey = None
    tronsave_base_url: BaseUrl = "https://api.tronsave.io"
    # TronSave allows one request per 2 s on each Fast Charge endpoint.
    tronsave_min_interval_seconds: float = Field(default=2.0, ge=0)
    tronsave_track_chunk_size: int = Field(default=500, ge=1, le=5000)
    # Alert OPERATOR_CHAT_ID when the balance falls below this (TRX); unset = no alert.
    tronsave_low_balance_trx: TrxThreshold = None
