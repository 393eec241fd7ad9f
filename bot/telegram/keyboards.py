"""The bot's inline keyboards, built from the callback-data codec."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Lang, t
from bot.providers.port import Quote
from bot.telegram.callback_data import (
    ConfirmOffer,
    HistoryButton,
    LanguageChoice,
    OrderAction,
    PageButton,
    ProviderChoice,
    RentAgain,
    SettingsButton,
    StepChoice,
    SuggestedAmount,
    WatchButton,
    WizardCommand,
)
from bot.telegram.render import duration, num, provider_name, trx

Rows = list[list[InlineKeyboardButton]]
_PER_ROW = 4  # step choices per row

# Common values offered as buttons for a wizard step: (value, label key or "" for the
# value itself). They go through the same parsers as typed text.
STEP_CHOICES: dict[str, list[tuple[str, str]]] = {
    "amount": [("65000", "choice.amount_holder"), ("131000", "choice.amount_new")],
    "price": [("50", ""), ("60", ""), ("70", ""), ("90", "")],
    "deadline": [("2m", ""), ("5m", ""), ("10m", ""), ("30m", "")],
}


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data)


def start_menu(lang: Lang) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [_button(t(lang, "button.new_order"), WizardCommand("new").pack())],
            [
                _button(t(lang, "button.my_orders"), PageButton(None).pack()),
                _button(t(lang, "button.language"), LanguageChoice("menu").pack()),
            ],
        ]
    )


def language_menu(lang: Lang) -> InlineKeyboardMarkup:
    def choice(name: str, key: str) -> InlineKeyboardButton:
        return _button(t(lang, key), LanguageChoice(name).pack())

    return InlineKeyboardMarkup(
        [
            [choice("zh", "language.zh"), choice("en", "language.en")],
            [choice("auto", "language.auto")],
        ]
    )


def my_orders(lang: Lang) -> InlineKeyboardMarkup:
    """Under a submit result: a fresh /orders list below it."""
    return InlineKeyboardMarkup([[_button(t(lang, "button.my_orders"), PageButton(None).pack())]])


# -- the wizard ----------------------------------------------------------------------


def duration_token(seconds: int) -> str:
    """Shortest typed form of a duration, e.g. 3600 -> "1h"."""
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return str(seconds)


def step_question(lang: Lang, step: str, durations: Iterable[int]) -> InlineKeyboardMarkup:
    """The common values of `step` (for the duration: what the providers serve), four to
    a row, and Cancel."""
    if step == "duration":
        choices = [
            _button(duration(lang, s), StepChoice(step, duration_token(s)).pack())
            for s in sorted(set(durations))
        ]
    else:
        choices = [
            _button(
                t(lang, label, value=num(int(value))) if label else value,
                StepChoice(step, value).pack(),
            )
            for value, label in STEP_CHOICES.get(step, [])
        ]
    rows = [choices[i : i + _PER_ROW] for i in range(0, len(choices), _PER_ROW)]
    rows.append([_button(t(lang, "button.cancel"), WizardCommand("stop").pack())])
    return InlineKeyboardMarkup(rows)


def summary(
    lang: Lang,
    usable: Sequence[Quote],
    chosen: str | None,
    nonce: str,
    *,
    retry: bool = False,
    auto_confirm: bool | None = None,
) -> InlineKeyboardMarkup:
    """A provider choice when more than one can serve, Confirm for the chosen one (if
    any), Try again when a quote failed, the automatic-confirmation switch (unless
    None), Deadline and Cancel."""
    rows: Rows = []
    if len(usable) > 1:
        rows.append(
            [
                _button(
                    t(
                        lang,
                        "button.provider_chosen" if q.provider == chosen else "button.provider",
                        provider=provider_name(lang, q.provider),
                        total=trx(q.total_sun),
                    ),
                    ProviderChoice(q.provider.value).pack(),
                )
                for q in usable
            ]
        )
    if chosen is not None:
        rows.append(
            [
                _button(
                    t(lang, "button.confirm", provider=provider_name(lang, chosen)),
                    ConfirmOffer(chosen, nonce).pack(),
                )
            ]
        )
    if retry:
        rows.append([_button(t(lang, "button.retry_quote"), WizardCommand("rq").pack())])
    if auto_confirm is not None:
        rows.append([auto_confirm_toggle(lang, auto_confirm)])
    rows.append(
        [
            _button(t(lang, "button.deadline"), WizardCommand("dl").pack()),
            _button(t(lang, "button.cancel"), WizardCommand("stop").pack()),
        ]
    )
    return InlineKeyboardMarkup(rows)


# -- orders --------------------------------------------------------------------------


def confirm_order(lang: Lang, secret: bytes, chat_id: int, order_id: int) -> InlineKeyboardButton:
    return _button(
        t(lang, "button.confirm_order", id=order_id),
        OrderAction("c", order_id).pack(secret, chat_id),
    )


def cancel_order(lang: Lang, secret: bytes, chat_id: int, order_id: int) -> InlineKeyboardButton:
    return _button(
        t(lang, "button.cancel_order", id=order_id),
        OrderAction("x", order_id).pack(secret, chat_id),
    )


def confirm_all(
    lang: Lang, secret: bytes, chat_id: int, submission_id: int, count: int
) -> InlineKeyboardButton:
    return _button(
        t(lang, "button.confirm_all", count=count),
        OrderAction("ca", submission_id).pack(secret, chat_id),
    )


def page_nav(lang: Lang, page: int, pages: int) -> list[InlineKeyboardButton]:
    nav = []
    if page > 0:
        nav.append(_button(t(lang, "button.prev"), PageButton(page - 1).pack()))
    if page + 1 < pages:
        nav.append(_button(t(lang, "button.next"), PageButton(page + 1).pack()))
    return nav


def history_nav(
    lang: Lang, page: int, pages: int, chat: int | None = None
) -> InlineKeyboardMarkup:
    """Newer/older pages of /history, and Export CSV (`chat`: of that chat, for admins)."""
    nav = []
    if page > 0:
        nav.append(_button(t(lang, "button.prev"), HistoryButton(page - 1, chat).pack()))
    if page + 1 < pages:
        nav.append(_button(t(lang, "button.next"), HistoryButton(page + 1, chat).pack()))
    rows: Rows = [nav] if nav else []
    rows.append([_button(t(lang, "button.export_csv"), HistoryButton(None, chat).pack())])
    return InlineKeyboardMarkup(rows)


# -- after the match -----------------------------------------------------------------


def auto_confirm_toggle(lang: Lang, enabled: bool) -> InlineKeyboardButton:
    """The summary's switch for this order's automatic confirmation."""
    key = "button.auto_confirm_on" if enabled else "button.auto_confirm_off"
    return _button(t(lang, key), WizardCommand("ac").pack())


def settings_menu(lang: Lang, auto_confirm: bool) -> InlineKeyboardMarkup:
    key = "button.settings_auto_confirm_on" if auto_confirm else "button.settings_auto_confirm_off"
    return InlineKeyboardMarkup([[_button(t(lang, key), SettingsButton("ac").pack())]])


def rent_again(
    lang: Lang, secret: bytes, chat_id: int, submission_id: int
) -> InlineKeyboardButton:
    return _button(t(lang, "button.rent_again"), RentAgain(submission_id).pack(secret, chat_id))


# -- chain sizing ----------------------------------------------------------------------


def payee_question(lang: Lang) -> InlineKeyboardMarkup:
    """The optional payee step: one tap to skip it, and Cancel."""
    return InlineKeyboardMarkup(
        [
            [_button(t(lang, "button.skip_payee"), StepChoice("payee", "skip").pack())],
            [_button(t(lang, "button.cancel"), WizardCommand("stop").pack())],
        ]
    )


def suggested_amount(lang: Lang, amount: int) -> InlineKeyboardButton:
    return _button(
        t(lang, "button.suggested_amount", amount=num(amount)), SuggestedAmount(amount).pack()
    )


def with_rows_first(
    markup: InlineKeyboardMarkup, rows: Sequence[Sequence[InlineKeyboardButton]]
) -> InlineKeyboardMarkup:
    """`markup` with `rows` above its own (the summary's sizing button over Confirm)."""
    if not rows:
        return markup
    return InlineKeyboardMarkup([*(list(r) for r in rows), *markup.inline_keyboard])


def stop_auto_rent(lang: Lang, secret: bytes, chat_id: int, watch_id: int) -> InlineKeyboardMarkup:
    data = WatchButton("s", watch_id).pack(secret, chat_id)
    return InlineKeyboardMarkup([[_button(t(lang, "autorent.button_stop"), data)]])


def unwatch_choices(
    lang: Lang, secret: bytes, chat_id: int, watches: Sequence[tuple[int, str]]
) -> InlineKeyboardMarkup:
    """One Unwatch button per (watch id, label)."""
    return InlineKeyboardMarkup(
        [
            [_button(t(lang, "watch.button_unwatch", address=label), pack)]
            for pack, label in (
                (WatchButton("u", watch_id).pack(secret, chat_id), label)
                for watch_id, label in watches
            )
        ]
    )
