"""Plumbing every client of an outside HTTP API shares: the provider clients and the TRON
node client alike. It knows no API in particular, so `bot.providers` and `bot.chain`
both build on it without importing each other."""
