"""The built site in a real browser: Chromium (Debian's package) driven by Playwright.

The site is served from a thread on 127.0.0.1 and every request to any other
address is blocked and reported, so these tests also prove the site works
offline. The pages are the table of contents' (read from ``_toc.yml``, so new
chapters are covered without editing this file), plus the search and 404 pages.

- every page, at 390 and 1280 px, light and dark: no console errors or failed
  requests, and axe-core finds no critical or serious problem; at 1280 px its
  title matches its heading, every image loaded, all math was typeset, no
  internal link is broken, and no code block, output or page scrolls sideways;
- on a phone (390 px) the menu button opens the chapter list and the contents
  button the page's sections; on a desktop (1280 px) the menu button hides and
  shows the sidebar (the themes' bug: pydata/pydata-sphinx-theme#2451,
  executablebooks/sphinx-book-theme#988);
- the colour mode follows the system until the reader picks one;
- search finds "im2col", shows math in its snippets as text, and the search
  page has one search box; a missing page answers with the 404 page.

The convolution demo widget has its own tests in ``test_book_widget_browser.py``.

Screenshots of every page at both widths land in ``test-artifacts/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin

import pytest
from book_helpers import (
    ROOT,
    html_path,
    only_local,
    site_in_chromium,
    skip_or_fail_in_ci,
    toc_chapters,
    toc_files,
)

from tools import axe_core

pytestmark = pytest.mark.slow

ARTIFACTS = ROOT / "test-artifacts"
SITE_TITLE = "Convolutional networks"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# Every element that shows code or printed output, and so could scroll sideways.
CODE_BLOCKS = "pre, div.cell_output > .output, div.highlight"


def toc_pages() -> list[str]:
    """Every page of ``_toc.yml`` as a built HTML path, the root page first."""
    return [html_path(f) for f in toc_files()]


def toc_top_pages() -> list[str]:
    """The chapters of ``_toc.yml`` (not their sections), as built HTML paths."""
    return [html_path(f) for f in toc_chapters()]


def axe_script() -> str:
    """axe-core's script, fetched at install time by ``python -m tools.axe_core``."""
    script = axe_core.cached()
    if script is not None:
        return script.read_text(encoding="utf-8")
    message = (
        f"axe-core {axe_core.VERSION} is not installed: run `make test` (or "
        "`.venv/bin/python -m tools.axe_core`, which needs npm) to fetch it"
    )
    skip_or_fail_in_ci(message)


@dataclass
class Site:
    base: str
    browser: object
    blocked: list[str] = field(default_factory=list)

    def context(self, viewport: dict = DESKTOP, scheme: str = "light", **options):
        """A browser context that lets only requests to the site through."""
        context = self.browser.new_context(viewport=viewport, color_scheme=scheme, **options)
        only_local(context, self.base, self.blocked)
        return context


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with site_in_chromium() as (base, browser):
        state = Site(base, browser)
        yield state
    assert not state.blocked, f"requests left the site: {state.blocked}"


@pytest.fixture(scope="module")
def desktop(site: Site):
    context = site.context()
    yield context
    context.close()


@dataclass
class Visit:
    page: object
    console_errors: list[str]
    failed: list[str]
    status: int


def watch(page) -> tuple[list[str], list[str]]:
    """Lists that collect the page's console errors and its failed requests (the
    status of the page itself is checked by the caller)."""
    errors: list[str] = []
    failed: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    page.on("requestfailed", lambda r: failed.append(f"{r.url} ({r.failure})"))
    page.on(
        "response",
        lambda r: r.status >= 400
        and not r.request.is_navigation_request()
        and failed.append(f"{r.url} (HTTP {r.status})"),
    )
    return errors, failed


def visit(site: Site, context, path: str) -> Visit:
    """Open ``path`` and wait until it, its images, MathJax and the theme have settled."""
    page = context.new_page()
    errors, failed = watch(page)
    response = page.goto(site.base + path, wait_until="load")
    settle(page)
    return Visit(page, errors, failed, response.status if response else 0)


def test_navigation_lists_every_toc_page(site: Site, desktop) -> None:
    page = desktop.new_page()
    page.goto(site.base + "index.html")
    page.wait_for_url(site.base + "intro.html")  # index.html forwards to the root page
    page.wait_for_load_state("load")
    hrefs = page.eval_on_selector_all(
        "nav.bd-docs-nav a.reference.internal", "els => els.map(a => a.href)"
    )
    linked = {urldefrag(h)[0].removeprefix(site.base) for h in hrefs}
    assert set(toc_pages()[1:]) <= linked  # the root page is the logo's link, tested below
    page.close()


