"""/history, its Export CSV button and /balance's deposit QR codes, through a real PTB
Application with both provider simulators."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bot.domain import OrderState
from bot.i18n import LANGS, Lang, t
from bot.money import format_trx, trx_to_sun
from bot.sandbox.feee import FeeeSimulator
from bot.sandbox.tronsave import TronSaveSimulator
from bot.services.history import CSV_HEADER
from bot.storage.repository import OrderChanges, Transition
from bot.telegram.callback_data import HistoryButton
from bot.telegram.handlers import history as history_handlers
from bot.telegram.settle_job import SETTLE_JOB
from bot.tron_address import address_from_bytes
from tests.integration.harness import (
    ALICE,
    BOB,
    FEEE_KEY,
    MALLORY,
    TS_KEY,
    Bot,
    make_settings,
    running_bot,
)
from tests.support.fake_bot_api import Upload, buttons, telegram_length
from tests.support.history import Spec, add_orders
from tests.support.simulators import sim_counts

A1 = address_from_bytes(b"\x51" * 20)
NOW = time.time()
DAY = 86_400


@pytest.fixture
def tronsave() -> Iterator[TronSaveSimulator]:
    sim = TronSaveSimulator(api_key=TS_KEY, rate_interval=0.0, unit_price=60)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def feee() -> Iterator[FeeeSimulator]:
    sim = FeeeSimulator(api_key=FEEE_KEY, qps=1000, price_v2=40)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
async def bot(
    tmp_path: Path, tronsave: TronSaveSimulator, feee: FeeeSimulator
) -> AsyncIterator[Bot]:
    settings = make_settings(
        tmp_path,
        tronsave_api_key=TS_KEY,
        tronsave_base_url=tronsave.base_url,
        feee_api_key=FEEE_KEY,
        feee_base_url=feee.base_url + "/open",
    )
    async with running_bot(settings) as running:
        yield running


def uploads(bot: Bot, method: str) -> list[Upload]:
    return [u for u in bot.api.uploads if u.method == method]


async def run_settle_job(bot: Bot) -> None:
    assert bot.app.job_queue is not None
    [job] = bot.app.job_queue.get_jobs_by_name(SETTLE_JOB)
    await job.run(bot.app)


async def order_with_feee(bot: Bot) -> None:
    await bot.command(f"/new 65000 1h 70 {A1}")
    await bot.press(bot.last(), "Confirm with Feee.io")
    assert "Submitted to Feee.io" in (bot.last().text or "")


async def test_a_completed_feee_rental_gets_its_refund_of_0_from_feees_record(
    bot: Bot, feee: FeeeSimulator
) -> None:
    await order_with_feee(bot)
    feee.deliver()
    await bot.poll()
    feee.reclaim()  # the rental ran its course: status 9, refund_amount 0
    [order] = (await bot.rt.repo.chat_orders(ALICE, offset=0, limit=5))[0]
    # The poller ends a running rental on its own clock (an hour here): as it would.
    ended = Transition(order, OrderState.COMPLETED, "9", OrderChanges(closed_at=time.time()))
    assert await bot.rt.repo.apply([ended], now=time.time())
    [order] = await bot.rt.repo.orders_by_ids([order.id])
    assert order.refund_sun is None  # tracking stores a refund only when there is one
    queries = sim_counts(feee).get("query", 0)
    await bot.command("/history")
    assert sim_counts(feee).get("query", 0) == queries  # a page asks Feee nothing
    assert "refunded pending" in (bot.last().text or "")
    await run_settle_job(bot)
    [order] = await bot.rt.repo.orders_by_ids([order.id])
    record = feee.order(order.provider_order_id)
    assert record is not None
    assert order.charge_sun == trx_to_sun(Decimal(str(record["pay_amount"])))
    assert order.refund_sun == 0
    await bot.command("/history")
    text = bot.last().text or ""
    assert f"charged {format_trx(order.charge_sun)} TRX · refunded 0 TRX" in text
    assert "pending" not in text


async def test_a_failed_feee_order_gets_its_full_refund_from_feees_record(
    bot: Bot, feee: FeeeSimulator
) -> None:
    await order_with_feee(bot)
    [order] = (await bot.rt.repo.chat_orders(ALICE, offset=0, limit=5))[0]
    feee.fail(order.provider_order_id)
    await bot.poll()
    await run_settle_job(bot)
    [order] = await bot.rt.repo.orders_by_ids([order.id])
    assert order.state is OrderState.FAILED
    assert order.charge_sun is not None
    assert order.refund_sun == order.charge_sun


async def order_with_tronsave(bot: Bot) -> None:
    await bot.command(f"/new 65000 15m 70 {A1}")
    await bot.press(bot.last(), "TronSave · 3.9 TRX")
    await bot.press(bot.last(), "Confirm with TronSave")
    assert "Submitted to TronSave" in (bot.last().text or "")


async def test_a_refund_not_known_yet_is_shown_as_pending_not_zero(bot: Bot) -> None:
    await order_with_tronsave(bot)
    await bot.command("/history")
    text = bot.last().text or ""
    assert "1 orders" in text
    # TronSave's create answer holds no charge: it comes from its history later.
    assert "All: charged pending · refunded pending · net pending" in text
    assert "\n   charged pending · refunded pending · net pending" in text
    assert "0 TRX" not in text


async def test_confirmed_order_shows_the_refund_from_the_providers_history(
    bot: Bot, tronsave: TronSaveSimulator
) -> None:
    await order_with_tronsave(bot)
    tronsave.match()
    await bot.poll()
    [order] = (await bot.rt.repo.chat_orders(ALICE, offset=0, limit=5))[0]
    await bot.press(bot.last(), f"Confirm now for a refund #{order.id}")
    [order] = await bot.rt.repo.orders_by_ids([order.id])
    assert order.state is OrderState.CONFIRMED
    assert order.charge_sun is not None
    assert order.refund_sun is not None
    await bot.command("/history")
    text = bot.last().text or ""
    assert order.charge_sun == 3_900_000  # 65,000 × 60 SUN, from TronSave's history
    assert 0 < order.refund_sun < order.charge_sun
    charge, refund = format_trx(order.charge_sun), format_trx(order.refund_sun)
    net = format_trx(order.charge_sun - order.refund_sun)
    assert f"charged {charge} TRX · refunded {refund} TRX · net {net} TRX" in text
    assert "pending" not in text


async def test_a_cancelled_order_gets_its_figures_from_the_providers_history(
    bot: Bot, tronsave: TronSaveSimulator
) -> None:
    await order_with_tronsave(bot)
    [order] = (await bot.rt.repo.chat_orders(ALICE, offset=0, limit=5))[0]
    await bot.command("/orders")
    await bot.press(bot.last(), f"Cancel #{order.id}")
    [order] = await bot.rt.repo.orders_by_ids([order.id])
    assert order.state is OrderState.CANCELLED
    assert (order.charge_sun, order.refund_sun) == (None, None)  # the cancel answer has none
    history_before = sim_counts(tronsave).get("history", 0)
    await bot.command("/history")  # shows what is stored, asks TronSave nothing
    assert sim_counts(tronsave).get("history", 0) == history_before
    assert "charged pending · refunded pending · net pending" in (bot.last().text or "")
    await run_settle_job(bot)  # the background job asks TronSave's history
    assert sim_counts(tronsave).get("history", 0) > history_before
    await bot.command("/history")
    text = bot.last().text or ""
    # TronSave refunds a cancelled order in full: charged 3.9, refunded 3.9, net 0.
    assert "charged 3.9 TRX · refunded 3.9 TRX · net 0 TRX" in text
    assert "pending" not in text
    [order] = await bot.rt.repo.orders_by_ids([order.id])
    assert (order.charge_sun, order.refund_sun) == (3_900_000, 3_900_000)


@pytest.mark.parametrize("lang", LANGS)
async def test_history_pages_stay_within_telegrams_limit(bot: Bot, lang: Lang) -> None:
    # Many days, undocumented statuses, big figures: the longest lines a page can hold.
    specs = [
        Spec(
            NOW - i * DAY,
            987_654_321_123,
            None if i % 3 else 12_345_678,
            OrderState.UNKNOWN,
            raw_status="状态" * 100,
        )
        for i in range(20)
    ]
    stored = await add_orders(bot.rt.repo, ALICE, specs)
    await bot.command("/history", lang=lang)
    message = bot.last()
    seen: list[str] = []
    pages = bot.rt.history.page_size
    expected_pages = -(-len(stored) // pages)
    for page in range(expected_pages):
        text = message.text or ""
        assert telegram_length(message) <= 4096
        assert t(lang, "history.header", page=page + 1, pages=expected_pages, count=20,
                 charge="", refund="", net="").split("\n")[0] in text  # fmt: skip
        seen += [f"#{o.id} " for o in stored if f"#{o.id} " in text]
        labels = [b["text"] for b in buttons(message)]
        assert t(lang, "button.export_csv") in labels
        if page + 1 < expected_pages:
            await bot.press(message, t(lang, "button.next"), lang=lang)
            message = bot.messages()[-1]
    assert sorted(seen) == sorted(f"#{o.id} " for o in stored)  # every order, once
    assert len(seen) == len(stored)
    assert len(bot.messages()) == 1  # turned by editing the one message
    await bot.press(message, t(lang, "button.prev"), lang=lang)
    assert t(lang, "history.header", page=expected_pages - 1, pages=expected_pages, count=20,
             charge="", refund="", net="").split("\n")[0] in (bot.last().text or "")  # fmt: skip


async def test_export_csv_sends_every_order_as_a_document(bot: Bot) -> None:
    stored = await add_orders(
        bot.rt.repo,
        ALICE,
        [
            Spec(NOW - 2 * DAY, 4_485_000, 357_500, OrderState.CONFIRMED, NOW - 2 * DAY + 60),
            Spec(NOW - DAY, None, None, provider_order_id="=cmd|'/c calc'!A1"),
            *[Spec(NOW - i, 1_000_000, 0, OrderState.COMPLETED, NOW) for i in range(30)],
        ],
    )
    await add_orders(bot.rt.repo, BOB, [Spec(NOW, 7_000_000, 0)])  # another chat's
    await bot.command("/history")
    await bot.press(bot.last(), "Export CSV")
    [upload] = uploads(bot, "sendDocument")
    assert upload.params["chat_id"] == ALICE
    today = datetime.fromtimestamp(time.time(), UTC).date().isoformat()
    assert upload.filename == f"history-{today}.csv"
    rows = list(csv.reader(io.StringIO(upload.content.decode("utf-8"), newline="")))
    assert rows[0] == list(CSV_HEADER)
    assert [int(r[0]) for r in rows[1:]] == [o.id for o in stored]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert (first["charge_trx"], first["refund_trx"], first["net_trx"]) == (
        "4.485000",
        "0.357500",
        "4.127500",
    )
    created = datetime.fromtimestamp(stored[0].created_at, UTC).isoformat(timespec="seconds")
    assert first["created_utc"] == created
    second = dict(zip(rows[0], rows[2], strict=True))
    assert second["provider_order_id"] == "'=cmd|'/c calc'!A1"
    assert second["charge_trx"] == "pending"
    document = bot.last()
    assert document.versions[0].method == "sendDocument"
    assert document.text == t("en", "history.csv_caption")


async def test_balance_sends_each_deposit_address_as_a_qr_code(
    bot: Bot, tronsave: TronSaveSimulator, feee: FeeeSimulator
) -> None:
    await bot.command("/balance", lang="zh")
    photos = uploads(bot, "sendPhoto")
    assert len(photos) == 2
    for photo, name, address in [
        (photos[0], "TronSave", tronsave.deposit_address),
        (photos[1], "Feee.io", feee.recharge_address),
    ]:
        assert photo.content.startswith(b"\x89PNG\r\n\x1a\n")
        assert photo.filename.endswith(".png") or photo.mimetype == "image/png"
        caption = str(photo.params["caption"])
        assert f"<code>{address}</code>" in caption
        assert name in caption
        assert "充值地址" in caption
    assert "余额" in (bot.messages()[0].text or "")  # the balances text came first


async def test_a_malformed_deposit_address_gets_no_qr_code(
    bot: Bot, tronsave: TronSaveSimulator, feee: FeeeSimulator
) -> None:
    tronsave.configure(deposit_address="T-not-a-real-address")
    await bot.command("/balance")
    photos = uploads(bot, "sendPhoto")
    assert [
        f"<code>{feee.recharge_address}</code>" in str(p.params["caption"]) for p in photos
    ] == [True]
    texts = bot.texts()
    assert "T-not-a-real-address" in texts[0]  # still shown as text
    assert not any(t("en", "error.internal") in text for text in texts)


async def test_a_user_who_may_not_spend_sees_no_history_and_no_addresses(
    bot: Bot, tronsave: TronSaveSimulator, feee: FeeeSimulator
) -> None:
    await add_orders(bot.rt.repo, MALLORY, [Spec(NOW, 1_000_000, 0)])
    before = await bot.rt.repo.chat_orders(MALLORY, offset=0, limit=10)
    await bot.command("/history", user=MALLORY)
    assert "ALLOWED_USER_IDS" in (bot.last(MALLORY).text or "")
    denied = bot.last(MALLORY)
    await bot.press_data(HistoryButton(None).pack(), denied, user=MALLORY)
    await bot.press_data(HistoryButton(1).pack(), denied, user=MALLORY)
    await bot.command("/balance", user=MALLORY)
    assert bot.api.uploads == []
    assert bot.api.edits() == []
    assert all("TRX" not in text for text in bot.texts(MALLORY))
    answers = bot.api.calls_of("answerCallbackQuery")
    assert len(answers) == 2
    assert all(a.get("show_alert") for a in answers)
    assert await bot.rt.repo.chat_orders(MALLORY, offset=0, limit=10) == before
    assert sim_counts(tronsave).get("user_info", 0) == 0
    assert sum(sim_counts(feee).values()) == 0


async def test_an_empty_history_says_so(bot: Bot) -> None:
    await bot.command("/history")
    assert bot.last().text == t("en", "history.empty")
    assert buttons(bot.last()) == []


async def test_a_csv_too_large_for_telegram_is_explained_not_sent(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_orders(bot.rt.repo, ALICE, [Spec(NOW - i, 1_000_000, 0) for i in range(5)])
    monkeypatch.setattr(history_handlers, "MAX_DOCUMENT_BYTES", 300)
    await bot.command("/history", lang="zh")
    await bot.press(bot.last(), "导出 CSV", lang="zh")
    assert uploads(bot, "sendDocument") == []
    assert bot.last().text == t("zh", "history.csv_too_large")
