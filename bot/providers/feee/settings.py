"""Feee's settings (environment names `FEEE_*`, see `.env.example`)."""

from __future__ import annotations

from pydantic import Field

from bot.providers.settings import ApiKey, BaseUrl, HttpSettings


class FeeeSettings(HttpSettings):
    feee_api_key: ApiKey = None
    feee_base_url: BaseUrl = "https://feee.io/open"
    feee_user_agent: str = "Feee.io Client/1.0.0 (https://feee.io)"
    feee_requests_per_second: float = Field(default=5.0, gt=0)