def expected_title(heading: str) -> str:
    """``Heading — Site``, or just the site's title on the page that carries it."""
    return heading if heading == SITE_TITLE else f"{heading} \u2014 {SITE_TITLE}"


def assert_internal_links_work(site: Site, context, links: set[str]) -> None:
    """Every same-site link answers 200, and every #fragment names an id on its page."""
    pages: dict[str, str] = {}
    broken = []
    for link in sorted(links):
        if not link.startswith(site.base):
            continue
        url, fragment = urldefrag(link)
        if url not in pages:
            response = context.request.get(url)
            pages[url] = response.text() if response.ok else ""
            if not response.ok:
                broken.append(f"{url} (HTTP {response.status})")
                continue
        if fragment and not re.search(rf'id="{re.escape(fragment)}"', pages[url]):
            broken.append(f"{link} (no element with id {fragment!r})")
    assert len(pages) >= len(toc_pages())
    assert not broken, "broken internal links:\n" + "\n".join(broken)


# Whether a reader can see an element: rendered, not hidden or transparent, and
# on the screen (an off-canvas sidebar is rendered but not on the screen).
ON_SCREEN = """e => {
  if (!e.checkVisibility({visibilityProperty: true, opacityProperty: true})) return false;
  const r = e.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && r.right > 0 && r.left < window.innerWidth;
}"""


def visible_chapter_links(page, container: str) -> list[str]:
    return page.eval_on_selector_all(
        f"{container} nav.bd-docs-nav a.reference.internal",
        f"els => els.filter({ON_SCREEN}).map(a => a.getAttribute('href'))",
    )


def test_phone_menu_opens_the_chapter_list(site: Site) -> None:
    context = site.context(PHONE, has_touch=True, is_mobile=True)
    v = visit(site, context, "03_pooling.html")
    page = v.page
    assert visible_chapter_links(page, "body") == [], "the chapter list shows before the tap"
    menu = page.locator("button.primary-toggle")
    assert menu.count() == 1, "one menu button (no hidden copy that takes the clicks)"
    menu.tap()
    dialog = page.locator("#pst-primary-sidebar-modal")
    dialog.wait_for(state="visible", timeout=3_000)
    links = {urldefrag(urljoin(page.url, h))[0].removeprefix(site.base)
             for h in visible_chapter_links(page, "#pst-primary-sidebar-modal")}
    links.add("03_pooling.html")  # the current page links to "#"
    assert set(toc_top_pages()) <= links, f"the chapter list shows {sorted(links)}"
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden", timeout=3_000)

    contents = page.locator("button.secondary-toggle")
    assert contents.count() == 1
    contents.tap()
    page.locator("#pst-secondary-sidebar-modal").wait_for(state="visible", timeout=3_000)
    sections = page.eval_on_selector_all(
        "#pst-secondary-sidebar-modal nav a", f"els => els.filter({ON_SCREEN}).length"
    )
    assert sections >= 3, "the contents button shows the page's sections"
    assert not v.console_errors and not v.failed
    page.close()
    context.close()


def test_desktop_menu_hides_and_shows_the_sidebar(site: Site, desktop) -> None:
    v = visit(site, desktop, "03_pooling.html")
    page = v.page
    sidebar = page.locator("#pst-primary-sidebar")
    menu = page.locator("button.primary-toggle")
    assert menu.count() == 1
    shown = len(visible_chapter_links(page, "#pst-primary-sidebar"))
    assert shown >= len(toc_top_pages())
    menu.click()
    sidebar.wait_for(state="hidden", timeout=3_000)
    assert visible_chapter_links(page, "#pst-primary-sidebar") == []
    menu.click()
    sidebar.wait_for(state="visible", timeout=3_000)
    assert len(visible_chapter_links(page, "#pst-primary-sidebar")) == shown
    assert not v.console_errors and not v.failed
    page.close()


