"""Settings, read from the environment or `.env` (see `.env.example` for every name)."""

from __future__ import annotations

import re
from decimal import Decimal
from ipaddress import ip_address
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.chain.settings import ChainSettings
from bot.providers.registry import ProviderSettings


class Settings(ProviderSettings, ChainSettings, BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    telegram_bot_token: SecretStr
    telegram_base_url: str = "https://api.telegram.org/bot"
    # The provider settings (TRONSAVE_*, FEEE_*, HTTP_TIMEOUT_SECONDS) come from
    # ProviderSettings: each provider package defines its own. The TRON network client's
    # (TRON_*, TRONGRID_API_KEY) come from ChainSettings.

    database_path: Path = Path("data/bot.sqlite3")
    allowed_user_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    # May /allow, /deny, /limit, /users and /audit in chat.
    admin_user_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    # Spend limits in TRX at the worst-case (maximum) price; unset = no limit of that kind.
    daily_spend_limit_trx: Decimal | None = Field(default=None, gt=0, decimal_places=6)
    max_order_trx: Decimal | None = Field(default=None, gt=0, decimal_places=6)

    poll_interval_seconds: float = Field(default=10.0, gt=0)
    # While orders are open: 0 tracks at the providers' pace (their limits space requests).
    poll_busy_interval_seconds: float = Field(default=0.0, ge=0)
    # false: every summary asks the providers on its own (no shared quotes); for comparison.
    quote_sharing: bool = True
    default_deadline_seconds: int = Field(default=300, ge=30, le=86_400)
    # Extra wait after a deadline before a still-pending order is reported as expired.
    deadline_grace_seconds: int = Field(default=60, ge=0)
    # How long the history is searched for a lost create's orders before reporting.
    recovery_window_seconds: float = Field(default=600.0, gt=0)
    heartbeat_path: Path | None = None
    log_level: str = "INFO"
    # How long sent pushes (and wizard state of chats that blocked the bot) are kept.
    outbox_retention_days: int = Field(default=30, ge=1, le=36_500)
    # How long closed orders (and their submissions) are kept for /orders and support.
    order_retention_days: int = Field(default=365, ge=1, le=36_500)
    # After the match: how often matched TronSave orders are checked on the chain for
    # automatic confirmation (and ending rentals looked for), and how long before a
    # rental ends its user is told (0: not told).
    auto_confirm_interval_seconds: float = Field(default=30.0, gt=0)
    rental_ending_notice_seconds: int = Field(default=600, ge=0, le=86_400)
    # Run against local simulators of both providers started inside the bot (no keys, no TRX).
    sandbox: bool = False

    # Production mode. A webhook URL switches from long polling to a webhook server
    # (PTB's run_webhook) on WEBHOOK_LISTEN:WEBHOOK_PORT, behind a TLS reverse proxy.
    telegram_webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65_535)
    webhook_secret_token: SecretStr | None = None
    # /healthz and /readyz in webhook mode, on WEBHOOK_LISTEN (PTB's server takes no routes).
    health_port: int = Field(default=8444, ge=1, le=65_535)
    # Prometheus metrics; unset = off.
    metrics_port: int | None = Field(default=None, ge=1, le=65_535)
    metrics_listen: str = "127.0.0.1"
    # Operator alerts (low balances, ...) go to this chat; unset = no alerts.
    operator_chat_id: int | None = None
    # Watched addresses (/watch): seconds between checks, addresses read per check (at the
    # node's pace, in turn), watches per user, and the pause of auto-rent after a failure.
    watch_interval_seconds: float = Field(default=60.0, gt=0)
    watch_addresses_per_check: int = Field(default=20, ge=1, le=1_000)
    watch_max_per_user: int = Field(default=10, ge=1, le=1_000)
    auto_rent_pause_seconds: int = Field(default=3_600, ge=0, le=86_400)

    @field_validator("operator_chat_id", mode="before")
    @classmethod
    def _blank_chat_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("allowed_user_ids", "admin_user_ids", mode="before")
    @classmethod
    def _parse_user_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in value.replace(";", ",").replace(" ", ",").split(",") if p]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError as exc:
                raise ValueError("must be comma-separated numeric Telegram user ids") from exc
        return value

    # A blank line such as `HEARTBEAT_PATH=` (as in .env.example) means "unset": without this
    # an empty path would become Path(".") and the heartbeat would be written to the cwd.
    @field_validator(
        "heartbeat_path",
        "telegram_webhook_url",
        "webhook_secret_token",
        "metrics_port",
        "daily_spend_limit_trx",
        "max_order_trx",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_not_blank(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("telegram_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("telegram_webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if not parts.hostname or parts.scheme not in ("http", "https"):
            raise ValueError("must be a full https:// URL")
        # Telegram posts only to https; plain http is kept for a local Bot API server.
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise ValueError("must start with https:// (http only for 127.0.0.1/localhost)")
        if parts.query or parts.fragment:
            raise ValueError("must not have a query or fragment")
        return value.strip()

    @field_validator("webhook_secret_token")
    @classmethod
    def _secret_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # The message never quotes the value: it is a secret.
        if value is not None and not _SECRET_TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _webhook_complete(self) -> Settings:
        if self.telegram_webhook_url is None:
            return self
        if self.webhook_secret_token is None:
            raise ValueError(
                "TELEGRAM_WEBHOOK_URL needs WEBHOOK_SECRET_TOKEN (1-256 characters of "
                "A-Z, a-z, 0-9, _ and -), so only Telegram can post updates"
            )
        if self.health_port == self.webhook_port:
            raise ValueError("HEALTH_PORT must differ from WEBHOOK_PORT")
        return self

    @model_validator(mode="after")
    def _metrics_port_free(self) -> Settings:
        taken = {self.health_port, self.webhook_port} if self.telegram_webhook_url else set()
        if self.metrics_port is not None and self.metrics_port in taken:
            raise ValueError("METRICS_PORT must differ from WEBHOOK_PORT and HEALTH_PORT")
        return self

    @property
    def webhook_path(self) -> str:
        """The path PTB's webhook server answers on: the webhook URL's own path."""
        return urlsplit(self.telegram_webhook_url or "").path.strip("/")

    @model_validator(mode="after")
    def _some_provider(self) -> Settings:
        if self.tronsave_api_key is None and self.feee_api_key is None and not self.sandbox:
            raise ValueError(
                "no provider configured: set TRONSAVE_API_KEY and/or FEEE_API_KEY "
                "(or SANDBOX=true to try the bot against local simulators)"
            )
        return self

    @property
    def effective_heartbeat_path(self) -> Path:
        return self.heartbeat_path or self.database_path.with_name("heartbeat")


_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")  # Telegram's rule for secret_token


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ip_address(host).is_loopback
    except ValueError:
        return False


class ConfigError(Exception):
    """A setting is missing or invalid; the message is one line meant for the operator."""


def load_settings(**overrides: object) -> Settings:
    """Load settings, turning pydantic's report into one actionable line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(p) for p in first.get("loc", ()) if p != "__root__"]
        msg = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        if loc:
            name = loc[0].upper()
            if first.get("type") == "missing":
                line = f"{name} is required: set it in .env or the environment (see .env.example)"
            else:
                line = f"{name} is invalid ({msg}): fix it in .env or the environment"
        else:
            line = f"{msg} (see .env.example)"
        raise ConfigError(line) from None
