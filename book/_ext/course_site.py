"""The course site's own Sphinx extension: small repairs of what the pinned
themes and extensions write into every page.

Jupyter Book 1.0.4 pins pydata-sphinx-theme 0.17 and sphinx-book-theme 1.3, so
these repairs live here (and in ``book/_templates``, ``book/assets``) rather
than in a theme upgrade. Each one names what it repairs, so it can go when the
pins move:

- hidden code cells (``hide-input``): myst-nb 1.4 writes
  ``<summary aria-label="Toggle hidden content">`` around the visible words
  "Show code cell source", and a label that differs from the visible words is
  a WCAG 2.5.3 failure (axe: ``label-content-name-mismatch``). The summary
  here keeps its visible words as its name;
- the sidebar's expander of a chapter with sections is an empty ``<summary>``
  (axe: ``summary-name``); it gets a name saying whose sections it shows;
- link previews: sphinxext-opengraph 0.13 joins the lines of a paragraph
  without a space before punctuation ("networks(ConvNets)"), because it drops
  the soft line breaks of MyST; the description is the page's first
  paragraph, its lines joined by spaces;
- the themes ship source maps (``*.map``, about 3.4 MB) that readers never
  need: they are left out of the built site, and so are the comments that
  point to them.
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup
from docutils import nodes
from markupsafe import Markup
from sphinx.application import Sphinx

SOURCE_MAP_COMMENT = re.compile(rb"\n?(//|/\*)# sourceMappingURL=[^\n]*?(\*/)?[ \t]*(?=\n|$)")


# --- hidden code cells --------------------------------------------------------------


def visit_hidden_input(self, node) -> None:
    """Open a ``hide-input`` cell's ``<details>``; its summary is named by its visible text."""
    classes = " ".join(node["classes"])
    self.body.append(f'<details class="admonition hide {classes}">\n<summary>\n')
    self.body.append(f'<p class="collapsed admonition-title">{escape(node["prompt_show"])}</p>\n')
    self.body.append(f'<p class="expanded admonition-title">{escape(node["prompt_hide"])}</p>\n')
    self.body.append("</summary>\n")


def depart_hidden_input(self, node) -> None:
    self.body.append("</details>\n")


# --- sidebar expanders ----------------------------------------------------------------


def name_sidebar_expanders(html: str) -> str:
    """Give every empty ``<summary>`` of the sidebar's table of contents a name.

    pydata-sphinx-theme writes ``<li class="has-children"><a>Title</a><details>
    <summary><span class="toctree-toggle" role="presentation">...`` with no text.
    """
    if "<summary" not in html:
        return html
    soup = BeautifulSoup(html, "html.parser")
    for summary in soup.select("li.has-children > details > summary"):
        if summary.get("aria-label") or summary.get_text(strip=True):
            continue
        link = summary.find_parent("li").find("a", recursive=False)
        title = link.get_text(" ", strip=True) if link else "this chapter"
        summary["aria-label"] = f"Sections of {title}"
    return str(soup)


def wrap_toctree(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                 doctree) -> None:
    """Post-process the theme's sidebar table of contents."""
    generate = context.get("generate_toctree_html")
    if generate is not None and not getattr(generate, "course_site", False):

        def generate_named(*args: Any, **kwargs: Any) -> str:
            return Markup(name_sidebar_expanders(str(generate(*args, **kwargs))))

        generate_named.course_site = True
        context["generate_toctree_html"] = generate_named


# --- link previews --------------------------------------------------------------------

DESCRIPTION_TAGS = re.compile(r'(<meta (?:property="og:description"|name="description") content=")'
                              r'[^"]*(")')


def first_paragraph(doctree: nodes.document, length: int) -> str:
    """The page's first paragraph of prose, its lines joined by spaces, cut at a word."""
    for paragraph in doctree.findall(nodes.paragraph):
        if paragraph.next_node(nodes.math, include_self=False) is not None:
            continue  # raw TeX would show in the preview
        text = " ".join(paragraph.astext().split())
        if len(text) > length:
            text = text[:length].rsplit(" ", 1)[0].rstrip(",;:") + " ..."
        return text
    return ""


def describe_page(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                  doctree) -> None:
    """Put the page's first paragraph into the description tags sphinxext-opengraph wrote."""
    if doctree is None or "metatags" not in context:
        return
    text = first_paragraph(doctree, app.config.ogp_description_length)
    if text:
        value = escape(text, quote=True)
        context["metatags"] = DESCRIPTION_TAGS.sub(
            lambda m: m.group(1) + value + m.group(2), context["metatags"]
        )


# --- source maps ----------------------------------------------------------------------


def drop_source_maps(static: Path) -> list[Path]:
    """Delete ``*.map`` under ``static`` and the ``sourceMappingURL`` comments that name
    them; return the deleted files."""
    removed = []
    for path in sorted(static.rglob("*.map")):
        path.unlink()
        removed.append(path)
    for path in [*static.rglob("*.js"), *static.rglob("*.css")]:
        data = path.read_bytes()
        if b"sourceMappingURL=" in data:
            path.write_bytes(SOURCE_MAP_COMMENT.sub(b"", data))
    return removed


def finish(app: Sphinx, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html":
        drop_source_maps(Path(app.outdir) / "_static")
        if not app.config.html_use_index:  # left over from a build that had one
            (Path(app.outdir) / "genindex.html").unlink(missing_ok=True)


def setup(app: Sphinx) -> dict[str, Any]:
    from myst_nb.sphinx_ import HideCodeCellNode

    app.add_node(HideCodeCellNode, override=True, html=(visit_hidden_input, depart_hidden_input))
    # after pydata-sphinx-theme (priority 500) has put generate_toctree_html into the context
    app.connect("html-page-context", wrap_toctree, priority=600)
    # after sphinxext-opengraph (priority 500) has written its tags
    app.connect("html-page-context", describe_page, priority=600)
    app.connect("build-finished", finish)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