# axe-core's run: every rule in light mode; in dark mode the two rules about
# colour that axe runs by default (color-contrast, link-in-text-block), since
# the dark theme changes colours only and the rest of the page is the same.
# (Selecting the tag "cat.color" instead would also switch on the AAA rule
# color-contrast-enhanced, which axe leaves off by default.)
AXE_RUN = """async colourOnly => {
  const options = {resultTypes: ['violations']};
  if (colourOnly) {
    options.runOnly = {type: 'rule', values: ['color-contrast', 'link-in-text-block']};
  }
  const result = await axe.run(document, options);
  return result.violations
    .filter(v => ['critical', 'serious'].includes(v.impact))
    .map(v => `${v.id} (${v.impact}) on ${v.nodes.length} element(s), e.g. `
              + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
}"""

SIDEWAYS = """sel => {
  const wide = Array.from(document.querySelectorAll(sel))
    .filter(e => e.scrollWidth > e.clientWidth)
    .map(e => `${e.scrollWidth} > ${e.clientWidth} px: ${e.textContent.trim().slice(0, 70)}`);
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) wide.push(`the page: ${root.scrollWidth} px`);
  return wide;
}"""


def screenshot_name(path: str, width: int) -> str:
    return f"{width}px/{path.removesuffix('.html').replace('/', '__')}.png"


def settle(page) -> None:
    """Wait for every image, MathJax, and the theme's tab stops on regions that scroll."""
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # lazy images load
    page.wait_for_function(
        "() => Array.from(document.images).every(i => i.complete)", timeout=10_000
    )
    page.evaluate("window.scrollTo(0, 0)")
    page.evaluate(
        "() => window.MathJax && MathJax.startup && MathJax.startup.promise"
        " ? MathJax.startup.promise : null"
    )
    # The theme makes every region that scrolls focusable (so that keyboard
    # users can scroll it) 300 ms after the page stops changing.
    page.wait_for_function(
        """() => Array.from(document.querySelectorAll(
                 'pre, .cell_output > .output, .pst-scrollable-table-container'))
               .every(e => e.scrollWidth <= e.clientWidth || e.tabIndex === 0)""",
        timeout=5_000,
    )


PAGE_FACTS = """() => {
  const h = document.querySelector('article h1') || document.querySelector('h1');
  const heading = h.cloneNode(true);
  heading.querySelectorAll('.headerlink').forEach(e => e.remove());
  const text = (document.querySelector('article') || document.body).innerText;
  return {
    heading: heading.textContent.trim(),
    brokenImages: Array.from(document.images)
      .filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src),
    math: document.querySelectorAll('.math').length,
    typeset: document.querySelectorAll('.math mjx-container').length,
    rawTex: text.includes('\\\\('),
    links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
  };
}"""


def page_problems(page, path: str) -> tuple[list[str], set[str]]:
    """Title, images and math of the page; the links it holds."""
    facts = page.evaluate(PAGE_FACTS)
    problems = []
    title = page.title()
    if title != expected_title(facts["heading"]):
        problems.append(f"{path}: title {title!r} does not match heading {facts['heading']!r}")
    if facts["brokenImages"]:
        problems.append(f"{path}: images not loaded {facts['brokenImages']}")
    if facts["math"] != facts["typeset"] or facts["rawTex"]:
        problems.append(
            f"{path}: {facts['math']} math elements, {facts['typeset']} typeset,"
            f" raw TeX: {facts['rawTex']}"
        )
    return problems, set(facts["links"])


