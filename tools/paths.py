"""Where things are: the repository layout the site tools rely on."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
BUILD = BOOK / "_build"
HTML = BUILD / "html"
GENERATED = BOOK / "_generated"
BUNDLES = GENERATED / "bundles"
ASSIGNMENT_FRAGMENTS = GENERATED / "assignments"
MATHJAX_TARGET = BOOK / "assets" / "mathjax"
RELEASE = ROOT / "assignments"
SOURCE = ROOT / "solutions"
STUDENT_KIT = ROOT / "src" / "convkit"
REFERENCE = ROOT / "src" / "convref"
BOOK_LIB = ROOT / "src" / "booklib"

# The assignments the book has a page for (book/assignments/<id>.md).
ASSIGNMENT_IDS = ("ps1_convolution", "ps2_pooling", "ps3_fc_to_conv")
