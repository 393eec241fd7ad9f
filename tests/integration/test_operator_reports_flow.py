"""The operator's side through a real PTB Application: a failing provider alerted once
and its recovery once, errors the bot caught alerted with secrets masked, unknown
outcomes and the daily summary in the operator chat, admins reading any chat's history
(a non-admin refused, nothing changed), and the admin command menu."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.domain import SubmissionState
from bot.i18n import t
from bot.sandbox.tronsave import TronSaveSimulator
from bot.services.alerts_operator import FAILURE_WINDOW
from bot.services.history import CSV_HEADER
from bot.telegram.callback_data import HistoryButton
from bot.telegram.handlers import admin
from bot.telegram.operator_job import ERROR_JOB, OPERATOR_JOB
from bot.telegram.poll_job import POLL_JOB
from bot.tron_address import address_from_bytes
from tests.integration.harness import (
    ALICE,
    BOB,
    MALLORY,
    TOKEN,
    TS_KEY,
    Bot,
    make_settings,
    running_bot,
)
from tests.support.clock import Clock
from tests.support.history import Spec, add_orders

OPERATOR = -100555
A1 = address_from_bytes(b"\x71" * 20)
GROUP = -1009876543210


@pytest.fixture
def tronsave() -> Iterator[TronSaveSimulator]:
    sim = TronSaveSimulator(api_key=TS_KEY, rate_interval=0.0, unit_price=60)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock(time.time())


@pytest.fixture
async def bot(tmp_path: Path, tronsave: TronSaveSimulator, clock: Clock) -> AsyncIterator[Bot]:
    settings = make_settings(
        tmp_path,
        tronsave_api_key=TS_KEY,
        tronsave_base_url=tronsave.base_url,
        operator_chat_id=OPERATOR,
        admin_user_ids=frozenset({ALICE}),
    )
    async with running_bot(settings, clock=clock) as running:
        yield running


async def run_job(bot: Bot, name: str) -> None:
    assert bot.app.job_queue is not None
    # The poll job schedules its next run itself: the first one pending is run.
    job = bot.app.job_queue.get_jobs_by_name(name)[0]
    await job.run(bot.app)
    await bot.settle()


async def order_with_tronsave(bot: Bot) -> None:
    await bot.command(f"/new 65000 15m 70 {A1}")
    await bot.press(bot.last(), "Confirm with TronSave")
    assert "Submitted to TronSave" in (bot.last().text or "")


# -- a failing provider, end to end ----------------------------------------------------


async def test_a_failing_provider_is_alerted_once_then_its_recovery_once(
    bot: Bot, tronsave: TronSaveSimulator, clock: Clock
) -> None:
    await order_with_tronsave(bot)  # an open order, so each cycle asks TronSave
    tronsave.configure(api_key="revoked")  # every request refused (401), not retried
    for _ in range(6):  # six failing cycles, a minute apart
        await run_job(bot, POLL_JOB)
        clock.now += 60
    [alert] = bot.texts(OPERATOR)
    assert "Provider failing" in alert
    assert "TronSave failed 3 poll cycles within 10 minutes" in alert
    tronsave.configure(api_key=TS_KEY)
    await run_job(bot, POLL_JOB)  # answers again, but the window still holds failures
    assert len(bot.texts(OPERATOR)) == 1
    clock.now += FAILURE_WINDOW + 1
    await run_job(bot, POLL_JOB)
    await run_job(bot, POLL_JOB)
    texts = bot.texts(OPERATOR)
    assert len(texts) == 2
    assert "Provider back" in texts[1]
    assert "TronSave has had no failed poll cycle for 10 minutes" in texts[1]


# -- errors the bot caught --------------------------------------------------------------


async def test_a_failing_poll_cycle_is_alerted_rate_limited_with_the_token_masked(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(**_: object) -> None:
        raise RuntimeError(f"cannot reach https://api.telegram.org/bot{TOKEN}/getMe")

    monkeypatch.setattr(bot.rt.poller, "run_cycle", broken)
    for _ in range(20):  # a loop failing every time
        await run_job(bot, POLL_JOB)
    await run_job(bot, ERROR_JOB)
    await run_job(bot, ERROR_JOB)
    [alert] = bot.texts(OPERATOR)
    assert "Errors caught" in alert
    assert "<code>RuntimeError</code> ×20" in alert
    assert "bot.telegram.poll_job.poll_orders" in alert
    assert "poll cycle failed" in alert
    assert TOKEN not in alert
    assert TOKEN.split(":")[1] not in alert
    assert "***" in alert


async def test_a_handler_error_is_alerted_through_ptbs_error_handler(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object, **__: object) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(bot.rt.orders, "balances", broken)
    await bot.command("/balance")
    assert t("en", "error.internal") in (bot.last().text or "")
    await run_job(bot, ERROR_JOB)
    [alert] = bot.texts(OPERATOR)
    assert "<code>KeyError</code> ×1" in alert
    assert "bot/telegram/handlers/basic.py" in alert  # where it was raised
    assert "while handling Update" in alert


async def test_a_failing_job_is_alerted_through_ptbs_error_handler(bot: Bot) -> None:
    async def failing_job(context: object) -> None:
        raise ZeroDivisionError("a job's bug")

    assert bot.app.job_queue is not None
    job = bot.app.job_queue.run_once(failing_job, when=3600, name="failing")
    try:
        await failing_job(None)
    except ZeroDivisionError as exc:
        # What PTB does with a job's exception (the harness does not run the app's loop).
        await bot.app.process_error(None, exc, job=job)
    await run_job(bot, ERROR_JOB)
    [alert] = bot.texts(OPERATOR)
    assert "<code>ZeroDivisionError</code> ×1" in alert
    assert "while handling a job" in alert
    assert "a job's bug" in alert


# -- unknown outcomes and the daily summary ---------------------------------------------


async def test_an_unresolved_submission_reaches_the_operator_once(
    bot: Bot, tronsave: TronSaveSimulator
) -> None:
    tronsave.add_fault("create", "drop", count=1)  # the answer is lost
    tronsave.add_fault("history", "error500", count=None)  # and cannot be searched
    await bot.command(f"/new 65000 15m 70 {A1}")
    await bot.press(bot.last(), "Confirm with TronSave")
    [sub] = await bot.rt.repo.submissions_in([SubmissionState.UNCERTAIN])
    await bot.rt.repo.set_submission_state(
        sub.id,
        SubmissionState.UNRESOLVED,
        now=time.time(),
        expected=[SubmissionState.UNCERTAIN],
        error_code="SEARCH_INCOMPLETE",
    )
    await run_job(bot, OPERATOR_JOB)
    await run_job(bot, OPERATOR_JOB)
    [alert] = [x for x in bot.texts(OPERATOR) if "unknown outcome" in x]
    assert f"Submission #{sub.id} · TronSave" in alert
    assert f"unknown: 1 ({A1})" in alert


async def test_the_daily_summary_reaches_the_operator_once(bot: Bot, clock: Clock) -> None:
    await add_orders(
        bot.rt.repo,
        BOB,
        [Spec(clock.now - 86_400, 3_900_000, 900_000)],
    )
    await run_job(bot, OPERATOR_JOB)
    await run_job(bot, OPERATOR_JOB)
    [summary] = [x for x in bot.texts(OPERATOR) if "Daily summary" in x]
    assert "All: 1 orders · charged 3.9 TRX · refunded 0.9 TRX · net 3 TRX" in summary
    assert f"<code>{BOB}</code>: 1 orders" in summary


# -- admins reading any chat's history --------------------------------------------------


async def test_an_admin_reads_another_chats_history_and_csv_audited(bot: Bot) -> None:
    stored = await add_orders(
        bot.rt.repo, GROUP, [Spec(time.time() - 60 * i, 1_000_000, 0) for i in range(10)]
    )
    await bot.command(f"/history {GROUP}")
    page = bot.last()
    assert f"Chat <code>{GROUP}</code>" in (page.text or "")
    assert f"#{stored[-1].id} " in (page.text or "")
    await bot.press(page, t("en", "button.next"))
    assert f"#{stored[0].id} " in (bot.last().text or "")
    await bot.press(bot.last(), t("en", "button.export_csv"))
    [upload] = [u for u in bot.api.uploads if u.method == "sendDocument"]
    assert str(upload.params["chat_id"]) == str(ALICE)  # to the admin, not to the group
    rows = list(csv.reader(io.StringIO(upload.content.decode("utf-8"))))
    assert tuple(rows[0]) == CSV_HEADER
    assert [r[0] for r in rows[1:]] == [str(o.id) for o in stored]
    assert all(r[9] == "1.000000" and r[11] == "1.000000" for r in rows[1:])
    entries = await bot.rt.repo.audit_entries(10)
    assert [(e.action, e.target_id) for e in entries] == [
        ("history csv", GROUP),
        ("history", GROUP),
    ]
    assert bot.messages(GROUP) == []


async def test_a_non_admin_giving_a_chat_id_is_refused_and_nothing_changes(bot: Bot) -> None:
    await add_orders(bot.rt.repo, GROUP, [Spec(time.time(), 1_000_000, 0)])
    await bot.command(f"/history {GROUP}", user=BOB)  # may spend, but no admin
    assert "Only the bot's admins" in (bot.last(BOB).text or "")
    await bot.command(f"/history {GROUP}", user=MALLORY, lang="zh")
    assert "只有机器人管理员" in (bot.last(MALLORY).text or "")
    # A forged page or CSV button of another chat is refused as well.
    await bot.command("/history", user=BOB)
    own = bot.last(BOB)
    for data in (HistoryButton(None, GROUP).pack(), HistoryButton(0, GROUP).pack()):
        await bot.press_data(data, own, user=BOB)
    assert [u for u in bot.api.uploads if u.method == "sendDocument"] == []
    assert str(GROUP) not in "".join(bot.texts(BOB))
    assert await bot.rt.repo.audit_entries(10) == []


async def test_an_admin_with_a_bad_chat_id_gets_the_usage(bot: Bot) -> None:
    for command in ("/history abc", "/history 1 2", "/history 0", "/history -"):
        await bot.command(command)
        assert "Usage: /history" in (bot.last().text or ""), command
    assert await bot.rt.repo.audit_entries(10) == []


# -- the admin command menu -------------------------------------------------------------


async def test_admins_get_the_admin_commands_in_their_menu_others_do_not(bot: Bot) -> None:
    menus = bot.api.commands()
    user_en = [c["command"] for c in menus[("default", "")]]
    assert "allow" not in user_en
    assert "history" in user_en
    assert "allow" not in [c["command"] for c in menus[("default", "zh")]]
    admin_en = menus[(f"chat:{ALICE}", "")]
    admin_zh = menus[(f"chat:{ALICE}", "zh")]
    assert [c["command"] for c in admin_en] == user_en + list(admin.COMMANDS)
    assert {c["command"] for c in admin_zh} >= set(admin.COMMANDS)
    assert t("zh", "command.allow") in [c["description"] for c in admin_zh]
    assert (f"chat:{BOB}", "") not in menus

    # Choosing a language keeps the admin's commands; a user's menu stays without them.
    await bot.command("/language")
    await bot.press(bot.last(), "中文")
    chosen = [c["command"] for c in bot.api.commands()[(f"chat:{ALICE}", "")]]
    assert set(admin.COMMANDS) <= set(chosen)
    await bot.command("/language", user=BOB)
    await bot.press(bot.last(BOB), "中文", user=BOB)
    assert "allow" not in [c["command"] for c in bot.api.commands()[(f"chat:{BOB}", "")]]


async def test_an_admin_removed_from_the_list_gets_the_user_menu_back(
    tmp_path: Path, tronsave: TronSaveSimulator
) -> None:
    def settings(admins: frozenset[int]) -> object:
        return make_settings(
            tmp_path,
            tronsave_api_key=TS_KEY,
            tronsave_base_url=tronsave.base_url,
            admin_user_ids=admins,
        )

    async with running_bot(settings(frozenset({ALICE, BOB}))) as first:  # type: ignore[arg-type]
        assert (f"chat:{BOB}", "") in first.api.commands()
    async with running_bot(settings(frozenset({ALICE}))) as second:  # type: ignore[arg-type]
        deleted = second.api.calls_of("deleteMyCommands")
        assert [(c["scope"], c.get("language_code")) for c in deleted] == [
            ({"chat_id": BOB, "type": "chat"}, "zh"),
            ({"chat_id": BOB, "type": "chat"}, None),
        ]
        assert (f"chat:{ALICE}", "") in second.api.commands()
