"""Schema migrations, applied in order; `PRAGMA user_version` records the last one run."""

from __future__ import annotations

import aiosqlite

MIGRATIONS: tuple[str, ...] = (
    # 1: submissions, orders, the notification outbox, chats and users.
    """
    CREATE TABLE submissions (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        provider TEXT NOT NULL,
        key_id TEXT NOT NULL,
        amount INTEGER NOT NULL,
        duration_sec INTEGER NOT NULL,
        max_price INTEGER NOT NULL,
        deadline_sec INTEGER NOT NULL,
        receivers TEXT NOT NULL,
        state TEXT NOT NULL,
        error_code TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX submissions_state ON submissions (state);

    CREATE TABLE orders (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions (id),
        provider TEXT NOT NULL,
        key_id TEXT NOT NULL,
        provider_order_id TEXT NOT NULL,
        chat_id INTEGER NOT NULL,
        receiver TEXT,
        amount INTEGER NOT NULL,
        duration_sec INTEGER NOT NULL,
        state TEXT NOT NULL,
        raw_status TEXT,
        created_at REAL NOT NULL,
        deadline_at REAL,
        matched_at REAL,
        ends_at REAL,
        closed_at REAL,
        charge_sun INTEGER,
        refund_sun INTEGER,
        delivered_amount INTEGER,
        delegate_txid TEXT,
        fail_reason TEXT,
        provider_created_at REAL,
        UNIQUE (provider, provider_order_id)
    );
    CREATE INDEX orders_open ON orders (provider, key_id, state);
    CREATE INDEX orders_chat ON orders (chat_id, id DESC);
    CREATE INDEX orders_submission ON orders (submission_id);

    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at REAL NOT NULL,
        sent_at REAL,
        dropped TEXT
    );
    CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL AND dropped IS NULL;

    CREATE TABLE chats (
        chat_id INTEGER PRIMARY KEY,
        blocked_at REAL
    );

    CREATE TABLE users (
        user_id INTEGER PRIMARY KEY,
        lang TEXT
    );
    """,
    # 2: PTB persistence (conversation state and per-user/chat wizard data) as JSON.
    """
    CREATE TABLE ptb_conversations (
        name TEXT NOT NULL,
        conv_key TEXT NOT NULL,
        state TEXT NOT NULL,
        PRIMARY KEY (name, conv_key)
    );
    CREATE TABLE ptb_data (
        kind TEXT NOT NULL,
        owner_id INTEGER NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (kind, owner_id)
    );
    """,
    # Per-order tracking health: consecutive unreadable answers, the slower pace an order
    # is asked about once reported, and which one-off notices went out.
    """
    CREATE TABLE order_watch (
        order_id INTEGER PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
        failures INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        next_poll_at REAL,
        unreadable_reported_at REAL,
        key_missing_reported_at REAL
    );
    """,
    # Outbox retries: bounded attempts with a next-try time; a long push's parts as first
    # rendered, how many were sent and at which rendering level; parked notices keep a
    # failure time. Chats upgraded to supergroups remember their new id.
    """
    ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN next_try_at REAL;
    ALTER TABLE outbox ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN render_level INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN parts TEXT;
    ALTER TABLE outbox ADD COLUMN failed_at REAL;
    ALTER TABLE chats ADD COLUMN migrated_to INTEGER;
    """,
    # Per-receiver progress of a submission, written as it happens (a row is written
    # before its create request goes out), so a crash half-way loses nothing: no row =
    # never sent, "sending" = sent without a known outcome.
    """
    CREATE TABLE submission_receivers (
        submission_id INTEGER NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        receiver TEXT NOT NULL,
        outcome TEXT NOT NULL,
        provider_order_id TEXT,
        error_code TEXT,
        error_detail TEXT,
        updated_at REAL NOT NULL,
        PRIMARY KEY (submission_id, position)
    );
    """,
    # When a submission's create request went out and by when it could have acted, and
    # the provider's clock offset then: what a lost answer is reconciled against.
    """
    ALTER TABLE submissions ADD COLUMN sent_at REAL;
    ALTER TABLE submissions ADD COLUMN answer_by REAL;
    ALTER TABLE submissions ADD COLUMN offset_low REAL;
    ALTER TABLE submissions ADD COLUMN offset_high REAL;
    """,
    # orders.fail_reason was never written: a refused Confirm or Cancel leaves the order
    # as it was and shows the provider's reason in its reply only.
    """
    ALTER TABLE orders DROP COLUMN fail_reason;
    """,
    # Operator alerts: the last state seen of each watched condition (e.g. a provider's
    # balance low or ok), so each crossing is alerted once, across restarts too.
    """
    CREATE TABLE operator_alerts (
        key TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        updated_at REAL NOT NULL
    );
    """,
    # Per-user daily spend limits set by an admin (NULL limit: no limit for that user),
    # and the spend-limit lookup of a user's submissions of the day.
    """
    CREATE TABLE spend_limit_overrides (
        user_id INTEGER PRIMARY KEY,
        daily_limit_sun INTEGER,
        set_at REAL NOT NULL
    );
    CREATE INDEX submissions_user_day ON submissions (user_id, created_at);
    """,
    # Access granted or withdrawn by admins in chat (beside ALLOWED_USER_IDS; a stored
    # entry wins over it), and every admin action, for /audit.
    """
    CREATE TABLE access_grants (
        user_id INTEGER PRIMARY KEY,
        allowed INTEGER NOT NULL,
        set_by INTEGER NOT NULL,
        set_at REAL NOT NULL
    );
    CREATE TABLE admin_audit (
        id INTEGER PRIMARY KEY,
        admin_id INTEGER NOT NULL,
        action TEXT NOT NULL,
        target_id INTEGER,
        detail TEXT,
        at REAL NOT NULL
    );
    """,
    # The operator's daily summary reads one UTC day's orders by creation time.
    """
    CREATE INDEX orders_created ON orders (created_at);
    """,
    # Watched addresses (/watch): per chat and user, the alert state last told, and the
    # opt-in auto-rent plan and its daily ledger (JSON, read by bot.services.watch_book).
    """
    CREATE TABLE watched_addresses (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        address TEXT NOT NULL,
        threshold INTEGER NOT NULL,
        lang TEXT,
        alert_state TEXT NOT NULL DEFAULT 'unknown',
        plan TEXT,
        ledger TEXT,
        created_at REAL NOT NULL,
        UNIQUE (chat_id, user_id, address)
    );
    CREATE INDEX watched_addresses_user ON watched_addresses (user_id);
    """,
    # After the match: each user's settings (automatic confirmation on unless turned
    # off), a submission's own choice from its summary, and per order the automatic
    # confirmation claimed before its call (never made twice, across restarts too), how
    # it ended with the energy left and burn price read for it (the saving shown), and
    # the rental-ending notice sent once.
    """
    CREATE TABLE user_settings (
        user_id INTEGER PRIMARY KEY,
        auto_confirm INTEGER NOT NULL DEFAULT 1,
        updated_at REAL NOT NULL
    );
    CREATE TABLE submission_auto_confirm (
        submission_id INTEGER PRIMARY KEY REFERENCES submissions (id) ON DELETE CASCADE,
        enabled INTEGER NOT NULL
    );
    CREATE TABLE order_after_match (
        order_id INTEGER PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
        confirm_claimed_at REAL,
        confirm_outcome TEXT,
        energy_left INTEGER,
        energy_fee INTEGER,
        ending_reported_at REAL
    );
    """,
    # The transfer a submission was sized for (its payee and the energy of one), read by
    # automatic confirmation; NULL when not sized, as every older submission reads.
    """
    ALTER TABLE submissions ADD COLUMN payee TEXT;
    ALTER TABLE submissions ADD COLUMN transfer_energy INTEGER;
    """,
)


async def migrate(db: aiosqlite.Connection) -> int:
    """Bring the schema up to date; returns the version now in force."""
    async with db.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    version = int(row[0]) if row else 0
    if version > len(MIGRATIONS):
        raise RuntimeError(
            f"database schema version {version} is newer than this bot ({len(MIGRATIONS)})"
        )
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        # executescript commits first; wrap each step so a failure leaves no half schema.
        await db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    return len(MIGRATIONS)
