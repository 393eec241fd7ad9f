"""Test doubles shared by the integration and end-to-end tests (fake Telegram Bot API)."""
