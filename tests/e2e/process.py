"""Running `python -m bot` as a separate process against the fake Bot API and simulators.

Each bot process gets a clean environment (nothing inherited that the bot's settings read),
runs in the test's temporary directory (so no stray `.env` is picked up) and writes its
stdout and stderr to a log file there, which the e2e conftest attaches to a failed test's
report. A `BotLauncher` remembers every process it started and kills what is still running
when the test ends.
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from testkit.launcher import BotProcess, launch_bot
from testkit.launcher import clean_environ as clean_environ  # noqa: PLC0414 (re-export)
from tests.support.fake_bot_api import buttons
from tests.support.telegram_server import FakeTelegramServer, SentMessage, find_button

_T = TypeVar("_T")

TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ-e2e0token"
TS_KEY = "ts-e2e-key-0123456789abcdef"
FEEE_KEY = "feee-e2e-key-fedcba9876543210"
ALICE = 1001  # allowed
MALLORY = 6666  # not allowed

POLL_INTERVAL = 0.5
HTTP_TIMEOUT = 2.0
TRONSAVE_INTERVAL = 0.2  # the bot's pacing; the simulator's rate_interval must not exceed it
START_TIMEOUT = 20.0
REPLY_TIMEOUT = 10.0


def bot_env(
    *,
    telegram_url: str,
    database: Path,
    tronsave_url: str | None = None,
    feee_url: str | None = None,
    tron_node_url: str | None = None,
    allowed: Iterable[int] = (ALICE,),
    token: str | None = TOKEN,
    **extra: str,
) -> dict[str, str]:
    """The environment of a bot process. `extra` adds or overrides variables by name."""
    env = clean_environ()
    values: dict[str, str] = {
        "TELEGRAM_BASE_URL": telegram_url,
        "DATABASE_PATH": str(database),
        "ALLOWED_USER_IDS": ",".join(str(u) for u in allowed),
        "POLL_INTERVAL_SECONDS": str(POLL_INTERVAL),
        "HTTP_TIMEOUT_SECONDS": str(HTTP_TIMEOUT),
        "LOG_LEVEL": "INFO",
    }
    if token is not None:
        values["TELEGRAM_BOT_TOKEN"] = token
    if tronsave_url is not None:
        values["TRONSAVE_API_KEY"] = TS_KEY
        values["TRONSAVE_BASE_URL"] = tronsave_url
        values["TRONSAVE_MIN_INTERVAL_SECONDS"] = str(TRONSAVE_INTERVAL)
    if feee_url is not None:
        values["FEEE_API_KEY"] = FEEE_KEY
        values["FEEE_BASE_URL"] = f"{feee_url}/open"
    # No test reaches the internet: without a node simulator, chain reads are off.
    if tron_node_url is None:
        values["TRON_CHAIN_READS"] = "false"
    else:
        values["TRON_NODE_URL"] = tron_node_url
        values["TRON_REQUESTS_PER_SECOND"] = "100"
    values.update(extra)
    env.update(values)
    return env


def wait_until(
    probe: Callable[[], _T | None],
    *,
    timeout: float,
    what: str,
    interval: float = 0.05,
) -> _T:
    """Call `probe` until it returns something other than None (or False)."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found is not None and found is not False:
            return found
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def query_db(database: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows from the bot's database, read-only (WAL lets this run beside the bot)."""
    uri = f"file:{database}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=5)) as db:
        return list(db.execute(sql, params).fetchall())


class BotLauncher:
    """Starts bot processes in `workdir` and makes sure none outlives the test."""

    def __init__(self, workdir: Path, tg: FakeTelegramServer) -> None:
        self.workdir = workdir
        self.tg = tg
        self.processes: list[BotProcess] = []

    def start(
        self,
        env: Mapping[str, str],
        *,
        timeout: float = START_TIMEOUT,
        ready_call: str = "getUpdates",
        listening: int | None = None,
    ) -> BotProcess:
        """Start `python -m bot` and return once it polls the fake Bot API (or made
        `ready_call`, e.g. "setWebhook" in webhook mode) and, with `listening`, once that
        port on 127.0.0.1 takes connections (PTB sets the webhook before its server
        listens, so an update posted at once could find nobody there)."""
        before = self.tg.method_counts().get(ready_call, 0)
        log_path = self.workdir / f"bot-{len(self.processes) + 1}.log"
        proc = launch_bot(env, cwd=self.workdir, log_path=log_path)
        self.processes.append(proc)

        def polling() -> bool | None:
            if self.tg.method_counts().get(ready_call, 0) > before:
                return True
            if not proc.running:
                raise AssertionError(
                    f"the bot exited with {proc.popen.returncode} before {ready_call}; "
                    f"log:\n{proc.log()}"
                )
            return None

        wait_until(polling, timeout=timeout, what=f"the bot's first {ready_call}")
        if listening is not None:
            port = listening

            def accepting() -> bool:
                polling()  # still running
                with closing(socket.socket()) as sock:
                    return sock.connect_ex(("127.0.0.1", port)) == 0

            wait_until(accepting, timeout=timeout, what=f"the bot listening on {port}")
        return proc

    def cleanup(self) -> None:
        for proc in self.processes:
            if proc.running:
                proc.kill()


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str


def run_bot_to_exit(env: Mapping[str, str], workdir: Path, timeout: float = 30.0) -> Finished:
    """Run `python -m bot` expecting it to exit on its own (e.g. a configuration error)."""
    done = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=workdir,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    return Finished(
        done.returncode,
        done.stdout.decode(errors="replace"),
        done.stderr.decode(errors="replace"),
    )


@dataclass
class TelegramUser:
    """One user in their private chat with the bot, seen through the fake Bot API."""

    tg: FakeTelegramServer
    user_id: int

    @property
    def chat_id(self) -> int:
        return self.user_id

    def send(self, text: str) -> int:
        """A command if `text` starts with "/", else plain text; returns its message id."""
        if text.startswith("/"):
            return self.tg.send_command(text, user_id=self.user_id, chat_id=self.chat_id)
        return self.tg.send_text(text, user_id=self.user_id, chat_id=self.chat_id)

    def messages(self) -> list[SentMessage]:
        return self.tg.messages(self.chat_id)

    def last_id(self) -> int:
        """The newest bot message id (0 if none): later bot messages have larger ids."""
        return max((m.message_id for m in self.messages()), default=0)

    def wait_for(
        self, contains: str | None = None, *, after: int, timeout: float = REPLY_TIMEOUT
    ) -> SentMessage:
        """The first bot message after `after`, or the first one containing `contains`."""

        def matches(message: SentMessage) -> bool:
            return contains is None or contains in (message.text or "")

        return self.tg.wait_for_message(self.chat_id, matches, timeout=timeout, after=after)

    def reply_to(self, text: str, *, timeout: float = REPLY_TIMEOUT) -> SentMessage:
        """Send `text` and return the bot's next message, whatever it says."""
        return self.wait_for(after=self.send(text), timeout=timeout)

    def press(self, message: SentMessage, label: str) -> str:
        """Press the button of `message` whose label contains `label`; returns the query id."""
        return self.press_data(message, find_button(message, label))

    def press_and_wait(
        self, message: SentMessage, label: str, reply: str, *, timeout: float = REPLY_TIMEOUT
    ) -> SentMessage:
        """Press a button and return the first new bot message containing `reply`."""
        before = self.last_id()
        self.press(message, label)
        return self.wait_for(reply, after=before, timeout=timeout)

    def press_data(self, message: SentMessage, data: str) -> str:
        return self.tg.press_button(
            user_id=self.user_id, chat_id=self.chat_id, message_id=message.message_id, data=data
        )

    def count(self, contains: str) -> int:
        return sum(contains in (m.text or "") for m in self.messages())


def labels(message: SentMessage) -> list[str]:
    """The labels of every inline button of `message`."""
    return [str(button.get("text", "")) for button in buttons(message)]
