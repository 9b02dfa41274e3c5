"""Text forms used to compare names across an LMS's files: NFC, case-folded, slugs."""

from __future__ import annotations

import unicodedata


def nfc(text: str) -> str:
    """``text`` in Unicode normal form C, stripped (macOS zips store names as NFD)."""
    return unicodedata.normalize("NFC", text).strip()


def fold(text: str) -> str:
    """Case-insensitive comparison form: NFC and case-folded."""
    return nfc(text).casefold()


def slug(text: str) -> str:
    """Letters and digits only, case-folded: ``'Müller, Jörg'`` -> ``'müllerjörg'``."""
    return "".join(ch for ch in fold(text) if ch.isalnum())


def ascii_slug(text: str) -> str:
    """:func:`slug` without accents: ``'Müller, Jörg'`` -> ``'mullerjorg'``."""
    decomposed = unicodedata.normalize("NFKD", slug(text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
