"""The similarity report in a real browser: Chromium (Debian's) driven by Playwright.

The report of the toy course (tests/similarity_course.py) is served from a thread on
127.0.0.1 and every request to any other address is blocked and recorded: the page
must need none. It must also load without console errors or failed requests, show
the matched spans of a flagged pair side by side, and fit a phone's width.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import similarity_course as course
from book_helpers import CHROMIUM_ARGS, chromium_or_skip, only_local

from autograder.__main__ import main
from autograder.similarity.report import PAGE

pytestmark = pytest.mark.slow


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextmanager
def _serving(folder: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=folder))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def report_folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("course")
    course.build(root)
    assert main(["--course-root", str(root), "similarity", course.ASSIGNMENT]) == 0
    return root / "grading" / "similarity" / course.ASSIGNMENT


@pytest.mark.parametrize("width", [1280, 390])
def test_report_opens_offline_and_shows_the_matches(report_folder, width):
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    blocked, errors, failed = [], [], []
    with _serving(report_folder) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": width, "height": 900})
        only_local(context, base, blocked)
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
        page.on("requestfailed", lambda r: failed.append(f"{r.url} ({r.failure})"))
        page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.url} ({r.status})"))
        page.goto(base + PAGE, wait_until="networkidle")

        assert page.title() == f"Similarity: {course.ASSIGNMENT}"
        # the most similar pair of the conv cell is open, its two answers side by side
        first = page.locator("#cell-conv_forward details").first
        assert first.get_attribute("open") is not None
        sides = first.locator(".sides > div")
        assert sides.count() == 2
        for side in range(2):
            marks = sides.nth(side).locator("mark")
            assert marks.count() >= 1 and marks.first.is_visible()
        box_a, box_b = (sides.nth(i).bounding_box() for i in range(2))
        if width >= 1000:  # side by side; on a phone one above the other
            assert abs(box_a["y"] - box_b["y"]) < 2 and box_a["x"] < box_b["x"]
        else:
            assert box_b["y"] > box_a["y"]
        # a link in the overall table jumps to a pair's side-by-side view
        page.locator("#overall td a").first.click()
        assert page.evaluate("location.hash").startswith("#cell-")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"the page is {overflow}px wider than a {width}px screen"
        browser.close()
    assert blocked == [], f"requests off 127.0.0.1: {blocked}"
    assert errors == [] and failed == []
