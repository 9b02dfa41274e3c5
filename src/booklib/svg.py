"""A tiny SVG writer for the book's diagrams, and the :class:`Picture` the
chapters display.

Diagrams are drawn in user units on a canvas of a fixed width (at most
:data:`MAX_WIDTH`) and scale with the page. On a 390 px phone the article is
about :data:`PHONE_WIDTH` px wide, so a label of ``size`` units shows at
``size * PHONE_WIDTH / width`` px: :meth:`Picture.phone_font_px` reports the
smallest one, and the tests keep it legible.

A :class:`Picture` displays as ``image/svg+xml``: MyST-NB writes it to a file
and puts it in the page as ``<img alt=...>`` inside the cell's ``<figure>``.
The SVG itself also carries ``role="img"``, an ``aria-label``, a ``<title>``
and a ``<desc>``, so it stays described when opened on its own.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from html import escape

MAX_WIDTH = 480
PHONE_WIDTH = 342  # px of article width on a 390 px viewport (measured on the site)
# Labels are laid out at nominal sizes 13-16 and drawn this much larger, so that
# a 440-unit figure squeezed into a phone's 342 px keeps text above 11 px.
FONT_SCALE = 1.08
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
MONO = "DejaVu Sans Mono, Menlo, Consolas, monospace"

# One palette for the whole book: input blue, filter red, output green, ...
BLUE, RED, GREEN, PURPLE, ORANGE, TEAL, GREY = (
    "#2b6cb0",
    "#c0392b",
    "#1e8449",
    "#8e44ad",
    "#b9770e",
    "#117a65",
    "#5d6d7e",
)
LIGHT = {
    BLUE: "#dbe9f8",
    RED: "#f9dedb",
    GREEN: "#d8f1e0",
    PURPLE: "#ecdff3",
    ORANGE: "#f8ead2",
    TEAL: "#d4efe9",
    GREY: "#eceff1",
}
INK = "#1f2933"


def num(value: float) -> str:
    """A number as the figures print it: integers without ``.0``."""
    return f"{value:g}"


@dataclass(frozen=True)
class Picture:
    """A finished SVG drawing with its description."""

    svg: str
    title: str
    desc: str

    def _repr_svg_(self) -> str:
        return self.svg

    @property
    def width(self) -> float:
        return float(re.search(r'viewBox="0 0 ([\d.]+) ', self.svg).group(1))

    def font_sizes(self) -> list[float]:
        return [float(s) for s in re.findall(r'font-size="([\d.]+)"', self.svg)]

    def phone_font_px(self) -> float:
        """Smallest text size, in CSS px, when the picture fills a phone's article."""
        scale = min(1.0, PHONE_WIDTH / self.width)
        return min(self.font_sizes(), default=99.0) * scale


def _attrs(**kw: object) -> str:
    parts = []
    for key, value in kw.items():
        if value is None:
            continue
        name = key.rstrip("_").replace("_", "-")
        if isinstance(value, float):
            value = f"{value:.2f}".rstrip("0").rstrip(".")
        parts.append(f'{name}="{escape(str(value))}"')
    return " ".join(parts)


