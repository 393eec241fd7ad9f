"""Tools shared by the tests and the benchmark, not shipped with the bot (the wheel holds
`bot` only): the Telegram Bot API stand-ins and the launcher of `python -m bot`.

They live outside `tests/` so that `benchmarks/` can use them without importing the test
suite; `tests/support` re-exports the stand-ins under their old names.
"""
