"""The callback-data codec: every kind of button packs to the wire format the bot has
always sent (so buttons in live chats keep working), unpacks back, refuses what is not
its own, stays within Telegram's 64 bytes, and the handlers' patterns route each kind."""

from __future__ import annotations

import re

import pytest

from bot.telegram.callback_data import (
    MAX_BYTES,
    ConfirmOffer,
    HistoryButton,
    LanguageChoice,
    OrderAction,
    PageButton,
    Prefix,
    ProviderChoice,
    StepChoice,
    Verb,
    WatchButton,
    WizardCommand,
    secret_from_token,
    wizard_pattern,
)

SECRET = secret_from_token("123:codec")
GROUP = -1_001_234_567_890

Unsigned = WizardCommand | StepChoice | ProviderChoice | ConfirmOffer | PageButton | LanguageChoice

# (button, the wire format sent before the codec existed)
OLD_WIRE: list[tuple[Unsigned, str]] = [
    (WizardCommand("new"), "w:new"),
    (WizardCommand("stop"), "w:stop"),
    (WizardCommand("dl"), "w:dl"),
    (StepChoice("amount", "65000"), "w:amount:65000"),
    (StepChoice("duration", "1h"), "w:duration:1h"),
    (StepChoice("price", "70"), "w:price:70"),
    (StepChoice("deadline", "30m"), "w:deadline:30m"),
    (ProviderChoice("tronsave"), "w:prov:tronsave"),
    (ProviderChoice("feee"), "w:prov:feee"),
    (ConfirmOffer("feee", "AbC-_12x"), "w:go:feee:AbC-_12x"),
    (PageButton(None), "l:new"),
    (PageButton(0), "l:0"),
    (PageButton(12), "l:12"),
    (LanguageChoice("menu"), "lang:menu"),
    (LanguageChoice("zh"), "lang:zh"),
    (LanguageChoice("en"), "lang:en"),
    (LanguageChoice("auto"), "lang:auto"),
]


@pytest.mark.parametrize(("button", "wire"), OLD_WIRE)
def test_every_kind_packs_to_the_old_wire_format_and_back(button: Unsigned, wire: str) -> None:
    assert button.pack() == wire
    assert type(button).unpack(wire) == button
    assert len(wire.encode()) <= MAX_BYTES


@pytest.mark.parametrize("verb", ["c", "ca", "x"])
def test_order_actions_keep_their_old_signed_format(verb: Verb) -> None:
    action = OrderAction.unpack(SECRET, [GROUP], f"a:{verb}:7:x")
    assert action is None  # a wrong tag
    data = OrderAction(verb, 7).pack(SECRET, GROUP)
    assert re.fullmatch(rf"a:{verb}:7:[A-Za-z0-9_-]{{11}}", data)
    assert OrderAction.unpack(SECRET, [GROUP], data) == OrderAction(verb, 7)


def test_the_largest_buttons_fit_64_bytes() -> None:
    verbs: tuple[Verb, ...] = ("c", "ca", "x")
    for verb in verbs:
        data = OrderAction(verb, 10**18 - 1).pack(SECRET, GROUP)
        assert len(data.encode()) <= MAX_BYTES
    assert len(ConfirmOffer("tronsave", "A" * 8).pack().encode()) <= MAX_BYTES


def test_data_over_64_bytes_is_never_packed() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        ProviderChoice("p" * 60).pack()
    with pytest.raises(ValueError, match="64 bytes"):
        StepChoice("amount", "é" * 30).pack()  # 60 bytes of UTF-8, 30 characters


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        (WizardCommand, "w:go"),
        (WizardCommand, "w:new:x"),
        (WizardCommand, "l:new"),
        (WizardCommand, "w:"),
        (StepChoice, "w:stop"),
        (StepChoice, "lang:zh"),
        (ProviderChoice, "w:go:feee:n"),
        (ProviderChoice, "w:prov"),
        (ConfirmOffer, "w:go:feee"),
        (ConfirmOffer, "w:go:feee:"),
        (ConfirmOffer, "w:prov:feee"),
        (PageButton, "lang:0"),
        (PageButton, "l"),
        (LanguageChoice, "l:zh"),
        (LanguageChoice, "language:zh"),
    ],
)
def test_data_of_another_kind_or_malformed_is_refused(kind: type[Unsigned], data: str) -> None:
    assert kind.unpack(data) is None


@pytest.mark.parametrize("raw", ["-1", "abc", "", "123456", "1.5"])
def test_a_forged_page_reads_as_the_first(raw: str) -> None:
    assert PageButton.unpack(f"l:{raw}") == PageButton(0)


