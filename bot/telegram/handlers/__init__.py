"""Thin python-telegram-bot callbacks: parse, authorise, call a service, reply."""
