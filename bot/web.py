"""`/healthz` and `/readyz` for webhook mode, on a small tornado server in the bot's loop.

Why a server of its own: PTB's `run_webhook` builds its tornado application with the one
webhook route, in a module PTB keeps private (`telegram.ext._utils.webhookhandler`), and
keeps the server in a private attribute of the Updater; there is no public way to add a
route. So these two routes listen on WEBHOOK_LISTEN:HEALTH_PORT, served by tornado (which
PTB's webhook mode needs anyway) in the same event loop as the bot: `/healthz` answering
at all proves that loop is not stuck.

- `/healthz` (liveness): 200 while the process serves requests.
- `/readyz` (readiness): 200 when the database answers a query and the last poll cycle
  is recent by the rule of :mod:`bot.healthcheck`; otherwise 503 with one line saying why.

No Telegram import here: the entry point wires it.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from contextlib import closing
from pathlib import Path

import tornado.web
from tornado.httpserver import HTTPServer

from bot import healthcheck

log = logging.getLogger(__name__)

Readiness = Callable[[], Awaitable[tuple[bool, str]]]


def readiness(database: Path, heartbeat: Path, poll_interval: float) -> Readiness:
    """The readiness check of the bot whose database and heartbeat are these."""
    env = {"HEARTBEAT_PATH": str(heartbeat), "POLL_INTERVAL_SECONDS": str(poll_interval)}

    async def check() -> tuple[bool, str]:
        try:
            await asyncio.to_thread(_query, database)
        except sqlite3.Error as exc:
            return False, f"not ready: the database does not answer: {exc}"
        return healthcheck.check(env)

    return check


def _query(database: Path) -> None:
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=2.0)) as db:
        db.execute("SELECT COUNT(*) FROM orders WHERE id < 0").fetchone()


class _Text(tornado.web.RequestHandler):
    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("Cache-Control", "no-store")


class _Live(_Text):
    def get(self) -> None:
        self.write("ok\n")


class _Ready(_Text):
    def initialize(self, check: Readiness) -> None:
        self._check = check

    async def get(self) -> None:
        ready, reason = await self._check()
        self.set_status(200 if ready else 503)
        self.write(f"{reason}\n")


class _App(tornado.web.Application):
    def log_request(self, handler: tornado.web.RequestHandler) -> None:
        pass  # probes every few seconds would drown the bot's own log


class HealthServer:
    def __init__(self, check: Readiness, *, listen: str, port: int) -> None:
        app = _App([(r"/healthz", _Live), (r"/readyz", _Ready, {"check": check})])
        self._server = HTTPServer(app)
        self._listen = listen
        self._port = port

    async def start(self) -> None:
        self._server.listen(self._port, address=self._listen)
        log.info("health endpoints on http://%s:%d/healthz and /readyz", self._listen, self._port)

    async def stop(self) -> None:
        self._server.stop()
        await self._server.close_all_connections()
