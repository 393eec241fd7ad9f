"""The Telegram side: thin handlers, keyboards, button codec, the outbox dispatcher and the
poll job. Nothing outside this package imports it but the composition root."""
