"""The energy providers, one package each (see `registry.py`), behind one port.

`port.py` is what the services see: the `EnergyProvider` protocol and its value types,
in the bot's own terms; `errors.py` the typed failures, each with the bot's reason.
Nothing here knows Telegram or the storage.
"""
