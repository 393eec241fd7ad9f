"""Deposit addresses as QR codes a wallet can scan, drawn in memory as PNG.

The code holds the plain base58 TRON address and nothing else. TRON has no standard
payment URI (nothing like Bitcoin's BIP 21 that wallets agree on): TronLink, Trust
Wallet, imToken and exchanges' deposit pages all read and show a bare `T…` address,
while a `tron:` prefix or query parameters are refused or pasted verbatim by some of
them. So the bare address is what every wallet scans correctly.
"""

from __future__ import annotations

import io
from typing import Final

import segno

from bot.tron_address import is_valid_address

SCALE: Final = 10  # pixels per module: a 34-character address is a 29-module code, ~370 px
BORDER: Final = 4  # the quiet zone the QR standard asks for


def deposit_qr_png(address: str) -> bytes | None:
    """The address as a PNG QR code, or None if it is not a valid TRON address (the
    provider's text is not trusted: a code for a mangled address would lose funds)."""
    if not is_valid_address(address):
        return None
    # Medium error correction: still readable from a slightly blurred phone screenshot.
    code = segno.make(address, error="m", micro=False)
    out = io.BytesIO()
    code.save(out, kind="png", scale=SCALE, border=BORDER)
    return out.getvalue()
