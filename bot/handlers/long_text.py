"""Splitting long content over several Telegram messages (4,096 characters each)."""

from __future__ import annotations

from collections.abc import Sequence


def chunk_lines(lines: Sequence[str], *, header: str = "", limit: int = 4096) -> list[str]:
    """Join `lines` with newlines into as few texts as possible, each at most `limit`
    characters and each starting with `header` (if any). A line is split only when it
    alone does not fit. No lines and no header give no texts."""
    lead = f"{header}\n" if header else ""
    room = limit - len(lead)
    if room <= 0:
        raise ValueError("the header leaves no room under the limit")
    pieces: list[str] = []
    for line in lines:
        # Only a line longer than a whole message is cut, at the limit.
        pieces.extend(line[i : i + room] for i in range(0, max(len(line), 1), room))
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for piece in pieces:
        extra = len(piece) + (1 if current else 0)
        if current and size + extra > room:
            chunks.append(lead + "\n".join(current))
            current, size = [], 0
            extra = len(piece)
        current.append(piece)
        size += extra
    if current:
        chunks.append(lead + "\n".join(current))
    elif header and not chunks:
        chunks.append(header[:limit])
    return chunks
