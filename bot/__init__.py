"""Telegram bot that rents TRON energy from TronSave Fast Charge and Feee.io."""

__version__ = "0.1.0"