def test_every_page_renders_cleanly_accessibly_and_fits_the_screen(site: Site) -> None:
    """Every page, 390 and 1280 px wide, light and dark: no console errors or failed
    requests, no critical or serious axe-core finding; at 1280 px (light) its
    title, images, math and links, and nothing scrolls sideways; a screenshot of
    every page at both widths."""
    axe = axe_script()
    toc = toc_pages()
    pages = [*toc, "search.html?q=stride", "404.html"]
    problems: list[str] = []
    findings: list[str] = []
    sideways: list[str] = []
    links: set[str] = set()
    desktop_context = None
    for scheme in ("light", "dark"):
        for viewport in (PHONE, DESKTOP):
            context = site.context(viewport, scheme)
            page = context.new_page()
            errors, failed = watch(page)
            for path in pages:
                where = f"{path} at {viewport['width']} px, {scheme}"
                errors.clear()
                failed.clear()
                response = page.goto(site.base + path, wait_until="load")
                settle(page)
                if path == "404.html":
                    assert response.status == 200  # asked for by name
                assert page.evaluate("document.documentElement.dataset.theme") == scheme
                if viewport is DESKTOP and scheme == "light":
                    found, on_page = page_problems(page, path)
                    problems += found
                    links |= on_page
                    sideways += [f"{where}: {w}" for w in page.evaluate(SIDEWAYS, CODE_BLOCKS)]
                if scheme == "light":
                    target = ARTIFACTS / screenshot_name(path.split("?")[0], viewport["width"])
                    target.parent.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(target))
                    assert target.stat().st_size > 5_000
                page.add_script_tag(content=axe)
                findings += [f"{where}: {f}" for f in page.evaluate(AXE_RUN, scheme == "dark")]
                problems += [f"{where}: console error {e}" for e in errors]
                problems += [f"{where}: failed request {f}" for f in failed]
            page.close()
            if viewport is DESKTOP and scheme == "light":
                desktop_context = context
            else:
                context.close()
    assert not problems, "\n".join(problems)
    assert not findings, "axe-core findings:\n" + "\n".join(findings)
    assert not sideways, "scrolls sideways at 1280 px:\n" + "\n".join(sideways)
    assert_internal_links_work(site, desktop_context, links)
    desktop_context.close()


def test_colour_mode_follows_the_system_until_the_reader_chooses(site: Site) -> None:
    context = site.context(DESKTOP, "dark")
    v = visit(site, context, "intro.html")
    page = v.page
    assert page.evaluate("document.documentElement.dataset.mode") == "auto"
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    page.locator("button.theme-switch-button").first.click()
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    page.goto(site.base + "01_overview.html", wait_until="networkidle")
    assert page.evaluate("document.documentElement.dataset.theme") == "light", (
        "the reader's choice is kept from page to page"
    )
    page.close()
    context.close()


def test_math_is_typeset_on_the_conv_chapter(site: Site, desktop) -> None:
    v = visit(site, desktop, "02_conv_layer.html")
    assert v.page.locator("mjx-container").count() > 20
    v.page.close()


def test_search_finds_im2col_and_shows_one_search_box(site: Site, desktop) -> None:
    v = visit(site, desktop, "search.html?q=im2col")
    page = v.page
    page.wait_for_selector("ul.search li a", timeout=15_000)
    hits = page.eval_on_selector_all("ul.search li a", "els => els.map(a => a.href)")
    assert any("02_conv_layer.html" in h for h in hits), hits
    boxes = page.eval_on_selector_all(
        "input[type=search], .search-button-field, .search-button",
        f"els => els.filter({ON_SCREEN}).length",
    )
    assert boxes == 1, f"{boxes} search boxes on the search page"
    assert not v.console_errors and not v.failed
    page.close()


def test_search_snippets_show_math_as_text(site: Site, desktop) -> None:
    # the words of the layer summary tables, whose first row is "takes: one
    # volume, $W_1 \times H_1 \times D_1$"
    v = visit(site, desktop, "search.html?q=aspect+takes")
    page = v.page
    page.wait_for_selector("ul.search li p.context", timeout=15_000)
    page.wait_for_load_state("networkidle")
    snippets = page.eval_on_selector_all("ul.search li p.context", "els => els.map(p => p.textContent)")
    text = " ".join(snippets)
    assert "W₁ × H₁ × D₁" in text, snippets
    assert "\\(" not in text and "\\times" not in text, snippets
    page.close()


def test_a_missing_page_gets_the_404_page(site: Site, desktop) -> None:
    v = visit(site, desktop, "no-such-chapter.html")
    page = v.page
    assert v.status == 404
    assert "Page not found" in page.title()
    assert page.locator("article h1").first.text_content().strip() == "Page not found"
    home = page.locator("article a", has_text="home page").first.get_attribute("href")
    assert urljoin(page.url, home) == site.base + "intro.html"
    # Chromium logs the 404 status of the page itself as an error; nothing else.
    assert set(v.console_errors) <= {
        "Failed to load resource: the server responded with a status of 404 (Not Found)"
    }, v.console_errors
    assert not v.failed, v.failed
    page.close()


def test_pages_link_back_home(site: Site, desktop) -> None:
    v = visit(site, desktop, "03_pooling.html")
    home = v.page.eval_on_selector_all("a.navbar-brand", "els => els.map(a => a.href)")
    assert urljoin(site.base, "intro.html") in [urldefrag(h)[0] for h in home]
    v.page.close()
