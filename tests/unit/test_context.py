"""Handlers reach the services through the typed context, never through a cast."""

from __future__ import annotations

from pathlib import Path

import pytest
from telegram.ext import ApplicationBuilder

from bot.app import build_application
from bot.services.runtime import Runtime
from bot.telegram.context import CONTEXT_TYPES, BotContext
from tests.integration.harness import TS_KEY, make_settings
from tests.support.fake_bot_api import FakeBotApi


def test_the_context_of_a_built_application_exposes_its_services(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, tronsave_api_key=TS_KEY, tronsave_base_url="http://127.0.0.1:9"
    )
    app = build_application(settings, request=FakeBotApi(), get_updates_request=FakeBotApi())
    assert app.context_types.context is BotContext
    context = BotContext(app)
    assert isinstance(context.services, Runtime)
    assert context.services.default_deadline == settings.default_deadline_seconds


def test_an_application_built_elsewhere_says_so() -> None:
    app = ApplicationBuilder().token("1:x").context_types(CONTEXT_TYPES).build()
    with pytest.raises(TypeError, match="build_application"):
        _ = BotContext(app).services
