# syntax=docker/dockerfile:1
# Telegram bot that rents TRON energy. Long polling: no port is exposed.
#   docker build -t tron-energy-bot .
#   docker run -d --env-file .env -v tron-energy-data:/data tron-energy-bot
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /app

# Project metadata first, then the package, then install it (no dev tools, no tests).
COPY pyproject.toml README.md ./
COPY bot/ ./bot/
RUN pip install . \
    && useradd --uid 10001 --no-log-init --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin bot \
    && mkdir -p /data \
    && chown 10001:10001 /data

# SQLite database and heartbeat file live here; mount a volume to keep them.
ENV DATABASE_PATH=/data/bot.sqlite3
VOLUME ["/data"]

USER 10001

# The bot writes /data/heartbeat when a poll cycle finishes; bot.healthcheck fails once it
# is older than max(3 * POLL_INTERVAL_SECONDS, 2 * last cycle + POLL_INTERVAL_SECONDS) + 60 s.
HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 \
    CMD ["python", "-m", "bot.healthcheck"]

CMD ["python", "-m", "bot"]
