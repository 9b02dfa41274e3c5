"""Every notebook chapter of the book runs cleanly under nbval (``pytest --nbval-lax``).

The chapters are MyST Markdown notebooks; jupytext turns each into an
``.ipynb`` in a temporary folder, and a child pytest runs nbval on them with
the repository root on the kernel's path. Running them
here, before the site tests build the book, makes a failing chapter show up
early and with nbval's cell-level report.
"""

from __future__ import annotations

import os
from pathlib import Path

import jupytext
import pytest
import yaml
from book_helpers import BOOK, ROOT
from nbval_run import run_nbval


def chapter_notebooks() -> list[Path]:
    """The TOC's pages that are notebooks (MyST Markdown with a kernelspec)."""
    toc = yaml.safe_load((BOOK / "_toc.yml").read_text())
    files = [toc["root"]]
    for chapter in toc["chapters"]:
        files.append(chapter["file"])
        files += [s["file"] for s in chapter.get("sections", [])]
    pages = [BOOK / f"{name}.md" for name in files]
    return [p for p in pages if _is_notebook(p.read_text())]


def _is_notebook(text: str) -> bool:
    """MyST notebooks open with YAML front matter that names a kernel."""
    parts = text.split("---", 2)
    return text.startswith("---") and len(parts) == 3 and "kernelspec:" in parts[1]


def test_eight_chapters_are_notebooks() -> None:
    names = [p.stem for p in chapter_notebooks()]
    assert names == [
        "01_overview",
        "02_conv_layer",
        "03_pooling",
        "04_norm_fc",
        "05_fc_to_conv",
        "06_architectures",
        "07_computation",
        "08_convnet_at_work",
    ]


def test_chapters_run_under_nbval(tmp_path: Path) -> None:
    notebooks = []
    for chapter in chapter_notebooks():
        nb = jupytext.read(chapter)
        target = tmp_path / f"{chapter.stem}.ipynb"
        jupytext.write(nb, target)
        notebooks.append(target)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    result = run_nbval(notebooks, tmp_path, env, extra=["--rootdir", str(tmp_path)])
    report = result.stdout + result.stderr
    if result.returncode != 0:
        pytest.fail(f"a chapter failed under nbval:\n{report[-8000:]}")
    # nbval collects one item per code cell: make sure cells really ran.
    assert " passed" in report and "no tests ran" not in report, report[-2000:]
