"""Typed async HTTP clients for the energy providers. No Telegram code lives here."""
