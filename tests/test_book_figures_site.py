"""The figures of the built site (``make site``): how many there are, and that
each is a real ``<figure>`` with an ``<img alt>`` that describes it (no file
names, numbers that the drawn SVG also shows) and a ``<figcaption>``."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from book_helpers import BOOK, built_site, code_cells, html_path, toc_chapters

pytestmark = pytest.mark.slow

MIN_FIGURES = 30
CHAPTERS = [html_path(f) for f in toc_chapters() if re.match(r"\d\d_", f)]


class Figures(HTMLParser):
    """Collects every ``<figure>``: its images (src, alt) and caption text."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[dict] = []
        self._depth = 0
        self._in_caption = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "figure":
            self._depth += 1
            self.figures.append({"images": [], "caption": "", "svg": []})
        elif self._depth and tag == "img":
            self.figures[-1]["images"].append((a.get("src", ""), a.get("alt")))
        elif self._depth and tag == "svg":
            self.figures[-1]["svg"].append((a.get("role"), a.get("aria-label")))
        elif self._depth and tag == "figcaption":
            self._in_caption = True

    def handle_endtag(self, tag):
        if tag == "figure":
            self._depth -= 1
        elif tag == "figcaption":
            self._in_caption = False

    def handle_data(self, data):
        if self._in_caption:
            self.figures[-1]["caption"] += data


def figures_of(page: Path) -> list[dict]:
    parser = Figures()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.figures


def described(figure: dict) -> str | None:
    """The figure's text alternative, if it has a real one."""
    for _, alt in figure["images"]:
        if alt and alt.strip():
            return alt
    for role, label in figure["svg"]:
        if role == "img" and label and label.strip():
            return label
    return None


def svg_text(site: Path, page: Path, src: str) -> str:
    """The text content of a figure's SVG file."""
    raw = (page.parent / src).read_text(encoding="utf-8")
    return " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", raw))


def numbers(text: str) -> list[str]:
    """The numbers written in ``text``: 7, -2, 3,025, 2.33, 61.7K, 138M."""
    found = re.findall(r"-?\d(?:[\d,.]*\d)?[KMG]?", text.replace("\u2212", "-"))
    return [n.rstrip(".,") for n in found]


@pytest.fixture(scope="module")
def site_figures() -> dict[str, list[dict]]:
    site = built_site()
    return {name: figures_of(site / name) for name in CHAPTERS}


def test_the_book_has_enough_described_and_captioned_figures(site_figures) -> None:
    good = [
        f
        for figures in site_figures.values()
        for f in figures
        if described(f) and len(f["caption"].strip()) > 20
    ]
    per_page = {name: len(figs) for name, figs in site_figures.items()}
    assert len(good) >= MIN_FIGURES, per_page
    assert all(per_page[name] >= 1 for name in per_page), per_page


def test_every_figure_has_an_alt_text_that_describes_it(site_figures) -> None:
    problems = []
    for name, figures in site_figures.items():
        for f in figures:
            alt = described(f)
            if not alt:
                problems.append(f"{name}: figure without alt text ({f['caption'][:50]!r})")
                continue
            if re.search(r"\.(svg|png|jpe?g)\b|_images/|^\s*(image|figure|picture)\s*$", alt,
                         re.IGNORECASE):
                problems.append(f"{name}: alt text names a file, not the picture: {alt!r}")
            if len(alt.split()) < 8:
                problems.append(f"{name}: alt text too short to describe anything: {alt!r}")
            if not f["caption"].strip():
                problems.append(f"{name}: figure without caption")
    assert not problems, "\n".join(problems)


def test_numbers_in_alt_texts_are_the_numbers_drawn(site_figures) -> None:
    """An alt text must not drift from its figure: every number it quotes
    (e.g. the 1-D outputs -2, 2, 1, 2, 1) is also written in the SVG."""
    site = built_site()
    problems = []
    for name, figures in site_figures.items():
        for f in figures:
            for src, alt in f["images"]:
                if not src.endswith(".svg") or not alt:
                    continue
                drawn = {
                    variant
                    for token in numbers(svg_text(site, site / name, src))
                    for variant in (token, token.lstrip("-"), token.replace(",", ""))
                }
                for number in numbers(alt):
                    if number not in drawn:
                        problems.append(f"{name}: alt quotes {number} not drawn in {src}")
    assert not problems, "\n".join(problems)


def test_chapter_two_has_pictures_all_along(site_figures) -> None:
    """Chapter 2 used to run about 5,000 px without a picture: now every
    section of it has at least one figure or the demo."""
    page = (built_site() / "02_conv_layer.html").read_text(encoding="utf-8")
    sections = re.split(r'<section id="', page)[1:]
    bare = []
    for section in sections:
        ident = section.split('"', 1)[0]
        own = re.split(r'<section id="', section)[0]
        if "<figure" not in own and "conv-demo" not in own and ident not in {
            "summary-of-the-layer",  # a list of formulas
            "exercises",  # questions with folded answers, after the teaching
        }:
            bare.append(ident)
    assert not bare, f"sections of chapter 2 without a figure: {bare}"


def captioned_cells(source: Path) -> int:
    """How many code cells of a chapter's source give their figure a caption."""
    return sum(
        bool(((cell.metadata.get("mystnb") or {}).get("figure") or {}).get("caption"))
        for cell in code_cells([source])
    )


def test_every_captioned_cell_shows_its_figure_once(site_figures) -> None:
    """Merges of figure cells must not lose a figure, show one twice, or
    leave a caption without a picture: each captioned cell of a chapter
    gives one ``<figure>`` with one image, no picture appears twice on a page
    (the image files are named by their content), and no picture of a cell
    sits outside a figure."""
    site = built_site()
    problems = []
    for name in CHAPTERS:
        figures = site_figures[name]
        source = BOOK / Path(name).with_suffix(".md")
        expected = captioned_cells(source)
        if len(figures) != expected:
            problems.append(f"{name}: {len(figures)} figures for {expected} captioned cells")
        shown = [src for f in figures for src, _ in f["images"]]
        problems += [f"{name}: a figure with {len(f['images'])} images ({f['caption'][:50]!r})"
                     for f in figures if len(f["images"]) != 1]
        problems += [f"{name}: {src} shown twice" for src in set(shown) if shown.count(src) > 1]
        page = (site / name).read_text(encoding="utf-8")
        loose = set(re.findall(r'<img[^>]*src="(_images/[^"]+)"', page)) - set(shown)
        problems += [f"{name}: {src} outside a figure" for src in sorted(loose)]
    assert not problems, "\n".join(problems)
