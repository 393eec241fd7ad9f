"""chunk_lines: every chunk fits, lines stay whole, HTML stays valid in every chunk."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from telegram.error import BadRequest

from bot.telegram.long_text import chunk_lines, plain, split_text, utf16_len
from bot.telegram.outbox import backoff, fixable


class _Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.ok = True

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.ok = False


def balanced(chunk: str) -> bool:
    parser = _Balance()
    parser.feed(chunk)
    parser.close()
    # a cut entity would leave a bare "&" followed by a partial name
    whole_entities = not re.search(
        r"&#?\w*(?![\w;])", chunk.replace("&amp;", "").replace("&lt;", "")
    )
    return parser.ok and not parser.stack and whole_entities


def test_short_lines_make_one_chunk() -> None:
    assert chunk_lines(["a", "b"], header="<b>H</b>") == ["<b>H</b>\na\nb"]


def test_chunks_fit_and_keep_lines_whole_with_header_on_each() -> None:
    lines = [f"#{i} · <code>T{'x' * 33}</code> · 65,000 · ⚡ active" for i in range(300)]
    chunks = chunk_lines(lines, header="<b>Orders</b>", limit=4096)
    assert len(chunks) > 1
    seen: list[str] = []
    for chunk in chunks:
        assert utf16_len(chunk) <= 4096
        assert chunk.startswith("<b>Orders</b>\n")
        assert balanced(chunk)
        seen += chunk.split("\n")[1:]
    assert seen == lines  # nothing lost, nothing cut, order kept


def test_emoji_count_as_two_utf16_units() -> None:
    lines = ["⚡😀" * 10] * 50  # 😀 is outside the BMP
    chunks = chunk_lines(lines, limit=100)
    assert all(utf16_len(c) <= 100 for c in chunks)
    assert max(len(c) for c in chunks) < 100  # code points alone would have overfilled


def test_a_too_long_line_is_cut_outside_tags_and_entities() -> None:
    line = "<b>" + "&amp;<i>x</i>" * 600 + "</b>"
    chunks = chunk_lines([line], header="head", limit=500)
    assert len(chunks) > 1
    for chunk in chunks:
        assert utf16_len(chunk) <= 500
        assert chunk.startswith("head\n")
        assert balanced(chunk), chunk
    assert "".join(plain(c).removeprefix("head\n") for c in chunks) == plain(line)


def test_tags_open_across_lines_are_closed_and_reopened() -> None:
    lines = ["<pre>", *[f"line {i}" for i in range(200)], "</pre>"]
    chunks = chunk_lines(lines, limit=300)
    assert len(chunks) > 1
    assert all(balanced(c) and utf16_len(c) <= 300 for c in chunks)


def test_header_too_long_is_an_error() -> None:
    with pytest.raises(ValueError, match="header"):
        chunk_lines(["x"], header="h" * 20, limit=10)


def test_split_text_splits_between_lines() -> None:
    text = "\n".join(["y" * 100] * 100)
    chunks = split_text(text, limit=1000)
    assert all(utf16_len(c) <= 1000 for c in chunks)
    assert "\n".join(chunks) == text


def test_backoff_grows_and_is_bounded() -> None:
    delays = [backoff(n) for n in range(1, 12)]
    assert delays == sorted(delays)
    assert delays[0] == 15.0
    assert delays[-1] == 1800.0


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Message is too long", True),
        ("Can't parse entities: unsupported start tag", True),
        ("Reply markup is too long", True),
        ("Button_data_invalid", True),
        ("Chat not found", False),
        ("Message text is empty", False),
    ],
)
def test_which_refusals_a_simpler_rendering_can_cure(message: str, expected: bool) -> None:
    assert fixable(BadRequest(message)) is expected
