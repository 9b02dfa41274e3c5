"""Shared by the book's tests: build the site once per test session, find Chromium."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest
import yaml

from tools.paths import BOOK, HTML, ROOT
from tools.serve import serving


def _entries(entries: list[dict] | None):
    for entry in entries or []:
        if "file" in entry:
            yield entry["file"], entry
        for key in ("sections", "chapters", "parts"):
            yield from _entries(entry.get(key))


def toc_files() -> list[str]:
    """Every page of ``_toc.yml`` (chapters, sections, parts) as written there, root first."""
    toc = yaml.safe_load((BOOK / "_toc.yml").read_text())
    return [toc["root"], *(f for f, _ in _entries(toc.get("chapters") or toc.get("parts")))]


def toc_chapters() -> list[str]:
    """The chapters of ``_toc.yml`` (not their sections), as written there."""
    toc = yaml.safe_load((BOOK / "_toc.yml").read_text())
    chapters = toc.get("chapters") or [c for p in toc.get("parts", []) for c in p["chapters"]]
    return [c["file"] for c in chapters if "file" in c]


def html_path(name: str) -> str:
    """The built page of a ``_toc.yml`` entry."""
    return f"{Path(name).with_suffix('').as_posix()}.html"


def toc_sources() -> list[Path]:
    """The source file of every page of ``_toc.yml``."""
    found = []
    for name in toc_files():
        candidates = [BOOK / f"{name}{ext}" for ext in (".md", ".ipynb", ".rst")]
        if Path(name).suffix:
            candidates.insert(0, BOOK / name)
        existing = [c for c in candidates if c.is_file()]
        assert existing, f"_toc.yml lists {name}, which has no source file"
        found.append(existing[0])
    return found


CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)


@dataclass
class Cell:
    source: Path
    line: int
    code: str
    metadata: dict

    @property
    def tags(self) -> set[str]:
        return set(self.metadata.get("tags", []))

    def where(self) -> str:
        return f"{self.source.relative_to(BOOK)}:{self.line}"


def split_options(body: str) -> tuple[dict, str]:
    """A MyST code cell's options (YAML block or ``:key: value`` lines) and its code."""
    if body.startswith("---\n"):
        front, _, code = body[4:].partition("\n---\n")
        return yaml.safe_load(front) or {}, code
    options: dict = {}
    lines = body.splitlines(keepends=True)
    while lines and lines[0].startswith(":"):
        key, _, value = lines.pop(0)[1:].partition(":")
        options[key.strip()] = yaml.safe_load(value.strip())
    return options, "".join(lines)


def code_cells(sources: Iterable[Path] | None = None) -> list[Cell]:
    """The MyST code cells of ``sources`` (default: every page of ``_toc.yml``)."""
    cells = []
    for source in toc_sources() if sources is None else sources:
        if source.suffix != ".md":
            continue
        text = source.read_text(encoding="utf-8")
        for match in CELL.finditer(text):
            metadata, code = split_options(match.group(1))
            line = text.count("\n", 0, match.start()) + 1
            cells.append(Cell(source, line, code, metadata))
    return cells


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True)
class Build:
    returncode: int
    output: str
    seconds: float


def run_build() -> Build:
    """Run ``make site``'s command (``python -m tools.build_site``) and time it."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "tools.build_site"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return Build(result.returncode, result.stdout + result.stderr, time.perf_counter() - start)


@functools.cache
def first_build() -> Build:
    """The session's first build (cold in CI, warm on a developer's machine)."""
    return run_build()


def built_site() -> Path:
    """The built site's folder; fails the calling test with the build log if the build failed."""
    build = first_build()
    if build.returncode != 0:
        pytest.fail(f"`make site` failed (exit {build.returncode}):\n{build.output[-6000:]}")
    return HTML


def chromium_or_skip() -> str:
    """Chromium's path; a clear failure in CI (CI=true) when it is missing, a skip elsewhere."""
    path = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if path:
        return path
    message = (
        "Chromium is missing: the browser test needs Debian's `chromium` package at "
        f"{CHROMIUM} (.ci/run installs it: apt-get install chromium)"
    )
    skip_or_fail_in_ci(message)


def skip_or_fail_in_ci(message: str) -> NoReturn:
    """Skip the calling test with ``message``; fail it instead in CI (CI=true), where a
    missing tool is a broken setup, not a choice."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def chromium(*extra_args: str) -> Iterator[Any]:
    """Debian's Chromium launched by Playwright (``CHROMIUM_ARGS`` and ``extra_args``);
    the browser, closed when the block ends. Skips (fails in CI) without Chromium."""
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=[*CHROMIUM_ARGS, *extra_args])
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def site_in_chromium() -> Iterator[tuple[str, Any]]:
    """The built site served on 127.0.0.1 and Chromium launched (Playwright);
    (base URL, browser). Skips (fails in CI) without Chromium."""
    chromium_or_skip()  # before the build: a machine without Chromium builds nothing
    with serving(built_site()) as base, chromium() as browser:
        yield base, browser


def only_local(context, base: str, blocked: list[str] | None = None) -> list[str]:
    """Let ``context`` (a Playwright browser context) fetch only from ``base`` and
    inline ``data:``/``blob:`` URLs; every other request is aborted and its URL
    appended to ``blocked`` (a new list unless one is given), which is returned."""
    blocked = [] if blocked is None else blocked

    def route(request_route) -> None:
        url = request_route.request.url
        if url.startswith(base) or url.startswith(("data:", "blob:")):
            request_route.continue_()
        else:
            blocked.append(url)
            request_route.abort()

    context.route("**/*", route)
    return blocked
