"""Every button's callback data: one codec, one dataclass per kind of button.

Telegram hands callback data back verbatim (at most 64 bytes), and any client can send
arbitrary data, so `unpack` treats it as untrusted input and returns None for anything
malformed. Each kind packs to the same wire format the bot has always sent, so buttons
already in live chats keep working:

    w:new  w:stop  w:dl  w:rq    wizard commands (start, leave, change the deadline,
                                 ask the summary's quotes again)
    w:<step>:<value>             a common value offered for a wizard step
    w:prov:<provider>            choose the provider on the summary
    w:go:<provider>:<nonce>      the summary's Confirm (nonce checked against the draft)
    l:new  l:<page>              the order list, fresh or a page of it
    lang:<menu|en|zh|auto>       the language menu and choices
    a:<verb>:<id>:<tag>          an order action; signed
    h:<page>  h:csv              a page of /history, or its CSV export
    w:ac                         the summary's automatic-confirmation toggle
    set:<setting>                switch a /settings choice (e.g. set:ac)
    ra:<submission>:<tag>        "Rent again" under a rental-ending notice; signed
    h:<page|csv>:<chat id>       the same of another chat (an admin's /history <id>)
    wa:<verb>:<id>:<tag>         a watched address: stop its auto-rent, unwatch it; signed

Buttons that act on money (`OrderAction`) carry an HMAC over the chat id and payload,
so data forged, altered or copied into another chat is refused before any lookup or
API call. Ownership and state are still checked against the database afterwards. The
summary's Confirm (`ConfirmOffer`) needs no tag: its nonce must match the one kept in the
pressing user's own draft, for that chat, which only the bot writes. The handlers'
patterns come from `pattern()` here, so a prefix is written once.
"""

from __future__ import annotations

from bot.telegram.callback_data.pages import HistoryButton, PageButton
from bot.telegram.callback_data.preferences import LanguageChoice, SettingName, SettingsButton
from bot.telegram.callback_data.signed import (
    OrderAction,
    RentAgain,
    Verb,
    WatchButton,
    WatchVerb,
    secret_from_token,
)
from bot.telegram.callback_data.wire import MAX_BYTES, SEP, Prefix
from bot.telegram.callback_data.wizard import (
    ConfirmOffer,
    ProviderChoice,
    StepChoice,
    SuggestedAmount,
    WizardCommand,
    WizardCommandName,
    wizard_pattern,
)

# The codec's one way in: every caller imports from here, whichever module holds a family.
__all__ = [
    "MAX_BYTES",
    "SEP",
    "ConfirmOffer",
    "HistoryButton",
    "LanguageChoice",
    "OrderAction",
    "PageButton",
    "Prefix",
    "ProviderChoice",
    "RentAgain",
    "SettingName",
    "SettingsButton",
    "StepChoice",
    "SuggestedAmount",
    "Verb",
    "WatchButton",
    "WatchVerb",
    "WizardCommand",
    "WizardCommandName",
    "secret_from_token",
    "wizard_pattern",
]
