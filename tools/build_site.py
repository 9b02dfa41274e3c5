"""Build the course website into ``book/_build/html``: what ``make site`` runs.

Steps:

1. copy MathJax from its wheel into ``book/assets/mathjax/`` (see :mod:`tools.mathjax`);
2. zip every released assignment into ``book/_generated/bundles/`` and write
   the generated part of its page (see :mod:`tools.bundles`,
   :mod:`tools.assignment_pages`);
3. ``jupyter-book build book --warningiserror --nitpick``: chapters execute
   through the Jupyter cache, so only changed chapters run again. The cache
   only sees a chapter's own text, so when the code the chapters run changes
   (``src/convref``, ``src/booklib``) the cache is dropped and every chapter
   runs again: published outputs cannot drift from the code;
   When the site's own extension, templates or assets (``book/_ext``,
   ``book/_templates``, ``book/assets``) change, every page is written again
   (chapters still come from the cache);
4. check that nothing in the built site or the bundles carries nbgrader's
   solution or hidden-test markers. (Source maps of the themes are left out
   of the site by ``book/_ext/course_site.py``.)

Builds take a lock on ``book/_build`` so two at once (two test runs, say)
wait for each other instead of writing the same files.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tools.assignment_pages import write_fragment
from tools.bundles import build_bundle
from tools.mathjax import vendor_mathjax
from tools.paths import (
    ASSIGNMENT_IDS,
    BOOK,
    BOOK_LIB,
    BUILD,
    BUNDLES,
    HTML,
    MATHJAX_TARGET,
    REFERENCE,
    RELEASE,
    STUDENT_KIT,
)
from tools.solution_scan import MARKERS, scan_tree


@contextmanager
def build_lock(build_dir: Path = BUILD) -> Iterator[None]:
    """Hold an exclusive lock on ``build_dir`` for the duration of the block."""
    build_dir.mkdir(parents=True, exist_ok=True)
    with open(build_dir / ".build.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prepare_sources(release_root: Path = RELEASE) -> list[Path]:
    """Vendor MathJax, build the bundles and the generated page parts; return the bundles."""
    vendor_mathjax(MATHJAX_TARGET)
    bundles = []
    for assignment_id in ASSIGNMENT_IDS:
        bundle = build_bundle(assignment_id, release_root, BUNDLES)
        write_fragment(assignment_id, bundle, release_root)
        if bundle is not None:
            bundles.append(bundle)
    return bundles


CODE_DIRS = (REFERENCE, STUDENT_KIT, BOOK_LIB)
CODE_STAMP_NAME = ".chapter-code.sha256"
# The site's own Sphinx extension, templates and assets (CSS, script): Sphinx
# does not notice when they change (a template is only compared by date, and a
# build with no changed page copies no static file), so a change re-renders
# every page, without running the chapters again.
SITE_DIRS = (BOOK / "_ext", BOOK / "_templates", BOOK / "assets")
SITE_STAMP_NAME = ".site-machinery.sha256"


# Widgets inline their JS, CSS and HTML; chapter 8 reads the committed weights.
CODE_SUFFIXES = frozenset({".py", ".js", ".css", ".html", ".npz"})


def code_fingerprint(
    dirs: tuple[Path, ...] = CODE_DIRS, suffixes: frozenset[str] | None = CODE_SUFFIXES
) -> str:
    """A hash of every file with one of ``suffixes`` (``None``: every file) under
    ``dirs``; by default every file the chapters import or inline (convref,
    convkit, booklib)."""
    digest = hashlib.sha256()
    for folder in dirs:
        for path in sorted(folder.rglob("*")):
            if suffixes is not None and path.suffix not in suffixes:
                continue
            if "__pycache__" in path.parts or MATHJAX_TARGET in path.parents:
                continue  # (MathJax is a pinned copy, vendored by the build itself)
            if not path.is_file():
                continue
            digest.update(path.relative_to(folder.parent).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def drop_stale_outputs(fingerprint: str, build_dir: Path = BUILD) -> bool:
    """Forget cached chapter outputs unless they were made with the code of ``fingerprint``.

    Returns whether they were dropped. The new fingerprint is only recorded by
    :func:`record_fingerprint` once a build has succeeded.
    """
    stamp = build_dir / CODE_STAMP_NAME
    if stamp.is_file() and stamp.read_text() == fingerprint:
        return False
    for stale in (build_dir / ".jupyter_cache", build_dir / ".doctrees"):
        shutil.rmtree(stale, ignore_errors=True)
    return True


def record_fingerprint(fingerprint: str, build_dir: Path = BUILD,
                       name: str = CODE_STAMP_NAME) -> None:
    build_dir.mkdir(parents=True, exist_ok=True)
    (build_dir / name).write_text(fingerprint)


def site_machinery_changed(fingerprint: str, build_dir: Path = BUILD) -> bool:
    """Whether the site's extension or templates differ from the last successful build's."""
    stamp = build_dir / SITE_STAMP_NAME
    return not (stamp.is_file() and stamp.read_text() == fingerprint)


def jupyter_book_command(book: Path = BOOK, rebuild_all: bool = False) -> list[str]:
    """The ``jupyter-book build`` call, with warnings as errors and nitpicky references."""
    script = Path(sys.executable).with_name("jupyter-book")
    runner = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "from jupyter_book.cli.main import main; main()"]
    )
    extra = ["--all"] if rebuild_all else []
    return [*runner, "build", str(book), "--warningiserror", "--nitpick", "--quiet", *extra]


def run_jupyter_book(book: Path = BOOK, rebuild_all: bool = False) -> None:
    """Run the build; raise ``RuntimeError`` (with the build's exit code) if it fails."""
    # The chapters' helpers (src/booklib) are installed with the project. The
    # chapters draw through the kernel's inline backend: an inherited MPLBACKEND
    # (Agg, say) would silently drop every matplotlib figure from the pages.
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    result = subprocess.run(jupyter_book_command(book, rebuild_all), env=env, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"jupyter-book build failed (exit {result.returncode}); the messages above name "
            "the warning or the failing chapter cell"
        )


def check_no_markers(html: Path = HTML) -> None:
    """Raise ``RuntimeError`` if the site (its pages, sources and download zips)
    carries an nbgrader marker."""
    findings = scan_tree(html, secrets=(), skip=[html / "_static" / "mathjax"])
    if findings:
        listed = "\n  ".join(str(f) for f in findings[:20])
        raise RuntimeError(f"the built site leaks nbgrader markers {MARKERS}:\n  {listed}")


def build(release_root: Path = RELEASE) -> Path:
    """Build the whole site; return the path of its ``index.html``."""
    with build_lock():
        prepare_sources(release_root)
        fingerprint = code_fingerprint()
        code_changed = drop_stale_outputs(fingerprint)
        if code_changed:
            print("The chapters' code changed (or first build): every chapter runs again.")
        site = code_fingerprint(SITE_DIRS, suffixes=None)
        site_changed = site_machinery_changed(site)
        run_jupyter_book(rebuild_all=code_changed or site_changed)
        check_no_markers()
        record_fingerprint(fingerprint)
        record_fingerprint(site, name=SITE_STAMP_NAME)
    return HTML / "index.html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    start = time.perf_counter()
    try:
        index = build()
    except RuntimeError as err:
        print(f"make site: {err}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - start
    print(f"\nThe site is built ({seconds:.1f} s): {index.parent}")
    print(f"Open {index} in a browser, or serve it with `.venv/bin/python -m tools.serve`.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
