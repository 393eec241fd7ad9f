"""Feee's settings (environment names `FEEE_*`, see `.env.example`)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from bot.providers.settings import HttpSettings, blank_is_unset, http_url


class FeeeSettings(HttpSettings):
    feee_api_key: SecretStr | None = None
    feee_base_url: str = "https://feee.io/open"
    feee_user_agent: str = "Feee.io Client/1.0.0 (https://feee.io)"
    feee_requests_per_second: float = Field(default=5.0, gt=0)

    @field_validator("feee_api_key", mode="before")
    @classmethod
    def _feee_blank_key(cls, value: object) -> object:
        return blank_is_unset(value)

    @field_validator("feee_base_url")
    @classmethod
    def _feee_url(cls, value: str) -> str:
        return http_url(value)
