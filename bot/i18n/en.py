"""English catalog. Messages are HTML; `{name}` placeholders are filled (escaped) by `t`."""

from typing import Final

MESSAGES: Final[dict[str, str]] = {
    # commands (menu descriptions)
    "command.new": "Rent energy",
    "command.orders": "Your orders",
    "command.history": "Order history, costs and refunds",
    "command.balance": "Provider balances",
    "command.language": "Language / 语言",
    "command.help": "How to use this bot",
    "command.cancel": "Leave the current order form",
    # start and help
    "start.text": (
        "⚡ <b>TRON energy rental</b>\n"
        "Rent energy so your USDT transfers don't burn TRX. Tell me how much, for how "
        "long, your max price and the receiving addresses; I'll show the estimate, place "
        "the order and message you when it's matched."
    ),
    "help.text": (
        "<b>Commands</b>\n"
        "/new — rent energy (step by step)\n"
        "/new 65000 15m 70 T… T… [to T…] — straight to the summary: amount, duration, "
        "max price, addresses (and the USDT payee)\n"
        "/orders — your orders, with Cancel and Confirm buttons\n"
        "/history — orders by day with charge, refund and net cost; CSV export\n"
        "/balance — provider balances and deposit addresses (with QR codes)\n"
        "/language — 中文 / English\n"
        "/settings — automatic confirmation on or off\n"
        "/cancel — leave the order form\n"
        "Admins: /allow id, /deny id, /limit id TRX|off, /users, /audit\n\n"
        "Durations: 900 (seconds), 15m, 1h, 3d. Prices are in SUN per energy unit "
        "(1 TRX = 1,000,000 SUN).\n"
        "When an order is matched, use <b>Confirm now for a refund</b> after your transfer: "
        "the rental ends early and the unused part is refunded. When the bot reads the chain, "
        "it confirms by itself once your transfer used the energy (see /settings)."
    ),
    "stray.text": "I didn't get that. Send /new to rent energy, or /help.",
    "auth.denied": (
        "You are not allowed to place orders with this bot. Your Telegram id is "
        "<code>{user_id}</code>: ask the operator to add it to ALLOWED_USER_IDS."
    ),
    "auth.denied_short": "Not allowed. Your Telegram id is {user_id}; ask the operator to add it.",
    # language
    "language.choose": "Choose your language:",
    "language.zh": "中文",
    "language.en": "English",
    "language.auto": "Automatic (from Telegram)",
    "language.set": "Language set: English.",
    # units and names
    "unit.s": "{n} s",
    "unit.m": "{n} min",
    "unit.h": "{n} h",
    "unit.d": "{n} d",
    "provider.tronsave": "TronSave",
    "provider.feee": "Feee.io",
    # the order form
    "ask.amount": (
        "How much energy per address? Send a whole number.\n"
        "A USDT transfer needs about <b>65,000</b> energy if the recipient already holds "
        "USDT, about <b>131,000</b> otherwise."
    ),
    "ask.duration": "For how long? e.g. <code>900</code> (seconds), <code>15m</code>, "
    "<code>1h</code>, <code>3d</code>.",
    "ask.price": "Your max price, in SUN per energy unit (a whole number, e.g. 70)?",
    "ask.receivers": (
        "Which addresses receive the energy? Send one or more TRON addresses, separated by "
        "spaces, commas or new lines (at most 100)."
    ),
    "ask.deadline": (
        "How long may matching take? If the order is not matched in time it is cancelled "
        "and refunded. e.g. <code>300</code>, <code>5m</code>, <code>30m</code>."
    ),
    "choice.amount_holder": "{value} (holder)",
    "choice.amount_new": "{value} (new recipient)",
    "input.amount_not_number": "That is not a whole number of energy units.",
    "input.amount_range": "The amount must be between {min} and {max} energy units.",
    "input.duration_format": "I couldn't read that duration. Use e.g. 900, 15m, 1h or 3d.",
    "input.duration_range": "The duration must be between {min} and {max} seconds.",
    "input.deadline_range": "The matching deadline must be between {min} and {max} seconds.",
    "input.price_not_integer": "The max price must be a whole number of SUN, e.g. 70.",
    "input.price_range": "The max price must be between {min} and {max} SUN per unit.",
    "input.receivers_empty": "Please send at least one TRON address.",
    "input.receivers_invalid": (
        "{count} address(es) are not valid TRON addresses: {addresses}\n"
        "A TRON address has 34 characters and starts with T."
    ),
    "input.receivers_too_many": "At most {max} addresses per order (you sent {count}).",
    "summary.text": (
        "<b>Order summary</b>\n"
        "Energy: {amount} × {count} address(es)\n"
        "Duration: {duration}\n"
        "Max price: {price} SUN/unit\n"
        "Receivers:\n{receivers}\n\n"
        "{quotes}\n\n"
        "Matching deadline: {deadline}"
    ),
    "summary.quote": "<b>{provider}</b>: {unit} SUN/unit, total <b>{total} TRX</b>",
    "summary.balance": "Balance: {trx} TRX",
    "summary.can_match_yes": "Can be matched now: yes",
    "summary.can_match_no": "Can be matched now: not fully",
    "summary.above_max": "⚠️ The price now ({price} SUN) is above your max: the order would "
    "be refused. Start again with a higher max price, or wait.",
    "summary.balance_low": "⚠️ The balance does not cover this order.",
    "summary.cannot_match": "⚠️ Only {available} address(es) can be served right now; the "
    "rest wait for matching until the deadline.",
    "summary.no_provider": "No provider can take this order as it is.",
    "summary.use_buttons": "Please use the buttons under the summary, or /cancel.",
    "summary.stale": "This form is closed. Send /new to start a new order.",
    "button.confirm": "✅ Confirm with {provider}",
    "button.deadline": "⏱ Change deadline",
    "button.cancel": "✖ Cancel",
    "button.provider": "{provider} · {total} TRX",
    "button.provider_chosen": "● {provider} · {total} TRX",
    "button.new_order": "⚡ Rent energy",
    "button.my_orders": "📋 My orders",
    "button.language": "🌐 Language",
    "button.confirm_order": "✅ Confirm now for a refund #{id}",
    "button.confirm_all": "✅ Confirm all {count} now for a refund",
    "button.cancel_order": "✖ Cancel #{id}",
    "button.prev": "◀ Newer",
    "button.next": "Older ▶",
    "conversation.cancelled": "Order form closed. Nothing was submitted.",
    "conversation.nothing_to_cancel": "There is nothing to cancel.",
    # submitting
    "submit.sending": "Submitting…",
    "submit.done": (
        "✅ Submitted to {provider}: {count} order(s).\n{orders}\n\n"
        "I'll message you as soon as they are matched."
    ),
    "submit.partial": "Some addresses were not ordered: {reason}",
    "submit.failed": "❌ The order was not placed. {reason}",
    "submit.recovered": (
        "⚠️ The connection to {provider} broke while ordering, but I found the order(s) "
        "it created and I'm tracking them:\n{orders}"
    ),
    "submit.uncertain": (
        "⚠️ The connection to {provider} broke while ordering, so I don't know yet whether "
        "the order was created. I'm checking and will message you. Please don't order "
        "again meanwhile."
    ),
    "submit.unresolved": (
        "⚠️ The connection to {provider} broke while ordering and {provider} offers no way "
        "to look the order up. Please check your {provider} account before ordering again."
    ),
    # orders
    "order.line": "#{id} · {provider} · <code>{receiver}</code> · {amount} · {state}",
    "order.charge": "Charged: {trx} TRX",
    "order.refund": "Refunded: {trx} TRX",
    "order.net": "Net cost: {trx} TRX",
    "order.refund_pending": "Refund: not shown by the provider yet; see /orders later.",
    "orders.empty": "No orders in this chat yet. Send /new to rent energy.",
    "orders.header": "<b>Orders</b> (page {page}/{pages}, {total} in all)\n\n{orders}",
    "state.pending": "⏳ waiting for a match",
    "state.matched": "⚡ active",
    "state.confirmed": "✅ confirmed",
    "state.completed": "🏁 finished",
    "state.cancelled": "✖ cancelled",
    "state.expired": "⌛ not matched, refunded",
    "state.failed": "❌ failed",
    "state.unknown": "❔ status “{raw}”",
    # order actions
    "action.invalid": "This button is not valid here. Use /orders.",
    "action.working": "Working on it…",
    "action.confirm.header": "<b>Confirmation</b>",
    "action.confirm.done": "{order}\n✅ Confirmed: the rental ended and the unused part is "
    "refunded.",
    "action.confirm.already": "{order}\nAlready confirmed.",
    "action.confirm.not_allowed": "{order}\nOnly an active (matched) order can be confirmed.",
    "action.confirm.refused": "{order}\n❌ Not confirmed: {reason}",
    "action.cancel.header": "<b>Cancellation</b>",
    "action.cancel.done": "{order}\n✅ Cancelled and refunded.",
    "action.cancel.already": "{order}\nAlready cancelled.",
    "action.cancel.not_allowed": "{order}\nThis order can't be cancelled now.",
    "action.cancel.refused": "{order}\n❌ Not cancelled: {reason}",
    # pushes
    "push.matched": (
        "⚡ <b>Energy delivered</b>\n{orders}\n\n"
        "After your transfer, confirm to end the rental early and get the unused part "
        "refunded."
    ),
    "push.delivery": "{amount} energy to <code>{receiver}</code>, tx <code>{txid}</code>",
    "push.expired": "⌛ <b>Not matched before the deadline</b>: cancelled and refunded.\n{orders}",
    "push.completed": "🏁 <b>Rental period over</b>\n{orders}",
    "push.cancelled": "✖ <b>Cancelled by the provider</b>\n{orders}",
    "push.failed": "❌ <b>Order failed</b>\n{orders}",
    "push.status": "❔ <b>Status update</b> (a status this bot does not know yet)\n{orders}",
    "push.recovered": "✅ Found the order(s) of submission #{submission} after the connection "
    "problem; tracking them now:\n{orders}",
    "push.not_created": "Submission #{submission} was not created after all: nothing was "
    "charged. You can order again with /new.",
    "push.unresolved": "Submission #{submission}: the provider offers no way to tell whether "
    "it was created. Please check your provider account.",
    "push.recovery_partial": (
        "⚠️ <b>Submission #{submission}: search finished</b>\n"
        "Found and tracked for:\n{found}\n\n"
        "No order found in the history for:\n{missing}\n"
        "These were probably not ordered, but please check your provider account before "
        "ordering for them again."
    ),
    "push.recovery_unknown": (
        "❔ <b>Submission #{submission}: outcome unknown</b>\n"
        "I could not finish searching the provider's order history, so I can't tell "
        "whether these were ordered:\n{missing}\n\n"
        "Found and tracked for:\n{found}\n\n"
        "Please check your provider account before ordering for them again."
    ),
    "push.none": "—",
    "push.more": "… and {count} more",
    # balance
    "balance.header": "<b>Balances</b>",
    "balance.line": "<b>{provider}</b>: {trx} TRX\nDeposit address: <code>{address}</code>",
    # why a provider did not do what was asked (bot/providers/errors.py FailureReason)
    "failure.insufficient_balance": "The operator's {provider} balance is too low for this order.",
    "failure.price_above_max": "The price rose above your max price, so nothing was ordered. "
    "Try a higher max price or wait.",
    "failure.price_below_min": "The max price is below {provider}'s minimum.",
    "failure.receiver_not_activated": "The receiving address is not activated on TRON yet; "
    "{provider} can't deliver to it.",
    "failure.no_supply": "{provider} has no energy available for this order right now. Try "
    "again later.",
    "failure.previous_order_pending": "An identical order is still waiting to be matched. Wait "
    "for it, or cancel it in /orders.",
    "failure.too_many_open_orders": "This address has too many unfinished {provider} orders. "
    "Wait for them to finish.",
    "failure.account_not_found": "The operator's {provider} account was not found.",
    "failure.unauthorised": "{provider} rejected the operator's API key ({code}). The operator "
    "must fix the bot's configuration.",
    "failure.ip_not_allowed": "{provider} refused the bot's IP address (whitelist, {code}). The "
    "operator must fix it.",
    "failure.user_agent_not_allowed": "{provider} refused the bot's User-Agent (whitelist, "
    "{code}). The operator must fix the bot's User-Agent setting.",
    "failure.unsupported_duration": (
        "{provider} can't rent for this duration. Pick one of the durations it offers."
    ),
    "failure.invalid_request": "{provider} rejected the request (field: {field}).",
    "failure.rate_limited": "{provider} is busy right now. Please try again in a few seconds.",
    "failure.unavailable": "{provider} can't be reached right now. Please try again later.",
    "failure.shutting_down": "The bot is restarting, so I stopped before this address; "
    "nothing was sent for it. Order it again in a minute.",
    "failure.refused": "{provider} refused: {code} {detail}",
    # errors
    "error.internal": "Something went wrong while handling that. If you were ordering, check "
    "/orders before trying again.",
    "push.unreadable": "⚠️ <b>Can't read these orders' status</b>: the provider's answers "
    "about them have been unreadable several times in a row, so the bot can't tell what "
    "happened. It keeps asking every few minutes and will report any change; meanwhile, "
    "check them in your provider account.\n{orders}",
    "push.key_missing": "🔑 <b>No longer tracked</b>: these orders were placed with a "
    "provider API key the bot no longer has. It will not check them with another key; "
    "they are tracked again as soon as the operator restores that key. Meanwhile, check "
    "them in your provider account.\n{orders}",
    "push.buttons_unavailable": "Use /orders to confirm or cancel these orders.",
    "action.confirm.many.done": "✅ Confirmed ({count}): {ids}\nThe rentals ended; the unused "
    "parts are refunded.",
    "action.confirm.many.already": "Already confirmed ({count}): {ids}",
    "action.confirm.many.not_allowed": "Not active, so not confirmed ({count}): {ids}",
    "action.cancel.many.done": "✅ Cancelled and refunded ({count}): {ids}",
    "action.cancel.many.already": "Already cancelled ({count}): {ids}",
    "action.cancel.many.not_allowed": "Can't be cancelled now ({count}): {ids}",
    # a submission receiver by receiver (bot/telegram/submit_report.py)
    "report.title": "<b>{provider}</b>, submission #{submission}, address by address:",
    "report.counts": "{counts}",
    "report.separator": ", ",
    "report.count.ordered": "✅ {n} ordered",
    "report.count.uncertain": "❔ {n} uncertain",
    "report.count.refused": "❌ {n} not ordered",
    "report.count.price_rose": "📈 {n} stopped: price above your max",
    "report.count.not_attempted": "⏸ {n} not attempted",
    "report.uncertain": "❔ <code>{receiver}</code>: sent, but no answer came back, so this "
    "order <b>may exist</b>, and {provider} offers no way for me to look it up. Check the "
    "order list of your {provider} account for this address before ordering it again. I "
    "did not retry it and stopped there.",
    "report.refused": "❌ <code>{receiver}</code>: not ordered: {reason}",
    "report.price_rose": "📈 <code>{receiver}</code>: not ordered: the price, service fee "
    "included, rose above your max price right before this address. I stopped there.",
    "report.stopped": "⏸ Stopped before the next address: {reason}",
    "report.not_attempted_header": "⏸ Not attempted (nothing was sent; you can order these "
    "again):",
    "report.not_attempted": "• <code>{receiver}</code>",
    "report.ordered_header": "✅ Ordered, and I'm tracking them:",
    "report.ordered": "#{id} · <code>{receiver}</code>",
    "report.more": "… and {count} more line(s); see /orders.",
    "push.interrupted": "⚠️ <b>Submission #{submission} was cut short</b>: the bot stopped "
    "while ordering. What is known, address by address:",
    # history
    "history.empty": "No orders yet, so there is no history.",
    "history.header": (
        "<b>History</b> · page {page}/{pages} · {count} orders\n"
        "All: charged {charge} · refunded {refund} · net {net}"
    ),
    "history.day": (
        "<b>{day}</b> (UTC) · {count} orders: charged {charge} · refunded {refund} · net {net}"
    ),
    "history.order_money": "   charged {charge} · refunded {refund} · net {net}",
    "history.trx": "{trx} TRX",
    "history.trx_pending": "{trx} TRX + {count} pending",
    "history.pending": "pending",
    "history.csv_caption": "Every order of this chat: amounts in TRX, times in UTC.",
    "history.csv_too_large": (
        "The history of this chat is larger than the 50 MB file Telegram accepts from a bot, "
        "so it can't be sent here. The operator can export it from the bot's database."
    ),
    "button.export_csv": "📄 Export CSV",
    "balance.qr_caption": (
        "<b>{provider}</b> deposit address (TRX on TRON):\n<code>{address}</code>"
    ),
    "push.low_balance": "⚠️ <b>Low balance</b>",
    "push.balance_recovered": "✅ <b>Balance back</b>",
    "operator.low_balance": "{provider} has {balance} TRX left, below the alert threshold "
    "of {threshold} TRX. Top it up (/balance shows the deposit address) before orders are "
    "refused.",
    "operator.balance_recovered": "{provider} has {balance} TRX, at or above the alert "
    "threshold of {threshold} TRX.",
    "push.provider_failing": "🚨 <b>Provider failing</b>",
    "operator.provider_failing": "{provider} failed {count} poll cycles within {minutes} "
    "minutes (last error: <code>{code}</code>). Orders there are not being tracked; check "
    "its API key, balance and status page. Alerted once per episode.",
    # spend limits (refused before anything is sent)
    "limit.order_refused": (
        "⛔ Not ordered: this order may cost up to {cost} TRX, above the per-order limit "
        "of {limit} TRX. Nothing was sent to the provider."
    ),
    "limit.daily_refused": (
        "⛔ Not ordered: this order may cost up to {cost} TRX, but only {left} TRX of your "
        "daily limit of {limit} TRX is left today. Nothing was sent to the provider."
    ),
    "limit.left_today": "Left today: {left} TRX of {limit} TRX.",
    "limit.resets": "The daily limit resets at {reset} UTC.",
    # admins in chat
    "command.allow": "Admin: let a user order",
    "command.deny": "Admin: stop a user ordering",
    "command.limit": "Admin: set a user's daily limit",
    "command.users": "Admin: allowed users and today's spend",
    "command.audit": "Admin: recorded admin actions",
    "admin.refused": "Only the bot's admins may use this command. Nothing was changed.",
    "admin.usage_allow": "Usage: /allow &lt;Telegram user id&gt;, e.g. /allow 123456789",
    "admin.usage_deny": "Usage: /deny &lt;Telegram user id&gt;, e.g. /deny 123456789",
    "admin.usage_limit": (
        "Usage: /limit &lt;Telegram user id&gt; &lt;TRX per day, up to 6 decimals, or off&gt;, "
        "e.g. /limit 123456789 50"
    ),
    "admin.allowed": "✅ User <code>{user_id}</code> may order now.",
    "admin.denied": (
        "⛔ User <code>{user_id}</code> may no longer order (even if listed in "
        "ALLOWED_USER_IDS). Their existing orders are still tracked."
    ),
    "admin.limit_set": "Daily limit of user <code>{user_id}</code>: {limit} TRX.",
    "admin.limit_off": "User <code>{user_id}</code> has no daily limit now.",
    "admin.users_title": "<b>Allowed users</b> (spent today, UTC / daily limit):",
    "admin.users_empty": "No user may order.",
    "admin.user_line": "<code>{user_id}</code> · {spent} TRX / {limit}",
    "admin.no_limit": "no limit",
    "admin.audit_title": "<b>Admin actions</b> (newest first, last {count}):",
    "admin.audit_line": "{at} UTC · <code>{admin}</code> · /{action} {target} {detail}",
    # after the match: automatic confirmation, /settings, rentals ending
    "command.settings": "Your settings (automatic confirmation)",
    "settings.text": (
        "⚙️ <b>Settings</b>\n\n"
        "Automatic confirmation: <b>{auto_confirm}</b>\n"
        "When a matched TronSave order's energy has been used (a USDT transfer from the "
        "receiver after the delegation, and not enough energy left for another one), I "
        "confirm it for you, so the unused part is refunded at once. Someone who rented "
        "for several transfers keeps the rental until they are done or it ends. The "
        "Confirm button stays, and each order's summary can switch this for that order."
    ),
    "settings.on": "on",
    "settings.off": "off",
    "settings.no_chain": "⚠️ This bot does not read the TRON chain (TRON_CHAIN_READS=false), "
    "so nothing is confirmed automatically: use the Confirm button.",
    "settings.saved": "Saved.",
    "button.settings_auto_confirm_on": "🤖 Automatic confirmation: on (tap to turn off)",
    "button.settings_auto_confirm_off": "🤖 Automatic confirmation: off (tap to turn on)",
    "button.auto_confirm_on": "🤖 Confirm by itself after use: on",
    "button.auto_confirm_off": "🤖 Confirm by itself after use: off",
    "summary.auto_confirm_on": "This order is confirmed automatically once its energy is used.",
    "summary.auto_confirm_off": "This order is not confirmed automatically: use its Confirm "
    "button.",
    "push.auto_confirmed": (
        "🤖 <b>Confirmed automatically</b>: the rented energy was used (a transfer from the "
        "receiver, and not enough left for another one).\n{orders}"
    ),
    "push.auto_confirm_failed": (
        "⚠️ <b>Automatic confirmation did not go through</b>: the provider refused it or "
        "did not answer, so I won't try again. /orders shows each order's state; while it "
        "is active, confirm it yourself with the button.\n{orders}"
    ),
    "push.rental_ending": (
        "⏰ <b>Rental ending soon</b>\n{orders}\n\n"
        "Rent again for the same addresses, amount, duration and max price (you see the "
        "summary and its price first), or confirm now for a refund."
    ),
    "push.rental_ends_at": "Ends at {at} UTC",
    "button.rent_again": "🔁 Rent again",
    "rent_again.gone": "That order is no longer on record. Send /new to rent energy.",
    # operator alerts: provider back, unknown outcomes, caught errors, daily summary
    "push.provider_recovered": "✅ <b>Provider back</b>",
    "operator.provider_recovered": "{provider} has had no failed poll cycle for {minutes} "
    "minutes; the failing episode is over.",
    "push.unknown_outcomes": "❓ <b>Orders with an unknown outcome</b>",
    "operator.unknown_intro": "The bot could not find out whether these were ordered (the "
    "users were told). Check them in the provider's own records before anyone orders again:",
    "operator.unknown_submission": "• Submission #{id} · {provider} · chat <code>{chat}</code>"
    " · user <code>{user}</code> · {amount} energy × {receivers} receivers · "
    "<code>{state}</code> · {created} UTC\n  with an order: {ordered}; unknown: {unknown} "
    "({addresses})",
    "operator.unknown_order": "• Order #{id} · {provider} <code>{provider_order_id}</code> · "
    "chat <code>{chat}</code> · {amount} energy · status <code>{status}</code>, not in the "
    "provider's docs, since {created} UTC",
    "operator.more_later": "+{count} more, listed in the next alert.",
    "push.bot_errors": "🐞 <b>Errors caught</b>",
    "operator.error_line": "• <code>{type}</code> ×{times} at <code>{where}</code>\n  {detail}",
    "operator.errors_waiting": "+{count} more kinds, in a later alert.",
    "operator.errors_others": "+{count} errors of further kinds, not listed.",
    "operator.errors_footer": "Each kind is alerted at most once per {minutes} minutes, its "
    "repeats counted. Details are in the bot's log.",
    "push.daily_summary": "📊 <b>Daily summary</b>",
    "operator.summary_day": "For {day} (UTC):",
    "operator.summary_all": "All: {count} orders · charged {charge} · refunded {refund} · "
    "net {net}",
    "operator.summary_provider": "{provider}: {count} orders · charged {charge} · refunded "
    "{refund} · net {net}",
    "operator.summary_users_title": "<b>Per user</b> (most charged first):",
    "operator.summary_user": "<code>{user}</code>: {count} orders · charged {charge} · "
    "refunded {refund} · net {net}",
    "operator.summary_users_more": "+{count} more users",
    "operator.summary_empty": "No orders that day.",
    # /history <chat id> for admins
    "admin.usage_history": "Usage: /history, or for admins /history &lt;chat id&gt;, e.g. "
    "/history 123456789",
    "history.of_chat": "Chat <code>{chat}</code>",
    # sizing an order on the chain (the payee step, the summary's block, after a confirm)
    "ask.payee": (
        "Who receives the USDT you will send? Send the payee's TRON address: I then "
        "check on the chain how much energy the transfer needs. Or tap <b>Skip</b> "
        "(or send <code>-</code>)."
    ),
    "input.payee_empty": "Please send the payee's TRON address, or tap Skip.",
    "input.payee_one": "Please send one payee address (you sent {count}), or tap Skip.",
    "input.payee_invalid": (
        "{address} is not a valid TRON address. A TRON address has 34 characters and "
        "starts with T."
    ),
    "button.skip_payee": "⏭ Skip",
    "button.suggested_amount": "🎯 Use {amount} energy",
    "sizing.header": "<b>On chain</b>",
    "sizing.pending": "Still checking the chain…",
    "sizing.off": (
        "Chain checks are off: activation, energy on hand, the transfer's energy and "
        "the burn price were not checked."
    ),
    "sizing.unreachable": (
        "⚠️ The TRON node could not be reached: activation, energy on hand, the "
        "transfer's energy and the burn price were not checked."
    ),
    "sizing.transfer.simulated": (
        "One USDT transfer to {payee}: <b>{energy}</b> energy (simulated on chain)"
    ),
    "sizing.transfer.payee_holder": (
        "One USDT transfer to {payee}: about <b>{energy}</b> energy (it holds USDT; "
        "the transfer could not be simulated)"
    ),
    "sizing.transfer.payee_non_holder": (
        "One USDT transfer to {payee}: about <b>{energy}</b> energy (it holds no USDT; "
        "the transfer could not be simulated)"
    ),
    "sizing.transfer.assumed_holder": (
        "No payee given: about <b>{energy}</b> energy per transfer to a payee holding "
        "USDT, about {non_holder} to one holding none"
    ),
    "sizing.transfer.unknown": (
        "⚠️ The transfer's energy could not be checked: about {holder} to a payee "
        "holding USDT, about {non_holder} otherwise"
    ),
    "sizing.receiver.not_activated": (
        "⚠️ {address}: not activated: a delegation to it may fail. Activate it first "
        "(send it some TRX)."
    ),
    "sizing.receiver.short": (
        "⚠️ {address}: has {on_hand}; {amount} more does not cover one transfer "
        "({per}): it needs {need}"
    ),
    "sizing.receiver.unchecked": "• {address}: not checked",
    "sizing.receiver.late": "• {address}: not checked in time",
    "sizing.receiver.needs_none": (
        "✅ {address}: has {on_hand} energy, enough for a transfer: it needs no rental"
    ),
    "sizing.receiver.covered": (
        "• {address}: has {on_hand}, needs {need} for {transfers} transfer(s); covers {covered}"
    ),
    "sizing.receiver.energy_only": "• {address}: has {on_hand} energy",
    "sizing.rest": "…and {count} more: {parts}",
    "sizing.rest.not_activated": "{count} not activated",
    "sizing.rest.short": "{count} not covered",
    "sizing.rest.unchecked": "{count} not checked",
    "sizing.rest.needs_none": "{count} need none",
    "sizing.rest.covered": "{count} covered",
    "sizing.rest.energy_only": "{count} with energy read",
    "sizing.suggested": "Suggested amount: <b>{amount}</b> energy per address",
    "sizing.none_needed": "✅ No receiver needs a rental for one transfer.",
    "sizing.burn_only": "Burning TRX instead: {burn} TRX ({energy} energy at {fee} SUN)",
    "sizing.savings": (
        "Burning TRX instead: {burn} TRX ({energy} energy at {fee} SUN) · renting: "
        "{cost} TRX · you save <b>{saving} TRX</b> ({percent}%)"
    ),
    "sizing.savings_none": (
        "Burning TRX instead: {burn} TRX ({energy} energy at {fee} SUN) · renting: "
        "{cost} TRX · ⚠️ renting costs {extra} TRX more"
    ),
    "sizing.separator": ", ",
    "sizing.unchecked": "Not checked: {items}.",
    "sizing.check.activation": "activation",
    "sizing.check.energy": "energy on hand",
    "sizing.check.transfer_need": "the transfer's energy",
    "sizing.check.burn_price": "the burn price",
    "confirm.saved": (
        "Saved: <b>{saving} TRX</b> ({percent}%) against burning {burn} TRX for the "
        "{energy} energy used (at {fee} SUN)"
    ),
    "confirm.saved_none": (
        "Saved: nothing: the net cost is {extra} TRX more than burning {burn} TRX for "
        "the {energy} energy used (at {fee} SUN)"
    ),
    "confirm.saving_unknown": "Saved: not known (the chain could not be read).",
    # watched addresses (/watch, /unwatch, /watches) and auto-rent (/autorent)
    "command.watch": "Watch an address's energy",
    "command.autorent": "Rent automatically when energy is low",
    "help.watch": (
        "<b>Watched addresses</b>\n"
        "/watch T… [min energy] — alert me once when its energy drops below the minimum "
        "(default 65,000) and once when it is back\n"
        "/watch or /watches — my watched addresses; /unwatch [T…] — stop watching\n"
        "/autorent T… &lt;amount|auto&gt; &lt;duration&gt; &lt;max price&gt; &lt;TRX per day&gt; "
        "&lt;orders per day&gt; [tronsave|feee] — while it is low, order this rental for it, "
        "within both daily budgets, one open order at a time; auto sizes the amount to "
        "what it lacks for one USDT transfer\n"
        "/autorent T… off — stop it (or press Stop under any automatic action)"
    ),
    "watch.usage": "Usage: /watch T… [min energy], e.g. /watch TXYZ… 65000",
    "watch.bad_address": "<code>{address}</code> is not a TRON address.",
    "watch.bad_threshold": "The minimum energy must be a whole number from {min} to {max}.",
    "watch.no_chain": (
        "Watched addresses are not checked here: this bot does not read the TRON network "
        "(TRON_CHAIN_READS is off)."
    ),
    "watch.too_many": "You already watch {max} addresses, the most allowed. /unwatch one first.",
    "watch.added": (
        "👀 Watching <code>{address}</code>: I'll tell you once when its energy drops below "
        "{threshold}, and once when it is back."
    ),
    "watch.updated": "👀 <code>{address}</code>: minimum energy now {threshold}.",
    "watch.none": "You watch no address. Send /watch T… to start.",
    "watch.list_title": "<b>Watched addresses</b> ({count}):",
    "watch.line": "<code>{address}</code> · minimum {threshold} · {state}",
    "watch.state_low": "⚠️ low",
    "watch.state_ok": "✅ enough",
    "watch.state_unknown": "not checked yet",
    "watch.auto_off": "   auto-rent off",
    "watch.auto_on": (
        "   auto-rent: {amount} energy, {duration}, max {price} SUN, {provider}; today "
        "{spent} of {budget} TRX, {placed} of {orders} orders"
    ),
    "watch.pick": "Which address should I stop watching?",
    "watch.button_unwatch": "Unwatch {address}",
    "watch.not_watched": "You don't watch <code>{address}</code> in this chat.",
    "watch.removed": "Stopped watching <code>{address}</code> (and its auto-rent).",
    "watch.removed_short": "Unwatched.",
    "watch.button_gone": "That watch is gone or is not yours.",
    "autorent.usage": (
        "Usage: /autorent T… &lt;amount|auto&gt; &lt;duration&gt; &lt;max price&gt; "
        "&lt;TRX per day&gt; &lt;orders per day&gt; [tronsave|feee], e.g. "
        "/autorent TXYZ… auto 1h 70 20 2 — or /autorent T… off. Both daily budgets are "
        "required."
    ),
    "autorent.not_watched": (
        "<code>{address}</code> is not watched in this chat: /watch it first."
    ),
    "autorent.bad_budget": "The TRX per day must be more than 0 and at most {max}, up to 6 decimals.",
    "autorent.bad_orders": "The orders per day must be a whole number from 1 to {max}.",
    "autorent.bad_provider": "Unknown provider. Choose one of: {names}.",
    "autorent.no_provider": "No configured provider takes such an order (duration or amount).",
    "autorent.over_budget": (
        "One order can cost up to {cost} TRX (amount × max price), more than the daily "
        "budget of {budget} TRX. Raise the budget or lower the amount or price."
    ),
    "autorent.amount_auto": "auto",
    "autorent.set": (
        "🤖 Auto-rent on for <code>{address}</code>: while its energy is below {threshold}, "
        "I order {amount} energy for {duration} at up to {price} SUN from {provider}, at most "
        "{budget} TRX and {orders} orders per day (UTC), one open order at a time."
    ),
    "autorent.stopped": "⏹ Auto-rent off for <code>{address}</code>. It is still watched.",
    "autorent.stopped_short": "Auto-rent off.",
    "autorent.button_stop": "⏹ Stop auto-rent",
    "autorent.stop_hint": "To stop it: /autorent T… off",
    "autorent.reason_unknown": "the provider refused it.",
    "autorent.stop_daily_budget": "today's budget of {budget} TRX is spent.",
    "autorent.stop_daily_orders": "today's {daily_orders} orders are placed.",
    "autorent.stop_provider_balance": (
        "the provider's balance cannot pay the next order (the operator must top it up)."
    ),
    "autorent.stop_spend_limit": (
        "the operator's spend limit refused the order; it is tried again after {resets} UTC."
    ),
    "autorent.stop_not_allowed": "you may no longer order with this bot.",
    "push.watch_low": "⚠️ <b>Low energy</b>",
    "push.watch_recovered": "✅ <b>Energy back</b>",
    "push.auto_rent": "🤖 <b>Auto-rent</b>",
    "push.auto_rent_stopped": "⏹ <b>Auto-rent stopped</b>",
    "watch.push_low": "<code>{address}</code>: {available} energy available, below your minimum of {threshold}.",
    "watch.push_recovered": "<code>{address}</code>: {available} energy available (minimum {threshold}).",
    "autorent.push_placed": (
        "Ordered {amount} energy for <code>{address}</code> ({available} available, minimum "
        "{threshold}); submission #{submission}. I'll tell you when it is matched. Budget: "
        "{budget} TRX and {daily_orders} orders per day."
    ),
    "autorent.push_failed": (
        "Could not order for <code>{address}</code>: {reason} It pauses, then tries again "
        "while the energy is low."
    ),
    "autorent.push_unknown": (
        "Sent an order of {amount} energy for <code>{address}</code>, but its outcome is not "
        "known yet (submission #{submission}). It counts as placed and is not sent again; "
        "/orders shows it once found."
    ),
    "autorent.push_stopped": "<code>{address}</code> ({available} energy available): {reason}",
    # quotes and the create line (appended)
    "summary.fetching": "⏳ Getting the providers' prices… this message updates itself.",
    "summary.no_price": "⚠️ Could not get a price right now. Try again in a moment.",
    "button.retry_quote": "🔄 Try again",
    "submit.queued": (
        "⏳ Orders to {provider} go out one at a time. You are number {place} in line; "
        "expected wait: about {seconds} s."
    ),
    "submit.not_sent": "The bot is restarting: nothing was ordered. Send /new to order again.",
    "push.shared": "{count} orders · {provider} · {amount} energy each",
    "push.order": "#{id} · <code>{receiver}</code>",
}
