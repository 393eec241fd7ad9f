"""Fitting HTML text into Telegram's message limit.

Telegram refuses a message whose text, after its HTML entities are parsed, is longer
than 4,096 UTF-16 code units. We count the UTF-16 code units of the HTML *source*
(tags and `&amp;`-style entities included): that is never less than what Telegram
counts, so a chunk that fits here fits there, at the price of splitting a little early.

Chunks break between lines. A line too long on its own is cut, but never inside a tag or
an entity; a tag still open at a cut (across lines too) is closed at the end of the chunk
and opened again at the start of the next, so every chunk is valid HTML by itself.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Final

TELEGRAM_LIMIT: Final = 4096
# A tag or an entity is one token; any other character is a token of its own.
_TOKEN = re.compile(r"<[^<>]*>|&#?\w+;|[\s\S]")
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^<>]*?(/?)>")


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: astral characters (most emoji) count twice."""
    return len(text.encode("utf-16-le")) // 2


def plain(text: str) -> str:
    """The text a reader sees: tags removed, entities decoded (for parse_mode=None)."""
    return html.unescape(re.sub(r"<[^<>]*>", "", text))


class _Chunker:
    def __init__(self, header: str, limit: int) -> None:
        self.header = header
        self.limit = limit
        self.chunks: list[str] = []
        self.open: list[tuple[str, str]] = []  # (name, opening tag as written)
        self.parts: list[str] = []
        self.size = 0
        self.fresh = True  # nothing but header/reopened tags in the current chunk
        self._start()

    def _closing(self) -> str:
        return "".join(f"</{name}>" for name, _ in reversed(self.open))

    def _start(self) -> None:
        start = [self.header] if self.header else []
        start += [tag for _, tag in self.open]
        self.parts = start
        self.size = sum(utf16_len(p) for p in start)
        self.fresh = True

    def flush(self) -> None:
        if not self.fresh:
            self.chunks.append("".join(self.parts) + self._closing())
        self._start()

    def room(self) -> int:
        return self.limit - self.size - utf16_len(self._closing())

    def _track(self, token: str) -> None:
        self._track_tag(_TAG.fullmatch(token))

    def _track_tag(self, match: re.Match[str] | None) -> None:
        if match is None or match[3]:  # text, entity or self-closing tag
            return
        name = match[2].lower()
        if not match[1]:
            self.open.append((name, match[0]))
        elif self.open and self.open[-1][0] == name:
            self.open.pop()

    def _add(self, token: str) -> None:
        self.parts.append(token)
        self.size += utf16_len(token)
        self._track(token)
        self.fresh = False

    def _cost(self, text: str) -> int:
        """Room `text` needs here, counting closing tags of tags it leaves open."""
        probe = list(self.open)
        for token in _TAG.finditer(text):
            if token[3]:
                continue
            if not token[1]:
                probe.append((token[2].lower(), token[0]))
            elif probe and probe[-1][0] == token[2].lower():
                probe.pop()
        extra = sum(len(name) + 3 for name, _ in probe) - utf16_len(self._closing())
        return utf16_len(text) + extra

    def line(self, line: str) -> None:
        sep = "" if self.fresh else "\n"
        text = sep + line
        if self._cost(text) <= self.room():
            # A whole line is one part: only its tags need tracking (a tag never holds a
            # `<`, so these are the tags the token-by-token cut would see).
            self.parts.append(text)
            self.size += utf16_len(text)
            for match in _TAG.finditer(text):
                self._track_tag(match)
            self.fresh = False
            return
        if not self.fresh:
            self.flush()
            if self._cost(line) <= self.room():
                self.line(line)
                return
        self._cut(line)

    def _cut(self, line: str) -> None:
        """A line longer than a whole chunk: fill chunks token by token."""
        for token in _TOKEN.findall(line):
            if self._cost(token) > self.room():
                if self.fresh:
                    raise ValueError("limit too small for the header and one character")
                self.flush()
            self._add(token)


def chunk_lines(
    lines: Sequence[str], *, header: str = "", limit: int = TELEGRAM_LIMIT
) -> list[str]:
    """Join `lines` with newlines into as few chunks as fit `limit`; each chunk starts
    with `header` (its own line). Lines are whole unless one alone does not fit."""
    if header:
        header += "\n"
    if utf16_len(header) >= limit:
        raise ValueError("the header alone does not fit the limit")
    chunker = _Chunker(header, limit)
    for line in lines:
        chunker.line(line)
    chunker.flush()
    if not chunker.chunks and header:
        return [header.rstrip("\n")]
    return chunker.chunks


def split_text(text: str, *, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """A rendered message as one or more chunks, split between its lines."""
    return chunk_lines(text.split("\n"), limit=limit)
