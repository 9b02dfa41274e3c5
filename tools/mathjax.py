"""Copy MathJax 3 into the book so that pages render math with no internet.

Decision: MathJax comes from PyPI, from the ``django-static-mathjax`` wheel
(a dev dependency), which ships the npm ``mathjax`` package's ``es5/`` build
unchanged (3.2.2 as of writing) with its Apache-2.0 licence. That keeps minified
third-party JavaScript out of git and needs no node/npm on the building machine.
Only the files a page can ask for are copied: the ``tex-chtml`` bundle, the
TeX extensions it may autoload, the CommonHTML web fonts, the menu and
accessibility components it loads lazily, and the licence.

The target folder is ``book/assets/mathjax/``: ``assets/`` is an
``html_static_path`` entry that is *not* called ``_static``, because Jupyter
Book turns every ``.js`` file under a book's ``_static/`` into a ``<script>``
tag on every page.
"""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path

from tools.paths import MATHJAX_TARGET

# Paths inside the package's es5/ folder; folders are copied recursively.
NEEDED = (
    "tex-chtml.js",
    "input/tex/extensions",
    "output/chtml/fonts/woff-v2",
    "ui",
    "a11y",
)


def mathjax_source() -> Path:
    """The ``es5/`` folder of the installed MathJax wheel.

    Raises
    ------
    RuntimeError
        If the ``django-static-mathjax`` wheel is not installed.
    """
    try:
        import mathjax  # the import name of django-static-mathjax
    except ImportError:
        raise RuntimeError(
            "MathJax is missing: install the dev dependencies (`make site` does), "
            "or `pip install 'django-static-mathjax>=3.2.2,<4'`"
        ) from None
    root = Path(mathjax.__file__).parent / "static" / "mathjax"
    if not (root / "es5" / "tex-chtml.js").is_file():
        raise RuntimeError(f"no MathJax es5 build under {root}; reinstall django-static-mathjax")
    return root


def vendor_mathjax(target: Path = MATHJAX_TARGET) -> Path:
    """Copy the needed MathJax files into ``target``; return the path of its entry script.

    Files that are already identical are left alone, so their modification
    times (and with them Sphinx's incremental build) stay untouched.
    """
    source = mathjax_source()
    es5 = source / "es5"
    for relative in NEEDED:
        origin = es5 / relative
        files = (
            [origin] if origin.is_file() else sorted(p for p in origin.rglob("*") if p.is_file())
        )
        for path in files:
            _copy_if_changed(path, target / path.relative_to(es5))
    _copy_if_changed(source / "LICENSE", target / "LICENSE")
    return target / "tex-chtml.js"


def _copy_if_changed(src: Path, dst: Path) -> None:
    if dst.is_file() and filecmp.cmp(src, dst, shallow=False):
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