def test_forged_or_foreign_order_actions_are_refused() -> None:
    data = OrderAction("c", 5).pack(SECRET, GROUP)
    other = secret_from_token("456:other")
    assert OrderAction.unpack(other, [GROUP], data) is None  # another bot's
    assert OrderAction.unpack(SECRET, [GROUP + 1], data) is None  # another chat's
    assert OrderAction.unpack(SECRET, [GROUP], data.replace(":5:", ":6:")) is None  # altered
    assert OrderAction.unpack(SECRET, [GROUP], data.replace("a:c", "a:x")) is None
    assert OrderAction.unpack(SECRET, [GROUP], "a:c:5") is None  # unsigned
    # A supergroup still accepts what was signed for the group it was upgraded from.
    assert OrderAction.unpack(SECRET, [GROUP - 7, GROUP], data) == OrderAction("c", 5)


def test_each_prefix_is_listed_once() -> None:
    assert [p.value for p in Prefix] == ["w", "l", "lang", "a", "h", "wa", "set", "ra"]
    assert len(set(Prefix)) == len(Prefix)


@pytest.mark.parametrize(("button", "wire"), OLD_WIRE)
def test_the_patterns_route_every_button_to_its_kind_only(button: Unsigned, wire: str) -> None:
    patterns = {
        "wizard_new": WizardCommand.pattern("new"),
        "wizard_stop": WizardCommand.pattern("stop"),
        "wizard_dl": WizardCommand.pattern("dl"),
        "provider": ProviderChoice.pattern(),
        "confirm": ConfirmOffer.pattern(),
        "page": PageButton.pattern(),
        "language": LanguageChoice.pattern(),
        "action": OrderAction.pattern(),
        **{f"step_{s}": StepChoice.pattern(s) for s in ("amount", "duration", "price")},
        "step_deadline": StepChoice.pattern("deadline"),
    }
    matched = {name for name, pattern in patterns.items() if re.match(pattern, wire)}
    expected = {
        WizardCommand: f"wizard_{getattr(button, 'command', '')}",
        StepChoice: f"step_{getattr(button, 'step', '')}",
        ProviderChoice: "provider",
        ConfirmOffer: "confirm",
        PageButton: "page",
        LanguageChoice: "language",
    }[type(button)]
    assert matched == {expected}
    assert (re.match(wizard_pattern(), wire) is not None) == wire.startswith("w:")


def test_history_buttons_round_trip_and_refuse_the_rest() -> None:
    assert HistoryButton(3).pack() == "h:3"
    assert HistoryButton(None).pack() == "h:csv"
    for button in (HistoryButton(0), HistoryButton(99_999), HistoryButton(None)):
        assert HistoryButton.unpack(button.pack()) == button
        assert re.match(HistoryButton.pattern(), button.pack())
    for other in ("l:3", "a:c:5:tag", "lang:en", "w:new", "h"):
        assert HistoryButton.unpack(other) is None
        assert not re.match(HistoryButton.pattern(), other)
    for forged in ("-1", "abc", "", "123456", "CSV"):
        assert HistoryButton.unpack(f"h:{forged}") == HistoryButton(0)


@pytest.mark.parametrize(
    "button",
    [
        HistoryButton(3, -1_009_876_543_210_123),
        HistoryButton(None, -1_009_876_543_210_123),
        HistoryButton(99_999, 7),
    ],
)
def test_another_chats_history_buttons_round_trip_within_64_bytes(
    button: HistoryButton,
) -> None:
    data = button.pack()
    assert len(data.encode()) <= 64
    assert HistoryButton.unpack(data) == button
    assert re.match(HistoryButton.pattern(), data)


@pytest.mark.parametrize("data", ["h:1:abc", "h:csv:--5", "h:0:12345678901234567", "h:0:-"])
def test_a_malformed_chat_in_a_history_button_is_refused(data: str) -> None:
    assert HistoryButton.unpack(data) is None


def test_watch_buttons_are_signed_and_routed_apart_from_the_wizard() -> None:
    data = WatchButton("s", 12).pack(SECRET, GROUP)
    assert data.startswith("wa:s:12:")
    assert len(data.encode()) <= MAX_BYTES
    assert WatchButton.unpack(SECRET, [GROUP], data) == WatchButton("s", 12)
    assert WatchButton.unpack(SECRET, [GROUP + 1], data) is None  # another chat's
    assert WatchButton.unpack(SECRET, [GROUP], data.replace(":12:", ":13:")) is None
    assert WatchButton.unpack(SECRET, [GROUP], data.replace("wa:s", "wa:u")) is None
    assert WatchButton.unpack(SECRET, [GROUP], "wa:s:12") is None  # unsigned
    assert WatchButton.unpack(SECRET, [GROUP], OrderAction("c", 12).pack(SECRET, GROUP)) is None
    assert re.match(WatchButton.pattern(), data)
    assert not re.match(wizard_pattern(), data)
    assert not re.match(WatchButton.pattern(), WizardCommand("new").pack())
