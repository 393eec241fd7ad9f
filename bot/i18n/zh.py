"""Chinese catalog: the same keys and placeholders as `en` (a test enforces it)."""

from typing import Final

MESSAGES: Final[dict[str, str]] = {
    "command.new": "租用能量",
    "command.orders": "我的订单",
    "command.history": "订单历史、费用与退款",
    "command.balance": "服务商余额",
    "command.language": "语言 / Language",
    "command.help": "使用帮助",
    "command.cancel": "退出当前下单流程",
    "start.text": (
        "⚡ <b>TRON 能量租赁</b>\n"
        "租用能量，转 USDT 时不再燃烧 TRX。告诉我数量、时长、最高单价和接收地址，"
        "我会显示预估费用、提交订单，并在订单匹配后立即通知你。"
    ),
    "help.text": (
        "<b>命令</b>\n"
        "/new — 租用能量（逐步填写）\n"
        "/new 65000 15m 70 T… T… [to T…] — 直接到订单确认：数量、时长、最高单价、地址（及 USDT 收款地址）\n"
        "/orders — 我的订单，可取消或确认\n"
        "/history — 按日查看订单的扣费、退款和净花费；可导出 CSV\n"
        "/balance — 服务商余额和充值地址（附二维码）\n"
        "/language — 中文 / English\n"
        "/settings — 开启或关闭自动确认\n"
        "/cancel — 退出下单流程\n"
        "管理员：/allow ID、/deny ID、/limit ID TRX|off、/users、/audit\n\n"
        "时长：900（秒）、15m、1h、3d。价格单位为 SUN/能量（1 TRX = 1,000,000 SUN）。\n"
        "订单匹配后，完成转账再点 <b>立即确认以获退款</b>：租赁提前结束，未使用部分退款。"
        "机器人读取链上数据时，转账用完能量后会自动确认（见 /settings）。"
    ),
    "stray.text": "没看懂。发送 /new 租用能量，或发送 /help 查看帮助。",
    "auth.denied": (
        "你没有使用此机器人下单的权限。你的 Telegram ID 是 <code>{user_id}</code>，"
        "请让运营者把它加入 ALLOWED_USER_IDS。"
    ),
    "auth.denied_short": "没有权限。你的 Telegram ID 是 {user_id}，请让运营者添加。",
    "language.choose": "请选择语言：",
    "language.zh": "中文",
    "language.en": "English",
    "language.auto": "自动（跟随 Telegram）",
    "language.set": "语言已设为：中文。",
    "unit.s": "{n} 秒",
    "unit.m": "{n} 分钟",
    "unit.h": "{n} 小时",
    "unit.d": "{n} 天",
    "provider.tronsave": "TronSave",
    "provider.feee": "Feee.io",
    "ask.amount": (
        "每个地址需要多少能量？请输入整数。\n"
        "转 USDT 时，若收款方已持有 USDT 约需 <b>65,000</b> 能量，否则约需 <b>131,000</b>。"
    ),
    "ask.duration": "租用多长时间？例如 <code>900</code>（秒）、<code>15m</code>、"
    "<code>1h</code>、<code>3d</code>。",
    "ask.price": "你能接受的最高单价（SUN/能量，整数，例如 70）？",
    "ask.receivers": "哪些地址接收能量？发送一个或多个 TRON 地址，用空格、逗号或换行分隔（最多 100 个）。",
    "ask.deadline": (
        "最长匹配时间？超时未匹配的订单会被取消并退款。例如 <code>300</code>、"
        "<code>5m</code>、<code>30m</code>。"
    ),
    "choice.amount_holder": "{value}（已持有）",
    "choice.amount_new": "{value}（新收款方）",
    "input.amount_not_number": "这不是一个整数能量数量。",
    "input.amount_range": "能量数量必须在 {min} 到 {max} 之间。",
    "input.duration_format": "无法识别时长。请使用如 900、15m、1h 或 3d 的格式。",
    "input.duration_range": "时长必须在 {min} 到 {max} 秒之间。",
    "input.deadline_range": "匹配时限必须在 {min} 到 {max} 秒之间。",
    "input.price_not_integer": "最高单价必须是整数 SUN，例如 70。",
    "input.price_range": "最高单价必须在 {min} 到 {max} SUN/能量之间。",
    "input.receivers_empty": "请至少发送一个 TRON 地址。",
    "input.receivers_invalid": (
        "有 {count} 个地址不是有效的 TRON 地址：{addresses}\nTRON 地址为 34 个字符，以 T 开头。"
    ),
    "input.receivers_too_many": "每个订单最多 {max} 个地址（你发送了 {count} 个）。",
    "summary.text": (
        "<b>订单确认</b>\n"
        "能量：{amount} × {count} 个地址\n"
        "时长：{duration}\n"
        "最高单价：{price} SUN/能量\n"
        "接收地址：\n{receivers}\n\n"
        "{quotes}\n\n"
        "匹配时限：{deadline}"
    ),
    "summary.quote": "<b>{provider}</b>：{unit} SUN/能量，合计 <b>{total} TRX</b>",
    "summary.balance": "余额：{trx} TRX",
    "summary.can_match_yes": "当前可匹配：是",
    "summary.can_match_no": "当前可匹配：不能全部匹配",
    "summary.above_max": "⚠️ 当前价格（{price} SUN）高于你的最高单价，订单会被拒绝。"
    "请提高最高单价重新下单，或稍后再试。",
    "summary.balance_low": "⚠️ 余额不足以支付此订单。",
    "summary.cannot_match": "⚠️ 目前只能满足 {available} 个地址，其余地址会在时限内等待匹配。",
    "summary.no_provider": "目前没有服务商可以按此条件接单。",
    "summary.use_buttons": "请使用订单确认下方的按钮，或发送 /cancel。",
    "summary.stale": "此表单已关闭。发送 /new 重新下单。",
    "button.confirm": "✅ 确认，向 {provider} 下单",
    "button.deadline": "⏱ 修改匹配时限",
    "button.cancel": "✖ 取消",
    "button.provider": "{provider} · {total} TRX",
    "button.provider_chosen": "● {provider} · {total} TRX",
    "button.new_order": "⚡ 租用能量",
    "button.my_orders": "📋 我的订单",
    "button.language": "🌐 语言",
    "button.confirm_order": "✅ 立即确认以获退款 #{id}",
    "button.confirm_all": "✅ 全部 {count} 个立即确认以获退款",
    "button.cancel_order": "✖ 取消 #{id}",
    "button.prev": "◀ 较新",
    "button.next": "较早 ▶",
    "conversation.cancelled": "已退出下单流程，未提交任何订单。",
    "conversation.nothing_to_cancel": "没有可取消的操作。",
    "submit.sending": "正在提交…",
    "submit.done": "✅ 已向 {provider} 提交 {count} 个订单。\n{orders}\n\n订单匹配后我会立即通知你。",
    "submit.partial": "部分地址未下单：{reason}",
    "submit.failed": "❌ 订单未提交。{reason}",
    "submit.recovered": "⚠️ 下单时与 {provider} 的连接中断，但我已找到它创建的订单并在跟踪：\n{orders}",
    "submit.uncertain": (
        "⚠️ 下单时与 {provider} 的连接中断，暂时无法确定订单是否已创建。"
        "我正在核实，稍后通知你。在此期间请不要重复下单。"
    ),
    "submit.unresolved": (
        "⚠️ 下单时与 {provider} 的连接中断，且 {provider} 无法查询该订单。"
        "请先检查你的 {provider} 账户再重新下单。"
    ),
    "order.line": "#{id} · {provider} · <code>{receiver}</code> · {amount} · {state}",
    "order.charge": "扣费：{trx} TRX",
    "order.refund": "退款：{trx} TRX",
    "order.net": "净费用：{trx} TRX",
    "order.refund_pending": "退款：服务商尚未显示，请稍后在 /orders 查看。",
    "orders.empty": "此聊天还没有订单。发送 /new 租用能量。",
    "orders.header": "<b>订单</b>（第 {page}/{pages} 页，共 {total} 个）\n\n{orders}",
    "state.pending": "⏳ 等待匹配",
    "state.matched": "⚡ 生效中",
    "state.confirmed": "✅ 已确认",
    "state.completed": "🏁 已结束",
    "state.cancelled": "✖ 已取消",
    "state.expired": "⌛ 未匹配，已退款",
    "state.failed": "❌ 失败",
    "state.unknown": "❔ 状态“{raw}”",
    "action.invalid": "此按钮在这里无效。请使用 /orders。",
    "action.working": "处理中…",
    "action.confirm.header": "<b>确认结果</b>",
    "action.confirm.done": "{order}\n✅ 已确认：租赁已结束，未使用部分将退款。",
    "action.confirm.already": "{order}\n已经确认过。",
    "action.confirm.not_allowed": "{order}\n只有生效中（已匹配）的订单可以确认。",
    "action.confirm.refused": "{order}\n❌ 确认失败：{reason}",
    "action.cancel.header": "<b>取消结果</b>",
    "action.cancel.done": "{order}\n✅ 已取消并退款。",
    "action.cancel.already": "{order}\n已经取消过。",
    "action.cancel.not_allowed": "{order}\n此订单现在无法取消。",
    "action.cancel.refused": "{order}\n❌ 取消失败：{reason}",
    "push.matched": "⚡ <b>能量已到账</b>\n{orders}\n\n转账完成后点击确认，可提前结束租赁并退还未使用部分。",
    "push.delivery": "{amount} 能量已委托给 <code>{receiver}</code>，交易 <code>{txid}</code>",
    "push.expired": "⌛ <b>超过匹配时限未匹配</b>：已取消并退款。\n{orders}",
    "push.completed": "🏁 <b>租赁期已结束</b>\n{orders}",
    "push.cancelled": "✖ <b>服务商已取消订单</b>\n{orders}",
    "push.failed": "❌ <b>订单失败</b>\n{orders}",
    "push.status": "❔ <b>状态更新</b>（机器人尚不认识的状态）\n{orders}",
    "push.recovered": "✅ 连接问题后已找到提交 #{submission} 的订单，正在跟踪：\n{orders}",
    "push.not_created": "提交 #{submission} 最终未创建，未扣费。你可以用 /new 重新下单。",
    "push.unresolved": "提交 #{submission}：服务商无法查询它是否已创建，请检查你的服务商账户。",
    "push.recovery_partial": (
        "⚠️ <b>提交 #{submission}：查找已结束</b>\n"
        "已找到并在跟踪：\n{found}\n\n"
        "历史记录中未找到以下地址的订单：\n{missing}\n"
        "它们很可能没有下单，但再次为它们下单前请先检查你的服务商账户。"
    ),
    "push.recovery_unknown": (
        "❔ <b>提交 #{submission}：结果未知</b>\n"
        "我未能查完服务商的订单历史，因此无法确定以下地址是否已下单：\n{missing}\n\n"
        "已找到并在跟踪：\n{found}\n\n"
        "再次为它们下单前请先检查你的服务商账户。"
    ),
    "push.none": "—",
    "push.more": "……另有 {count} 个",
    "balance.header": "<b>余额</b>",
    "balance.line": "<b>{provider}</b>：{trx} TRX\n充值地址：<code>{address}</code>",
    # 服务商未完成请求的原因 (bot/providers/errors.py FailureReason)
    "failure.insufficient_balance": "运营者的 {provider} 余额不足以支付此订单。",
    "failure.price_above_max": "价格已高于你的最高单价，未下单。请提高最高单价或稍后再试。",
    "failure.price_below_min": "最高单价低于 {provider} 的最低价格。",
    "failure.receiver_not_activated": "接收地址尚未在 TRON 上激活，{provider} 无法委托。",
    "failure.no_supply": "{provider} 目前没有可用于此订单的能量，请稍后重试。",
    "failure.previous_order_pending": "相同的订单仍在等待匹配。请等待它完成，或在 /orders 中取消。",
    "failure.too_many_open_orders": "该地址在 {provider} 的未完成订单过多，请等待其完成。",
    "failure.account_not_found": "找不到运营者的 {provider} 账户。",
    "failure.unauthorised": "{provider} 拒绝了运营者的 API 密钥（{code}），需要运营者修正机器人配置。",
    "failure.ip_not_allowed": "{provider} 拒绝了机器人的 IP（白名单，{code}），需要运营者处理。",
    "failure.user_agent_not_allowed": "{provider} 拒绝了机器人的 User-Agent（白名单，{code}），"
    "需要运营者修正机器人的 User-Agent 设置。",
    "failure.unsupported_duration": "{provider} 不支持此时长，请选择它提供的时长。",
    "failure.invalid_request": "{provider} 拒绝了请求（字段：{field}）。",
    "failure.rate_limited": "{provider} 当前繁忙，请几秒后重试。",
    "failure.unavailable": "暂时无法连接 {provider}，请稍后重试。",
    "failure.shutting_down": "机器人正在重启，因此我在这个地址之前停止，没有为它发送任何请求。请稍后重新下单。",
    "failure.refused": "{provider} 拒绝：{code} {detail}",
    "error.internal": "处理时出错了。如果你在下单，请先查看 /orders 再重试。",
    "push.unreadable": "⚠️ <b>无法读取这些订单的状态</b>：服务商关于它们的回复已连续多次无法解析，"
    "机器人无法判断其结果。机器人会每隔几分钟再查询一次，有变化会通知你；在此期间请在服务商账户中查看。\n{orders}",
    "push.key_missing": "🔑 <b>已停止跟踪</b>：这些订单是用机器人现已不再配置的服务商 API 密钥下的。"
    "机器人不会用其他密钥查询它们；运营者恢复该密钥后会立即重新跟踪。在此期间请在服务商账户中查看。\n{orders}",
    "push.buttons_unavailable": "请使用 /orders 确认或取消这些订单。",
    "action.confirm.many.done": "✅ 已确认（{count} 个）：{ids}\n租赁已结束，未使用部分将退款。",
    "action.confirm.many.already": "已经确认过（{count} 个）：{ids}",
    "action.confirm.many.not_allowed": "未生效，未确认（{count} 个）：{ids}",
    "action.cancel.many.done": "✅ 已取消并退款（{count} 个）：{ids}",
    "action.cancel.many.already": "已经取消过（{count} 个）：{ids}",
    "action.cancel.many.not_allowed": "现在无法取消（{count} 个）：{ids}",
    # a submission receiver by receiver (bot/telegram/submit_report.py)
    "report.title": "<b>{provider}</b>，提交 #{submission}，逐个地址的结果：",
    "report.counts": "{counts}",
    "report.separator": "，",
    "report.count.ordered": "✅ {n} 个已下单",
    "report.count.uncertain": "❔ {n} 个不确定",
    "report.count.refused": "❌ {n} 个未下单",
    "report.count.price_rose": "📈 {n} 个因价格高于最高单价而停止",
    "report.count.not_attempted": "⏸ {n} 个未尝试",
    "report.uncertain": "❔ <code>{receiver}</code>：请求已发出但没有收到回复，该订单<b>可能已存在</b>，且 {provider} 无法让我查询。"
    "再次为该地址下单前，请先在你的 {provider} 账户订单列表中查看该地址。我没有重试，并在此停止。",
    "report.refused": "❌ <code>{receiver}</code>：未下单：{reason}",
    "report.price_rose": "📈 <code>{receiver}</code>：未下单：为该地址下单前，含服务费的价格已高于你的最高单价。我在此停止。",
    "report.stopped": "⏸ 在下一个地址之前停止：{reason}",
    "report.not_attempted_header": "⏸ 未尝试（没有发送任何请求，可以重新下单）：",
    "report.not_attempted": "• <code>{receiver}</code>",
    "report.ordered_header": "✅ 已下单，正在跟踪：",
    "report.ordered": "#{id} · <code>{receiver}</code>",
    "report.more": "……另有 {count} 行，请查看 /orders。",
    "push.interrupted": "⚠️ <b>提交 #{submission} 中途被打断</b>：机器人在下单过程中停止。逐个地址的已知情况：",
    # history
    "history.empty": "还没有订单，暂无历史记录。",
    "history.header": (
        "<b>订单历史</b> · 第 {page}/{pages} 页 · 共 {count} 笔\n"
        "全部：扣费 {charge} · 退款 {refund} · 净花费 {net}"
    ),
    "history.day": "<b>{day}</b>（UTC）· {count} 笔：扣费 {charge} · 退款 {refund} · 净花费 {net}",
    "history.order_money": "   扣费 {charge} · 退款 {refund} · 净花费 {net}",
    "history.trx": "{trx} TRX",
    "history.trx_pending": "{trx} TRX + {count} 笔待定",
    "history.pending": "待定",
    "history.csv_caption": "本聊天的全部订单：金额单位为 TRX，时间为 UTC。",
    "history.csv_too_large": "本聊天的历史记录超过 Telegram 允许机器人发送的 50 MB 文件上限，无法在此发送。运营者可从机器人的数据库导出。",
    "button.export_csv": "📄 导出 CSV",
    "balance.qr_caption": "<b>{provider}</b> 充值地址（TRON 网络上的 TRX）：\n<code>{address}</code>",
    "push.low_balance": "⚠️ <b>余额不足</b>",
    "push.balance_recovered": "✅ <b>余额已恢复</b>",
    "operator.low_balance": "{provider} 仅剩 {balance} TRX，低于提醒阈值 {threshold} TRX。"
    "请在订单被拒之前充值（/balance 显示充值地址）。",
    "operator.balance_recovered": "{provider} 现有 {balance} TRX，不低于提醒阈值 {threshold} TRX。",
    "push.provider_failing": "🚨 <b>服务商连续失败</b>",
    "operator.provider_failing": "{provider} 在 {minutes} 分钟内有 {count} 个轮询周期失败（最近错误：<code>{code}</code>）。"
    "该服务商的订单暂时无法跟踪；请检查其 API 密钥、余额和状态页面。每次故障只提醒一次。",
    "limit.order_refused": "⛔ 未下单：此订单最多可能花费 {cost} TRX，超过单笔限额 {limit} TRX。未向服务商发送任何请求。",
    "limit.daily_refused": "⛔ 未下单：此订单最多可能花费 {cost} TRX，但你今天的每日限额 {limit} TRX 只剩 {left} TRX。未向服务商发送任何请求。",
    "limit.left_today": "今日剩余：{left} TRX（限额 {limit} TRX）。",
    "limit.resets": "每日限额将于 UTC {reset} 重置。",
    "command.allow": "管理员：允许用户下单",
    "command.deny": "管理员：禁止用户下单",
    "command.limit": "管理员：设置用户每日限额",
    "command.users": "管理员：已授权用户及今日花费",
    "command.audit": "管理员：管理操作记录",
    "admin.refused": "只有机器人管理员可以使用此命令。未做任何更改。",
    "admin.usage_allow": "用法：/allow &lt;Telegram 用户 ID&gt;，例如 /allow 123456789",
    "admin.usage_deny": "用法：/deny &lt;Telegram 用户 ID&gt;，例如 /deny 123456789",
    "admin.usage_limit": "用法：/limit &lt;Telegram 用户 ID&gt; &lt;每日 TRX，最多 6 位小数，或 off&gt;，例如 /limit 123456789 50",
    "admin.allowed": "✅ 用户 <code>{user_id}</code> 现在可以下单。",
    "admin.denied": "⛔ 用户 <code>{user_id}</code> 已不能下单（即使在 ALLOWED_USER_IDS 中）。其现有订单仍会跟踪。",
    "admin.limit_set": "用户 <code>{user_id}</code> 的每日限额：{limit} TRX。",
    "admin.limit_off": "用户 <code>{user_id}</code> 现在没有每日限额。",
    "admin.users_title": "<b>已授权用户</b>（今日花费，UTC / 每日限额）：",
    "admin.users_empty": "没有用户可以下单。",
    "admin.user_line": "<code>{user_id}</code> · {spent} TRX / {limit}",
    "admin.no_limit": "无限额",
    "admin.audit_title": "<b>管理操作</b>（最新在前，最近 {count} 条）：",
    "admin.audit_line": "{at} UTC · <code>{admin}</code> · /{action} {target} {detail}",
    "command.settings": "我的设置（自动确认）",
    "settings.text": (
        "⚙️ <b>设置</b>\n\n"
        "自动确认：<b>{auto_confirm}</b>\n"
        "已匹配的 TronSave 订单的能量用完后（接收地址在委托后发出了 USDT 转账，且剩余能量不够"
        "再转一笔），我会替你确认订单，未使用部分立即退款。租了多笔转账所需能量的用户，"
        "会保留租赁直到用完或到期。确认按钮仍然保留；每个订单的确认页面也可以单独切换。"
    ),
    "settings.on": "开启",
    "settings.off": "关闭",
    "settings.no_chain": "⚠️ 本机器人未读取 TRON 链上数据（TRON_CHAIN_READS=false），"
    "因此不会自动确认：请使用确认按钮。",
    "settings.saved": "已保存。",
    "button.settings_auto_confirm_on": "🤖 自动确认：开启（点此关闭）",
    "button.settings_auto_confirm_off": "🤖 自动确认：关闭（点此开启）",
    "button.auto_confirm_on": "🤖 用完后自动确认：开启",
    "button.auto_confirm_off": "🤖 用完后自动确认：关闭",
    "summary.auto_confirm_on": "此订单的能量用完后将自动确认。",
    "summary.auto_confirm_off": "此订单不会自动确认：请使用它的确认按钮。",
    "push.auto_confirmed": (
        "🤖 <b>已自动确认</b>：租用的能量已用完（接收地址已转账，剩余能量不够再转一笔）。\n{orders}"
    ),
    "push.auto_confirm_failed": (
        "⚠️ <b>自动确认未成功</b>：服务商拒绝或没有回应，我不会再试。/orders 可查看每个订单的"
        "状态；订单仍在进行时，请用按钮自行确认。\n{orders}"
    ),
    "push.rental_ending": (
        "⏰ <b>租赁即将到期</b>\n{orders}\n\n"
        "可以用相同的地址、数量、时长和最高单价再租一次（会先显示确认页面和价格），"
        "或者立即确认以获退款。"
    ),
    "push.rental_ends_at": "到期时间 {at} UTC",
    "button.rent_again": "🔁 再租一次",
    "rent_again.gone": "该订单已不在记录中。发送 /new 租用能量。",
    # operator alerts: provider back, unknown outcomes, caught errors, daily summary
    "push.provider_recovered": "✅ <b>服务商已恢复</b>",
    "operator.provider_recovered": "{provider} 已连续 {minutes} 分钟没有失败的轮询周期，本次故障结束。",
    "push.unknown_outcomes": "❓ <b>结果未知的订单</b>",
    "operator.unknown_intro": "机器人无法确认以下是否已下单（已告知用户）。再次下单前，请在服务商自己的记录中核对：",
    "operator.unknown_submission": "• 提交 #{id} · {provider} · 聊天 <code>{chat}</code>"
    " · 用户 <code>{user}</code> · {amount} 能量 × {receivers} 个接收地址 · "
    "<code>{state}</code> · {created} UTC\n  有订单：{ordered}；未知：{unknown}（{addresses}）",
    "operator.unknown_order": "• 订单 #{id} · {provider} <code>{provider_order_id}</code> · "
    "聊天 <code>{chat}</code> · {amount} 能量 · 状态 <code>{status}</code> 不在服务商文档中，"
    "自 {created} UTC 起",
    "operator.more_later": "另有 {count} 条，将在下一条提醒中列出。",
    "push.bot_errors": "🐞 <b>捕获到错误</b>",
    "operator.error_line": "• <code>{type}</code> ×{times} 位于 <code>{where}</code>\n  {detail}",
    "operator.errors_waiting": "另有 {count} 类，将在之后的提醒中列出。",
    "operator.errors_others": "另有 {count} 个其他类型的错误未列出。",
    "operator.errors_footer": "同一类错误每 {minutes} 分钟最多提醒一次，重复次数会计入。详情见机器人日志。",
    "push.daily_summary": "📊 <b>每日汇总</b>",
    "operator.summary_day": "{day}（UTC）：",
    "operator.summary_all": "全部：{count} 个订单 · 扣费 {charge} · 退款 {refund} · 净额 {net}",
    "operator.summary_provider": "{provider}：{count} 个订单 · 扣费 {charge} · 退款 {refund} · 净额 {net}",
    "operator.summary_users_title": "<b>按用户</b>（扣费最多在前）：",
    "operator.summary_user": "<code>{user}</code>：{count} 个订单 · 扣费 {charge} · 退款 {refund} · 净额 {net}",
    "operator.summary_users_more": "另有 {count} 个用户",
    "operator.summary_empty": "当天没有订单。",
    # /history <chat id> for admins
    "admin.usage_history": "用法：/history，管理员可用 /history &lt;聊天 ID&gt;，例如 /history 123456789",
    "history.of_chat": "聊天 <code>{chat}</code>",
    # sizing an order on the chain (the payee step, the summary, after a confirm)
    "ask.payee": (
        "您要把 USDT 转给谁？发送收款方的 TRON 地址，我会在链上测算这笔转账需要多少能量。"
        "也可以点 <b>跳过</b>（或发送 <code>-</code>）。"
    ),
    "input.payee_empty": "请发送收款方的 TRON 地址，或点跳过。",
    "input.payee_one": "请只发送一个收款地址（您发送了 {count} 个），或点跳过。",
    "input.payee_invalid": "{address} 不是有效的 TRON 地址。TRON 地址有 34 个字符，以 T 开头。",
    "button.skip_payee": "⏭ 跳过",
    "button.suggested_amount": "🎯 改用 {amount} 能量",
    "sizing.header": "<b>链上检查</b>",
    "sizing.pending": "仍在检查链上数据…",
    "sizing.off": "链上检查已关闭：未检查激活状态、现有能量、转账所需能量和燃烧价格。",
    "sizing.unreachable": (
        "⚠️ 无法连接 TRON 节点：未检查激活状态、现有能量、转账所需能量和燃烧价格。"
    ),
    "sizing.transfer.simulated": "向 {payee} 转一笔 USDT：<b>{energy}</b> 能量（链上模拟）",
    "sizing.transfer.payee_holder": (
        "向 {payee} 转一笔 USDT：约 <b>{energy}</b> 能量（对方持有 USDT；无法模拟转账）"
    ),
    "sizing.transfer.payee_non_holder": (
        "向 {payee} 转一笔 USDT：约 <b>{energy}</b> 能量（对方未持有 USDT；无法模拟转账）"
    ),
    "sizing.transfer.assumed_holder": (
        "未提供收款地址：转给持有 USDT 的地址每笔约 <b>{energy}</b> 能量，"
        "转给未持有的地址约 {non_holder}"
    ),
    "sizing.transfer.unknown": (
        "⚠️ 无法检查转账所需能量：转给持有 USDT 的地址约 {holder}，否则约 {non_holder}"
    ),
    "sizing.receiver.not_activated": (
        "⚠️ {address}：未激活，向其代理能量可能失败。请先激活（转入一些 TRX）。"
    ),
    "sizing.receiver.short": (
        "⚠️ {address}：现有 {on_hand}，再租 {amount} 也不够一笔转账（{per}）：需要 {need}"
    ),
    "sizing.receiver.unchecked": "• {address}：未检查",
    "sizing.receiver.late": "• {address}：未能及时检查",
    "sizing.receiver.needs_none": "✅ {address}：现有 {on_hand} 能量，够一笔转账，无需租用",
    "sizing.receiver.covered": (
        "• {address}：现有 {on_hand}，{transfers} 笔转账需要 {need}；可覆盖 {covered} 笔"
    ),
    "sizing.receiver.energy_only": "• {address}：现有 {on_hand} 能量",
    "sizing.rest": "…另有 {count} 个：{parts}",
    "sizing.rest.not_activated": "{count} 个未激活",
    "sizing.rest.short": "{count} 个不够",
    "sizing.rest.unchecked": "{count} 个未检查",
    "sizing.rest.needs_none": "{count} 个无需租用",
    "sizing.rest.covered": "{count} 个足够",
    "sizing.rest.energy_only": "{count} 个已读取能量",
    "sizing.suggested": "建议数量：每个地址 <b>{amount}</b> 能量",
    "sizing.none_needed": "✅ 所有接收地址的现有能量都够一笔转账，无需租用。",
    "sizing.burn_only": "改为燃烧 TRX：{burn} TRX（{energy} 能量，每单位 {fee} SUN）",
    "sizing.savings": (
        "改为燃烧 TRX：{burn} TRX（{energy} 能量，每单位 {fee} SUN）· 租用：{cost} TRX · "
        "节省 <b>{saving} TRX</b>（{percent}%）"
    ),
    "sizing.savings_none": (
        "改为燃烧 TRX：{burn} TRX（{energy} 能量，每单位 {fee} SUN）· 租用：{cost} TRX · "
        "⚠️ 租用反而多花 {extra} TRX"
    ),
    "sizing.separator": "、",
    "sizing.unchecked": "未检查：{items}。",
    "sizing.check.activation": "激活状态",
    "sizing.check.energy": "现有能量",
    "sizing.check.transfer_need": "转账所需能量",
    "sizing.check.burn_price": "燃烧价格",
    "confirm.saved": (
        "节省：<b>{saving} TRX</b>（{percent}%），相比燃烧 {burn} TRX"
        "（已用 {energy} 能量，每单位 {fee} SUN）"
    ),
    "confirm.saved_none": (
        "节省：无，净费用比燃烧 {burn} TRX 多 {extra} TRX（已用 {energy} 能量，每单位 {fee} SUN）"
    ),
    "confirm.saving_unknown": "节省：未知（无法读取链上数据）。",
    # watched addresses (/watch, /unwatch, /watches) and auto-rent (/autorent)
    "command.watch": "监控地址的能量",
    "command.autorent": "能量不足时自动租用",
    "help.watch": (
        "<b>监控地址</b>\n"
        "/watch T… [最低能量] — 能量低于最低值（默认 65,000）时提醒一次，恢复时再提醒一次\n"
        "/watch 或 /watches — 我监控的地址；/unwatch [T…] — 取消监控\n"
        "/autorent T… &lt;数量|auto&gt; &lt;时长&gt; &lt;最高单价&gt; &lt;每日 TRX&gt; "
        "&lt;每日单数&gt; [tronsave|feee] — 能量不足时为它下这笔租单，不超过两项每日预算，"
        "同时最多一笔未结订单；auto 按一笔 USDT 转账所缺的能量确定数量\n"
        "/autorent T… off — 关闭（或点任一自动操作消息下的“停止”）"
    ),
    "watch.usage": "用法：/watch T… [最低能量]，例如 /watch TXYZ… 65000",
    "watch.bad_address": "<code>{address}</code> 不是 TRON 地址。",
    "watch.bad_threshold": "最低能量必须是 {min} 到 {max} 之间的整数。",
    "watch.no_chain": "此处不检查监控地址：本机器人不读取 TRON 网络（TRON_CHAIN_READS 已关闭）。",
    "watch.too_many": "你已监控 {max} 个地址，已达上限。请先 /unwatch 一个。",
    "watch.added": "👀 正在监控 <code>{address}</code>：能量低于 {threshold} 时提醒一次，恢复时再提醒一次。",
    "watch.updated": "👀 <code>{address}</code>：最低能量改为 {threshold}。",
    "watch.none": "你没有监控任何地址。发送 /watch T… 开始。",
    "watch.list_title": "<b>监控地址</b>（{count} 个）：",
    "watch.line": "<code>{address}</code> · 最低 {threshold} · {state}",
    "watch.state_low": "⚠️ 不足",
    "watch.state_ok": "✅ 充足",
    "watch.state_unknown": "尚未检查",
    "watch.auto_off": "   自动租用：关闭",
    "watch.auto_on": (
        "   自动租用：{amount} 能量，{duration}，最高 {price} SUN，{provider}；今日已用 "
        "{spent} / {budget} TRX，{placed} / {orders} 单"
    ),
    "watch.pick": "要取消监控哪个地址？",
    "watch.button_unwatch": "取消监控 {address}",
    "watch.not_watched": "你在此聊天中没有监控 <code>{address}</code>。",
    "watch.removed": "已取消监控 <code>{address}</code>（及其自动租用）。",
    "watch.removed_short": "已取消监控。",
    "watch.button_gone": "该监控已不存在或不属于你。",
    "autorent.usage": (
        "用法：/autorent T… &lt;数量|auto&gt; &lt;时长&gt; &lt;最高单价&gt; &lt;每日 TRX&gt; "
        "&lt;每日单数&gt; [tronsave|feee]，例如 /autorent TXYZ… auto 1h 70 20 2；"
        "或 /autorent T… off。两项每日预算都必须填写。"
    ),
    "autorent.not_watched": "<code>{address}</code> 未在此聊天中监控：请先 /watch。",
    "autorent.bad_budget": "每日 TRX 必须大于 0、不超过 {max}，最多 6 位小数。",
    "autorent.bad_orders": "每日单数必须是 1 到 {max} 之间的整数。",
    "autorent.bad_provider": "未知的服务商。可选：{names}。",
    "autorent.no_provider": "没有已配置的服务商接受这样的订单（时长或数量）。",
    "autorent.over_budget": (
        "一笔订单最多可能花费 {cost} TRX（数量 × 最高单价），超过每日预算 {budget} TRX。"
        "请提高预算，或降低数量或单价。"
    ),
    "autorent.amount_auto": "自动",
    "autorent.set": (
        "🤖 已为 <code>{address}</code> 开启自动租用：能量低于 {threshold} 时，向 {provider} "
        "下单 {amount} 能量、{duration}、最高 {price} SUN；每日（UTC）最多 {budget} TRX、"
        "{orders} 单，同时最多一笔未结订单。"
    ),
    "autorent.stopped": "⏹ 已关闭 <code>{address}</code> 的自动租用，仍在监控。",
    "autorent.stopped_short": "自动租用已关闭。",
    "autorent.button_stop": "⏹ 停止自动租用",
    "autorent.stop_hint": "关闭方法：/autorent T… off",
    "autorent.reason_unknown": "服务商拒绝了订单。",
    "autorent.stop_daily_budget": "今日预算 {budget} TRX 已用完。",
    "autorent.stop_daily_orders": "今日 {daily_orders} 单已下完。",
    "autorent.stop_provider_balance": "服务商余额不足以支付下一笔订单（需运营者充值）。",
    "autorent.stop_spend_limit": "运营者的消费限额拒绝了订单；将于 {resets} UTC 之后再试。",
    "autorent.stop_not_allowed": "你已无权使用此机器人下单。",
    "push.watch_low": "⚠️ <b>能量不足</b>",
    "push.watch_recovered": "✅ <b>能量已恢复</b>",
    "push.auto_rent": "🤖 <b>自动租用</b>",
    "push.auto_rent_stopped": "⏹ <b>自动租用已停止</b>",
    "watch.push_low": "<code>{address}</code> 可用能量 {available}，低于你设定的最低值 {threshold}。",
    "watch.push_recovered": "<code>{address}</code> 可用能量 {available}（最低 {threshold}）。",
    "autorent.push_placed": (
        "已为 <code>{address}</code> 下单 {amount} 能量（可用 {available}，最低 {threshold}）；"
        "提交 #{submission}。匹配后会通知你。预算：每日 {budget} TRX、{daily_orders} 单。"
    ),
    "autorent.push_failed": "未能为 <code>{address}</code> 下单：{reason} 暂停一段时间后，若能量仍不足会再试。",
    "autorent.push_unknown": (
        "已为 <code>{address}</code> 发送 {amount} 能量的订单，但结果尚不确定（提交 #{submission}）。"
        "按已下单计算，不会重复发送；找到后可在 /orders 查看。"
    ),
    "autorent.push_stopped": "<code>{address}</code>（可用能量 {available}）：{reason}",
    # quotes and the create line (appended)
    "summary.fetching": "⏳ 正在获取服务商报价…此消息会自动更新。",
    "summary.no_price": "⚠️ 暂时无法获取报价，请稍后重试。",
    "button.retry_quote": "🔄 重试",
    "submit.queued": (
        "⏳ 向 {provider} 的订单逐个提交。你排在第 {place} 位，预计等待约 {seconds} 秒。"
    ),
    "submit.not_sent": "机器人正在重启：未下任何订单。请发送 /new 重新下单。",
    "push.shared": "{count} 笔订单 · {provider} · 每笔 {amount} 能量",
    "push.order": "#{id} · <code>{receiver}</code>",
}
