"""The book's sources follow the conventions every chapter edit must follow
(no build needed, so these run in a second):

- code cells hold lines of at most 80 characters (they fit the page at 1280 px);
- a cell that calls ``glue`` only glues, and hides its input (``hide-input``):
  readers see the numbers in the prose, not the plumbing;
- a cell that draws a figure hides its input and gives the figure a caption
  and a real alt text (``mystnb.figure.caption``, ``mystnb.image.alt``);
- every page of ``_toc.yml`` has a source with one title, and the assignments
  listed in the book are the course's assignments (``tools.paths``).

The pages are read from ``_toc.yml``, so new chapters are checked too.
"""

from __future__ import annotations

import ast
import re

import pytest
from book_helpers import BOOK, code_cells, split_options, toc_sources

from tools.paths import ASSIGNMENT_IDS

MAX_LINE = 80
HIDDEN = {"hide-input", "remove-input", "remove-cell"}
GLUE_FUNCTIONS = {"glue", "g"}  # the chapters' `g` is a formatting wrapper of glue
def called_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


def draws_a_figure(tree: ast.AST) -> bool:
    """Whether the cell makes a matplotlib figure (``*_figure(...)``, ``plt.*``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id.endswith("_figure"):
                return True
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == "plt"
            ):
                return True
    return False


def only_glues(tree: ast.Module) -> bool:
    """Every statement is a call of ``glue`` (or its wrapper ``g``)."""
    return all(
        isinstance(s, ast.Expr)
        and isinstance(s.value, ast.Call)
        and getattr(s.value.func, "id", None) in GLUE_FUNCTIONS
        for s in tree.body
    )


CELLS = code_cells()


def test_the_chapters_have_code_cells() -> None:
    assert len(CELLS) > 40


def test_code_lines_are_at_most_80_characters() -> None:
    long = [
        f"{c.where()} +{i}: {len(line)} characters"
        for c in CELLS
        for i, line in enumerate(c.code.splitlines(), start=1)
        if len(line) > MAX_LINE
    ]
    assert not long, "code lines longer than 80 characters:\n" + "\n".join(long)


def test_cells_parse() -> None:
    broken = []
    for cell in CELLS:
        try:
            ast.parse(cell.code)
        except SyntaxError as err:
            broken.append(f"{cell.where()}: {err}")
    assert not broken, "\n".join(broken)


def test_glue_calls_sit_in_hidden_glue_only_cells() -> None:
    problems = []
    for cell in CELLS:
        if "remove-cell" in cell.tags:
            continue  # setup cells (imports, the `g` helper) never reach the page
        tree = ast.parse(cell.code)
        if not called_names(tree) & GLUE_FUNCTIONS:
            continue
        if not only_glues(tree):
            problems.append(f"{cell.where()}: glue calls mixed with other code")
        elif not cell.tags & HIDDEN:
            problems.append(f"{cell.where()}: a glue-only cell without the hide-input tag")
    assert not problems, "\n".join(problems)


def test_figure_cells_hide_their_input_and_describe_the_figure() -> None:
    problems = []
    for cell in CELLS:
        if "remove-cell" in cell.tags or not draws_a_figure(ast.parse(cell.code)):
            continue
        if not cell.tags & HIDDEN:
            problems.append(f"{cell.where()}: a figure cell without the hide-input tag")
        mystnb = cell.metadata.get("mystnb", {})
        caption = (mystnb.get("figure") or {}).get("caption", "")
        alt = (mystnb.get("image") or {}).get("alt", "")
        if len(caption.split()) < 4:
            problems.append(f"{cell.where()}: no caption (mystnb.figure.caption)")
        if len(alt.split()) < 8 or re.search(r"\.(png|svg|jpe?g)\b", alt):
            problems.append(
                f"{cell.where()}: no real alt text (mystnb.image.alt, a sentence or more "
                "saying what the figure shows)"
            )
    assert not problems, "\n".join(problems)


def test_every_toc_page_has_one_title() -> None:
    for source in toc_sources():
        if source.suffix != ".md":
            continue
        text = source.read_text(encoding="utf-8")
        body = re.sub(r"```.*?```", "", text, flags=re.S)
        titles = re.findall(r"^# \S.*$", body, flags=re.M)
        assert len(titles) == 1, f"{source.relative_to(BOOK)} has titles {titles}"


def test_the_book_lists_every_assignment_and_no_other() -> None:
    assert ASSIGNMENT_IDS, "no assignment found under solutions/"
    listed = {p.stem for p in toc_sources() if p.parent == BOOK / "assignments"} - {"index"}
    assert listed == set(ASSIGNMENT_IDS), (
        f"_toc.yml lists assignment pages {sorted(listed)}, the course has {ASSIGNMENT_IDS}"
    )


@pytest.mark.parametrize(
    ("body", "options", "code"),
    [
        ("x = 1\n", {}, "x = 1\n"),
        (":tags: [hide-input]\nglue('a', 1)\n", {"tags": ["hide-input"]}, "glue('a', 1)\n"),
        (
            "---\nmystnb:\n  image:\n    alt: A plot\ntags: [hide-input]\n---\nf()\n",
            {"mystnb": {"image": {"alt": "A plot"}}, "tags": ["hide-input"]},
            "f()\n",
        ),
    ],
)
def test_cell_options_are_read_in_both_myst_spellings(body: str, options: dict, code: str) -> None:
    assert split_options(body) == (options, code)


def test_the_rules_catch_what_they_should() -> None:
    assert only_glues(ast.parse("glue('a', 1)\ng('b', 2)\n"))
    assert not only_glues(ast.parse("x = 2\nglue('a', x)\n"))
    assert draws_a_figure(ast.parse("fig = pooling_figure(x)\n"))
    assert draws_a_figure(ast.parse("fig, ax = plt.subplots()\n"))
    assert not draws_a_figure(ast.parse("print(figure_count)\n"))
