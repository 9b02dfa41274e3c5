"""Find solution code, hidden tests and nbgrader markers in what students receive.

What counts as secret:

- nbgrader's region markers (solution, hidden tests, mark scheme);
- every line of the instructor notebooks (``solutions/``) that lies inside a
  solution or hidden-tests region, or in a solution cell without markers
  (nbgrader replaces such a cell whole);
- the code of the reference package ``convref``, which solves the assignments.

Short lines (``return out``) are too common to mean anything and are skipped;
whitespace is collapsed before comparing, and HTML is reduced to its text first,
so syntax highlighting cannot hide a match.
"""

from __future__ import annotations

import ast
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

MARKERS = (
    "BEGIN SOLUTION",
    "END SOLUTION",
    "BEGIN HIDDEN TESTS",
    "END HIDDEN TESTS",
    "BEGIN MARK SCHEME",
    "END MARK SCHEME",
)
MIN_SECRET_LENGTH = 28
TEXT_SUFFIXES = {".html", ".htm", ".js", ".txt", ".json", ".ipynb", ".md", ".py", ".css", ".xml"}
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Finding:
    """One leak: ``where`` (a file, or ``zip!member``) holds ``what``."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what!r}"


def normalize(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _secret_regions(source: str) -> Iterator[str]:
    inside = False
    for line in source.splitlines():
        if "BEGIN SOLUTION" in line or "BEGIN HIDDEN TESTS" in line or "BEGIN MARK SCHEME" in line:
            inside = True
        elif "END SOLUTION" in line or "END HIDDEN TESTS" in line or "END MARK SCHEME" in line:
            inside = False
        elif inside:
            yield line


def notebook_secrets(path: Path) -> set[str]:
    """Secret lines of one instructor notebook."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    secrets: set[str] = set()
    for cell in nb.get("cells", []):
        source = _cell_source(cell)
        meta = cell.get("metadata", {}).get("nbgrader", {})
        has_markers = any(m in source for m in MARKERS)
        lines = (
            _secret_regions(source)
            if has_markers
            else (source.splitlines() if meta.get("solution") else ())
        )
        secrets.update(normalize(line) for line in lines)
    return {s for s in secrets if len(s) >= MIN_SECRET_LENGTH}


def reference_secrets(package_dir: Path) -> set[str]:
    """Code lines of every function body in the reference package (docstrings excluded)."""
    secrets: set[str] = set()
    for path in sorted(package_dir.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(getattr(body[0], "value", None), ast.Constant)
            ):
                body = body[1:]  # the docstring is documentation, not a solution
            for stmt in body:
                for line in lines[stmt.lineno - 1 : stmt.end_lineno]:
                    code = normalize(line.split("#", 1)[0])
                    if len(code) >= MIN_SECRET_LENGTH:
                        secrets.add(code)
    return secrets


def all_secrets(solutions_dir: Path, reference_dir: Path) -> set[str]:
    """Secret lines of every instructor notebook under ``solutions_dir`` and of ``convref``."""
    secrets = reference_secrets(reference_dir) if reference_dir.is_dir() else set()
    for path in sorted(solutions_dir.rglob("*.ipynb")):
        if ".ipynb_checkpoints" not in path.parts:
            secrets |= notebook_secrets(path)
    return secrets


_BLOCK_TAGS = {
    "p",
    "div",
    "pre",
    "li",
    "tr",
    "td",
    "th",
    "br",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "table",
    "ul",
    "ol",
    "script",
    "style",
    "title",
}


class _TextOnly(HTMLParser):
    """The text of an HTML page as a browser lays it out: inline tags (the spans of
    syntax highlighting) join their text, block tags break lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def readable_text(name: str, raw: bytes) -> str:
    """What a reader could see in a file: HTML reduced to text, notebooks to their cells."""
    text = raw.decode("utf-8", errors="replace")
    suffix = Path(name).suffix.lower()
    if suffix in {".html", ".htm"}:
        parser = _TextOnly()
        parser.feed(text)
        # Keep the raw text too: markers inside attributes or comments count.
        return "".join(parser.parts) + "\n" + unescape(text)
    if suffix == ".ipynb":
        try:
            nb = json.loads(text)
        except json.JSONDecodeError:
            return text
        return "\n".join(_cell_source(c) for c in nb.get("cells", [])) + "\n" + text
    return text


def scan_text(where: str, text: str, secrets: Iterable[str]) -> list[Finding]:
    """Markers and secret lines found in ``text``."""
    found = [Finding(where, m) for m in MARKERS if m in text]
    flat = normalize(text)
    found += [Finding(where, s) for s in secrets if s in flat]
    return found


def scan_tree(root: Path, secrets: Iterable[str], skip: Iterable[Path] = ()) -> list[Finding]:
    """Scan every text file under ``root`` (and every zip, member by member)."""
    secrets = list(secrets)
    skipped = [p.resolve() for p in skip]
    found: list[Finding] = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or any(path.resolve().is_relative_to(s) for s in skipped):
            continue
        if path.suffix == ".zip":
            found += scan_zip(path, secrets)
        elif path.suffix.lower() in TEXT_SUFFIXES:
            found += scan_text(str(path), readable_text(path.name, path.read_bytes()), secrets)
    return found


def scan_zip(path: Path, secrets: Iterable[str]) -> list[Finding]:
    """Scan every member of a zip; a member named after the reference package is a finding."""
    secrets = list(secrets)
    found: list[Finding] = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            where = f"{path}!{name}"
            if "convref" in Path(name).parts:
                found.append(Finding(where, "the reference package convref"))
            if Path(name).suffix.lower() in TEXT_SUFFIXES:
                text = readable_text(name, archive.read(name))
                found += scan_text(where, text, secrets)
    return found
