"""Feee's settings (environment names `FEEE_*`, see `.env.example`)."""

from __future__ import annotations

from pydantic import Field

from bot.providers.settings import ApiKey, BaseUrl, HttpSettings, TrxThreshold


class FeeeSettings(HttpSettings):
    feee_api_key: ApiKey = None
    feee_base_url: BaseUrl = "https://feee.io/open"
    feee_user_agent: str = "Feee.io Client/1.0.0 (https://feee.io)"
    feee_requests_per_second: float = Field(default=5.0, gt=0)
    # Alert OPERATOR_CHAT_ID when the balance falls below this (TRX); unset = no alert.
    feee_low_balance_trx: TrxThreshold = None
