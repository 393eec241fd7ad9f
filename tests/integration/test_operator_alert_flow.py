"""Operator alerts through a real PTB Application: the scheduled job reads the balances
from the TronSave simulator and the outbox delivers each crossing once to
OPERATOR_CHAT_ID, in English unless that chat chose a language."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.i18n import t
from bot.sandbox.tronsave import TronSaveSimulator
from bot.telegram.operator_job import OPERATOR_JOB
from tests.integration.harness import TS_KEY, Bot, make_settings, running_bot

OPERATOR = 4242
TRX = 1_000_000


@pytest.fixture
def tronsave() -> Iterator[TronSaveSimulator]:
    sim = TronSaveSimulator(api_key=TS_KEY, rate_interval=0.0, balance=100 * TRX)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
async def bot(tmp_path: Path, tronsave: TronSaveSimulator) -> AsyncIterator[Bot]:
    settings = make_settings(
        tmp_path,
        tronsave_api_key=TS_KEY,
        tronsave_base_url=tronsave.base_url,
        operator_chat_id=OPERATOR,
        tronsave_low_balance_trx="50.5",
    )
    async with running_bot(settings) as running:
        yield running


async def run_alert_job(bot: Bot) -> None:
    assert bot.app.job_queue is not None
    [job] = bot.app.job_queue.get_jobs_by_name(OPERATOR_JOB)
    await job.run(bot.app)
    await bot.settle()


async def test_low_balance_reaches_the_operator_once_per_crossing(
    bot: Bot, tronsave: TronSaveSimulator
) -> None:
    await run_alert_job(bot)
    assert bot.messages(OPERATOR) == []  # 100 TRX: above the threshold

    tronsave.configure(balance=50 * TRX)
    await run_alert_job(bot)
    await run_alert_job(bot)  # still low: no second alert
    [low] = bot.texts(OPERATOR)
    assert "Low balance" in low
    assert "TronSave" in low
    assert "50.5" in low
    assert "50 TRX" in low

    tronsave.configure(balance=60 * TRX)
    await run_alert_job(bot)
    await run_alert_job(bot)
    texts = bot.texts(OPERATOR)
    assert len(texts) == 2
    assert "Balance back" in texts[1]
    assert "60 TRX" in texts[1]


async def test_operator_chat_that_chose_chinese_reads_chinese(
    bot: Bot, tronsave: TronSaveSimulator
) -> None:
    await bot.rt.repo.set_user_lang(OPERATOR, "zh")
    tronsave.configure(balance=TRX)
    await run_alert_job(bot)
    [text] = bot.texts(OPERATOR)
    assert "余额不足" in text
    assert t("zh", "provider.tronsave") in text


async def test_without_operator_chat_no_alert_job(
    tmp_path: Path, tronsave: TronSaveSimulator
) -> None:
    settings = make_settings(
        tmp_path,
        tronsave_api_key=TS_KEY,
        tronsave_base_url=tronsave.base_url,
        tronsave_low_balance_trx="1000",
    )
    async with running_bot(settings) as running:
        assert running.rt.operator is None
        assert running.app.job_queue is not None
        assert running.app.job_queue.get_jobs_by_name(OPERATOR_JOB) == ()