class Canvas:
    """Collects SVG elements; :meth:`picture` wraps them in an accessible ``<svg>``."""

    def __init__(self, width: float, height: float) -> None:
        if width > MAX_WIDTH:
            raise ValueError(f"a diagram {width} units wide would be unreadable on a phone")
        self.width, self.height = width, height
        self.parts: list[str] = []

    def rect(self, x, y, w, h, fill="none", stroke=INK, width=1.0, rx=0, **kw) -> None:
        attrs = _attrs(
            x=float(x),
            y=float(y),
            width=float(w),
            height=float(h),
            fill=fill,
            stroke=stroke,
            stroke_width=width,
            rx=rx or None,
            **kw,
        )
        self.parts.append(f"<rect {attrs}/>")

    def line(self, x1, y1, x2, y2, stroke=INK, width=1.5, arrow=False, dash=None) -> None:
        attrs = _attrs(
            x1=float(x1),
            y1=float(y1),
            x2=float(x2),
            y2=float(y2),
            stroke=stroke,
            stroke_width=width,
            stroke_dasharray=dash,
            marker_end="url(#arrow)" if arrow else None,
        )
        self.parts.append(f"<line {attrs}/>")

    def path(self, d: str, stroke=INK, width=1.5, fill="none", arrow=False, dash=None) -> None:
        attrs = _attrs(
            d=d,
            fill=fill,
            stroke=stroke,
            stroke_width=width,
            stroke_dasharray=dash,
            marker_end="url(#arrow)" if arrow else None,
        )
        self.parts.append(f"<path {attrs}/>")

    def polygon(self, points, fill="none", stroke=INK, width=1.0, **kw) -> None:
        pts = " ".join(f"{float(x):.1f},{float(y):.1f}" for x, y in points)
        self.parts.append(
            f"<polygon {_attrs(points=pts, fill=fill, stroke=stroke, stroke_width=width, **kw)}/>"
        )

    def circle(self, cx, cy, r, fill="none", stroke=INK, width=1.0) -> None:
        attrs = _attrs(cx=float(cx), cy=float(cy), r=float(r), fill=fill, stroke=stroke,
                       stroke_width=width)
        self.parts.append(f"<circle {attrs}/>")

    def text(
        self,
        x,
        y,
        label: object,
        size: float = 14,
        anchor: str = "middle",
        fill: str = INK,
        weight: str | None = None,
        mono: bool = False,
        italic: bool = False,
    ) -> None:
        attrs = _attrs(
            x=float(x),
            y=float(y),
            font_size=round(size * FONT_SCALE, 1),
            text_anchor=anchor,
            fill=fill,
            font_weight=weight,
            font_family=MONO if mono else None,
            font_style="italic" if italic else None,
        )
        self.parts.append(f"<text {attrs}>{escape(str(label))}</text>")

    def grid(
        self,
        x,
        y,
        values,
        cell: float = 26,
        fills=None,
        size: float = 14,
        stroke: str = "#8795a1",
    ) -> None:
        """A table of numbers with its top-left corner at ``(x, y)``; ``fills[i][j]``
        (or one colour for all) paints the cells."""
        for i, row in enumerate(values):
            for j, value in enumerate(row):
                fill = fills if isinstance(fills, str) or fills is None else fills[i][j]
                self.rect(x + j * cell, y + i * cell, cell, cell, fill=fill or "white",
                          stroke=stroke, width=0.8)
                if value is not None and value != "":
                    self.text(x + (j + 0.5) * cell, y + (i + 0.5) * cell + size * 0.36,
                              value if isinstance(value, str) else num(value), size=size)

    def box3d(self, x, y, w, h, d, color=BLUE, label=None, size=14, skew=0.5) -> None:
        """A volume: front face ``w`` x ``h`` at ``(x, y)``, drawn ``d`` deep up and to the
        right (oblique projection at 45 degrees, depth shortened by ``skew``)."""
        dx, dy = d * skew * 0.7, -d * skew * 0.7
        light = LIGHT.get(color, "#eeeeee")
        self.polygon([(x, y), (x + dx, y + dy), (x + w + dx, y + dy), (x + w, y)],
                     fill=light, stroke=color)
        self.polygon([(x + w, y), (x + w + dx, y + dy), (x + w + dx, y + h + dy), (x + w, y + h)],
                     fill=light, stroke=color)
        self.rect(x, y, w, h, fill=light, stroke=color, width=1.2)
        if label is not None:
            self.text(x + w / 2, y + h + size + 4, label, size=size)

    def image(self, x, y, w, h, png: bytes) -> None:
        """A raster (an activation map) embedded as a PNG data URI: no extra file,
        nothing fetched. Drawn with sharp pixels."""
        data = base64.b64encode(png).decode("ascii")
        attrs = _attrs(x=float(x), y=float(y), width=float(w), height=float(h),
                       preserveAspectRatio="none", style="image-rendering: pixelated")
        self.parts.append(f'<image {attrs} href="data:image/png;base64,{data}"/>')

    def picture(self, title: str, desc: str) -> Picture:
        """The finished drawing: ``title`` names it, ``desc`` says what it shows."""
        defs = (
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" '
            'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{INK}"/></marker></defs>'
        )
        label = f"{title}. {desc}"
        svg = (
            f'<svg xmlns="http://www.w3.org/2000/svg" '
            f'{_attrs(width=float(self.width), height=float(self.height))} '
            f'viewBox="0 0 {self.width:g} {self.height:g}" role="img" '
            f'{_attrs(aria_label=label)} font-family="{FONT}">'
            f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>{defs}"
            # an opaque ground, so the drawing stays legible under the dark theme
            f'<rect width="100%" height="100%" fill="white"/>'
            + "".join(self.parts)
            + "</svg>"
        )
        return Picture(svg, title, desc)
