"""TronSave's settings (environment names `TRONSAVE_*`, see `.env.example`)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from bot.providers.settings import HttpSettings, blank_is_unset, http_url


class TronSaveSettings(HttpSettings):
    tronsave_api_key: SecretStr | None = None
    tronsave_base_url: str = "https://api.tronsave.io"
    # TronSave allows one request per 2 s on each Fast Charge endpoint.
    tronsave_min_interval_seconds: float = Field(default=2.0, ge=0)
    tronsave_track_chunk_size: int = Field(default=500, ge=1, le=5000)

    @field_validator("tronsave_api_key", mode="before")
    @classmethod
    def _tronsave_blank_key(cls, value: object) -> object:
        return blank_is_unset(value)

    @field_validator("tronsave_base_url")
    @classmethod
    def _tronsave_url(cls, value: str) -> str:
        return http_url(value)
