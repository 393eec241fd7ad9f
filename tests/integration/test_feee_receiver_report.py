"""The reply to Confirm for a Feee order of several receivers, told receiver by receiver,
and within Telegram's 4,096 characters for 100 receivers in both languages."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.domain import ProviderName, SubmissionState
from bot.sandbox.feee import FeeeSimulator
from bot.storage.repository import NewOrder, ReceiverUpdate
from bot.tron_address import address_from_bytes
from tests.integration.harness import FEEE_KEY, Bot, make_settings, running_bot
from tests.support.fake_bot_api import buttons
from tests.support.simulators import sim_counts, sim_orders

A1, A2, A3 = (address_from_bytes(bytes([n]) * 20) for n in (0x61, 0x62, 0x63))
MANY = [address_from_bytes(i.to_bytes(2, "big") * 10) for i in range(1, 101)]


@pytest.fixture
def feee() -> Iterator[FeeeSimulator]:
    with FeeeSimulator(api_key=FEEE_KEY, qps=100_000, price_v2=40) as sim:
        yield sim


@pytest.fixture
async def bot(tmp_path: Path, feee: FeeeSimulator) -> AsyncIterator[Bot]:
    settings = make_settings(
        tmp_path,
        feee_api_key=FEEE_KEY,
        feee_base_url=feee.base_url + "/open",
        feee_requests_per_second=100_000,
    )
    async with running_bot(settings) as running:
        yield running


async def _order(bot: Bot, receivers: list[str], *, lang: str = "en") -> list[str]:
    """Fill the form, press Confirm; the bot's texts sent after the press."""
    await bot.command(f"/new 65000 1h 70 {' '.join(receivers)}", lang=lang)
    summary = bot.last()
    before = len(bot.messages())
    data = [str(b.get("callback_data", "")) for b in buttons(summary)]
    await bot.press_data(next(d for d in data if d.startswith("w:go:")), summary, lang=lang)
    return bot.texts()[before:]


async def test_one_lost_answer_of_three_is_named_uncertain_and_never_resent(
    bot: Bot, feee: FeeeSimulator
) -> None:
    feee.lose_answer(2, "error500")
    texts = await _order(bot, [A1, A2, A3])
    reply = texts[-1]
    [order_row], _ = await bot.rt.repo.chat_orders(1001, offset=0, limit=10)
    assert order_row.receiver == A1
    assert "✅ 1 ordered" in reply
    assert "❔ 1 uncertain" in reply
    assert "⏸ 1 not attempted" in reply
    assert f"#{order_row.id} · <code>{A1[:6]}…{A1[-4:]}</code>" in reply
    assert f"❔ <code>{A2}</code>: sent, but no answer came back" in reply
    assert "Check the order list of your Feee.io account for this address" in reply
    assert f"• <code>{A3}</code>" in reply
    assert "not ordered, please try again" not in reply
    assert "Some addresses" not in reply
    assert sim_counts(feee)["submit_v2"] == 2
    assert [o["receive_address"] for o in sim_orders(feee)] == [A1, A2]


async def test_a_price_rise_mid_loop_reports_what_was_placed(
    bot: Bot, feee: FeeeSimulator
) -> None:
    feee.reprice_after(1, price_v2=80)  # 89 SUN per unit paid, above the max of 70
    reply = (await _order(bot, [A1, A2, A3]))[-1]
    assert "✅ 1 ordered" in reply
    assert "📈 1 stopped" in reply
    assert f"📈 <code>{A2}</code>: not ordered: the price, service fee included" in reply
    assert f"• <code>{A3}</code>" in reply
    assert sim_counts(feee)["submit_v2"] == 1


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_report_for_100_receivers_fits_telegram(
    bot: Bot, feee: FeeeSimulator, lang: str
) -> None:
    feee.lose_answer(60, "error500")
    texts = await _order(bot, MANY, lang=lang)
    sent = texts[texts.index(next(t for t in texts if "#" in t and "<code>" in t)) :]
    assert all(len(t) <= 4096 for t in sent), [len(t) for t in sent]
    joined = "\n".join(sent)
    orders, total = await bot.rt.repo.chat_orders(1001, offset=0, limit=200)
    assert total == 59
    assert all(f"#{o.id} · " in joined for o in orders)  # every order number
    assert f"<code>{MANY[59]}</code>" in joined  # the uncertain one, in full
    for address in MANY[60:]:  # the 40 never sent, in full
        assert f"<code>{address}</code>" in joined
    assert len(re.findall(r"<code>T\w{33}</code>", joined)) == 41
    assert sim_counts(feee)["submit_v2"] == 60


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_crash_in_a_100_receiver_loop_is_pushed_in_full_across_messages_that_fit(
    bot: Bot, lang: str
) -> None:
    repo = bot.rt.repo
    await repo.set_user_lang(1001, lang)
    sub = await repo.create_submission(
        chat_id=1001,
        user_id=1001,
        provider=ProviderName.FEEE,
        key_id=bot.rt.orders.provider("feee").key_id,
        amount=65_000,
        duration_sec=3_600,
        max_price=70,
        deadline_sec=300,
        receivers=MANY,
        now=time.time() - 1_000,  # left by an earlier run of the bot
    )
    ordered = [
        ReceiverUpdate(i, r, "ordered", NewOrder(f"{i + 1:022d}", r, 65_000, 3_600))
        for i, r in enumerate(MANY[:70])
    ]
    await repo.record_receivers(sub, ordered, now=time.time())
    await repo.mark_receivers_sending(sub, [70], now=time.time())

    before = len(bot.messages(1001))
    await bot.poll()
    parts = [m.text or "" for m in bot.messages(1001)[before:]]
    assert parts  # split where too long for one message (en), nothing left out
    assert all(len(p) <= 4096 for p in parts)
    text = "\n".join(parts)
    assert f"<code>{MANY[70]}</code>" in parts[0]  # the one being sent, in full, first
    assert text.index(MANY[70]) < text.index(" · <code>")  # before the ordered ones
    assert all(f"#{i} · " in text for i in range(1, 71))  # every order is listed
    for address in MANY[71:]:  # the 29 never sent, in full
        assert f"<code>{address}</code>" in text
    after = await repo.get_submission(sub.id)
    assert after is not None
    assert after.state is SubmissionState.UNRESOLVED
