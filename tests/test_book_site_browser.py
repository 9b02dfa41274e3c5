"""The built site in a real browser: Chromium (Debian's package) driven by Playwright.

The site is served from a thread on 127.0.0.1 and every request to any other
address is blocked and reported, so these tests also prove the site works
offline. For every page in the table of contents: the title matches its
heading, every image loaded, all math was typeset by MathJax, and there were
no console errors, failed requests or broken internal links. Search must find
the convolution chapter for "im2col" (the convolution demo's own tests are in
``test_book_widget_browser.py``).
Screenshots of the home page and a chapter land in ``test-artifacts/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin

import pytest
import yaml
from book_helpers import BOOK, CHAPTER_TITLES, CHROMIUM_ARGS, ROOT, built_site, chromium_or_skip

from tools.serve import serving

pytestmark = pytest.mark.slow

ARTIFACTS = ROOT / "test-artifacts"
SITE_TITLE = "Convolutional networks"


@dataclass
class Session:
    base: str
    context: object
    blocked: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def session() -> Iterator[Session]:
    executable = chromium_or_skip()
    site = built_site()
    from playwright.sync_api import sync_playwright

    with serving(site) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        state = Session(base, context)

        def only_local(route) -> None:
            url = route.request.url
            if url.startswith(base) or url.startswith(("data:", "blob:")):
                route.continue_()
            else:
                state.blocked.append(url)
                route.abort()

        context.route("**/*", only_local)
        yield state
        browser.close()


@dataclass
class Visit:
    page: object
    console_errors: list[str]
    failed: list[str]


def visit(session: Session, path: str) -> Visit:
    """Open ``path`` and wait until it, its images and MathJax have settled."""
    page = session.context.new_page()
    errors: list[str] = []
    failed: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    page.on("requestfailed", lambda r: failed.append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.url} (HTTP {r.status})"))
    page.goto(session.base + path, wait_until="networkidle")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_load_state("networkidle")
    page.evaluate(
        "() => window.MathJax && MathJax.startup && MathJax.startup.promise"
        " ? MathJax.startup.promise : null"
    )
    return Visit(page, errors, failed)


def toc_pages() -> list[str]:
    """Every page of ``_toc.yml`` as a built HTML path, the root page first."""
    toc = yaml.safe_load((BOOK / "_toc.yml").read_text())
    pages = [f"{toc['root']}.html"]
    for chapter in toc["chapters"]:
        pages.append(f"{chapter['file']}.html")
        pages += [f"{s['file']}.html" for s in chapter.get("sections", [])]
    return pages


def test_navigation_lists_every_toc_page(session: Session) -> None:
    v = visit(session, "index.html")
    hrefs = v.page.eval_on_selector_all(
        "nav.bd-docs-nav a.reference.internal", "els => els.map(a => a.href)"
    )
    linked = {urldefrag(h)[0].removeprefix(session.base) for h in hrefs}
    assert set(toc_pages()[1:]) <= linked  # the root page is the logo's link, tested below
    assert v.page.url == session.base + "intro.html"  # index.html forwards to the root page
    v.page.close()


def test_every_page_renders_cleanly(session: Session) -> None:
    problems: list[str] = []
    links: set[str] = set()
    for path in toc_pages():
        v = visit(session, path)
        page = v.page
        heading = page.evaluate(
            "() => { const h = document.querySelector('article h1') || document.querySelector('h1');"
            " const c = h.cloneNode(true); c.querySelectorAll('.headerlink').forEach(e => e.remove());"
            " return c.textContent.trim(); }"
        )
        title = page.title()
        if title != f"{heading} \u2014 {SITE_TITLE}":
            problems.append(f"{path}: title {title!r} does not match heading {heading!r}")
        if path in CHAPTER_TITLES and heading != CHAPTER_TITLES[path]:
            problems.append(f"{path}: heading {heading!r}, expected {CHAPTER_TITLES[path]!r}")
        broken_images = page.evaluate(
            "() => Array.from(document.images)"
            ".filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
        )
        if broken_images:
            problems.append(f"{path}: images not loaded {broken_images}")
        math = page.evaluate(
            "() => [document.querySelectorAll('.math').length,"
            " document.querySelectorAll('.math mjx-container').length,"
            " (document.querySelector('article') || document.body).innerText.includes('\\\\(')]"
        )
        if math[0] != math[1] or math[2]:
            problems.append(
                f"{path}: {math[0]} math elements, {math[1]} typeset, raw TeX: {math[2]}"
            )
        if v.console_errors:
            problems.append(f"{path}: console errors {v.console_errors}")
        if v.failed:
            problems.append(f"{path}: failed requests {v.failed}")
        links |= set(page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)"))
        page.close()
    assert not session.blocked, f"requests left the site: {session.blocked}"
    assert not problems, "\n".join(problems)
    assert_internal_links_work(session, links)


def assert_internal_links_work(session: Session, links: set[str]) -> None:
    """Every same-site link answers 200, and every #fragment names an id on its page."""
    pages: dict[str, str] = {}
    broken = []
    for link in sorted(links):
        if not link.startswith(session.base):
            continue
        url, fragment = urldefrag(link)
        if url not in pages:
            response = session.context.request.get(url)
            pages[url] = response.text() if response.ok else ""
            if not response.ok:
                broken.append(f"{url} (HTTP {response.status})")
                continue
        if fragment and not re.search(rf'id="{re.escape(fragment)}"', pages[url]):
            broken.append(f"{link} (no element with id {fragment!r})")
    assert len(pages) >= len(toc_pages())
    assert not broken, "broken internal links:\n" + "\n".join(broken)


def test_math_is_typeset_on_the_conv_chapter(session: Session) -> None:
    v = visit(session, "02_conv_layer.html")
    assert v.page.locator("mjx-container").count() > 20
    v.page.close()


def test_search_finds_the_convolution_chapter_for_im2col(session: Session) -> None:
    v = visit(session, "search.html?q=im2col")
    page = v.page
    page.wait_for_selector("ul.search li a", timeout=15_000)
    hits = page.eval_on_selector_all("ul.search li a", "els => els.map(a => a.href)")
    assert any("02_conv_layer.html" in h for h in hits), hits
    assert not v.console_errors and not v.failed
    page.close()


def test_screenshots(session: Session) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for path, name in [("index.html", "home.png"), ("02_conv_layer.html", "conv_chapter.png")]:
        v = visit(session, path)
        target = ARTIFACTS / name
        v.page.evaluate("window.scrollTo(0, 0)")
        v.page.screenshot(path=str(target), full_page=False)
        assert target.stat().st_size > 10_000
        v.page.close()


def test_pages_link_back_home(session: Session) -> None:
    v = visit(session, "03_pooling.html")
    home = v.page.eval_on_selector_all("a.navbar-brand", "els => els.map(a => a.href)")
    assert urljoin(session.base, "intro.html") in [urldefrag(h)[0] for h in home]
    v.page.close()
