"""`build_application` builds every service and opens nothing; `post_init` starts the
one `BotServices` object and `post_shutdown` stops it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.app import LIFECYCLE_KEY, build_application
from bot.telegram.context import SERVICES_KEY
from bot.telegram.lifecycle import BotServices
from tests.integration.harness import TS_KEY, make_settings
from tests.support.fake_bot_api import FakeBotApi

# Never asked: nothing here reaches a provider.
PROVIDER = {"tronsave_api_key": TS_KEY, "tronsave_base_url": "http://127.0.0.1:9"}


def test_building_opens_nothing(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", **PROVIDER)
    app = build_application(settings, request=FakeBotApi(), get_updates_request=FakeBotApi())
    services = app.bot_data[LIFECYCLE_KEY]
    assert isinstance(services, BotServices)
    assert app.bot_data[SERVICES_KEY] is services.runtime
    assert not (tmp_path / "data").exists()  # no database file yet


async def test_post_init_and_post_shutdown_start_and_stop_the_one_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path, **PROVIDER)
    app = build_application(settings, request=FakeBotApi(), get_updates_request=FakeBotApi())
    services = app.bot_data[LIFECYCLE_KEY]
    assert isinstance(services, BotServices)
    calls: list[str] = []
    start, stop = services.start, services.stop

    async def spy_start(started: Any) -> None:
        assert started is app
        calls.append("start")
        await start(started)

    async def spy_stop() -> None:
        calls.append("stop")
        await stop()

    monkeypatch.setattr(services, "start", spy_start)
    monkeypatch.setattr(services, "stop", spy_stop)
    async with app:
        assert app.post_init is not None
        assert app.post_shutdown is not None
        await app.post_init(app)
        assert calls == ["start"]
        # Started for real: the database answers, the dispatcher runs, the jobs exist.
        assert await services.runtime.repo.unsent_notifications() == []
        assert services.dispatcher._task is not None
        assert not services.dispatcher._task.done()
        assert app.job_queue is not None
        assert {j.name for j in app.job_queue.jobs()} >= {
            "order-poller",
            "housekeeping",
            "after-match",
        }
        await app.post_shutdown(app)
        assert calls == ["start", "stop"]
        assert services.dispatcher._task.done()
        await app.post_shutdown(app)  # a second stop does nothing
        assert calls == ["start", "stop", "stop"]
