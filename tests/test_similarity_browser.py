"""The similarity report in a real browser: Chromium (Debian's) driven by Playwright.

The report of the toy course (tests/similarity_course.py) is served from a thread on
127.0.0.1 (by the site's server, ``tools.serve``) and every request to any other
address is blocked and recorded: the page must need none. It must also load without console errors or failed requests, show
the matched spans of a flagged pair side by side, and fit a phone's width.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import similarity_course as course
from book_helpers import chromium, only_local

from autograder.__main__ import main
from autograder.similarity.report import PAGE
from tools.serve import serving

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report_folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("course")
    course.build(root)
    assert main(["--course-root", str(root), "similarity", course.ASSIGNMENT]) == 0
    return root / "grading" / "similarity" / course.ASSIGNMENT


@pytest.mark.parametrize("width", [1280, 390])
def test_report_opens_offline_and_shows_the_matches(report_folder, width):
    blocked, errors, failed = [], [], []
    with chromium() as browser, serving(report_folder, page=PAGE) as base:
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
    assert blocked == [], f"requests off 127.0.0.1: {blocked}"
    assert errors == [] and failed == []
