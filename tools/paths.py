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



def find_assignment_ids(source: Path = SOURCE) -> tuple[str, ...]:
    """The course's assignments: the folders of ``solutions/`` (nbgrader's source
    directory) that hold a notebook of their own name, ``<id>/<id>.ipynb``.

    This is the one list of assignments: the site builds a bundle and a page
    part for each, and the tests check that the book has a page for each and
    lists it in ``_toc.yml``.
    """
    if not source.is_dir():
        return ()
    return tuple(
        sorted(p.name for p in source.iterdir() if (p / f"{p.name}.ipynb").is_file())
    )


ASSIGNMENT_IDS = find_assignment_ids()
