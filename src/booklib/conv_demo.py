"""The convolution demo as an HTML and JavaScript widget that steps through the output.

:func:`demo_steps` computes, for every output number of one image, the window
it reads, the element-wise products, their per-channel sums and the bias; the
output values are those of :func:`convref.conv_forward_naive` and the
arithmetic here is checked against them. :func:`conv_demo_widget` writes the
grids as plain HTML (readable without JavaScript), embeds the steps as JSON,
and inlines ``widgets/conv_demo.css`` and ``widgets/conv_demo.js``, which
highlight the window, fill the products panel and the output, and run the
play/pause/step buttons, the slider and the keyboard.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict, dataclass
from html import escape
from pathlib import Path

import numpy as np

from convref import conv_forward_naive

ASSETS = Path(__file__).with_name("widgets")
_ids = itertools.count(1)


@dataclass(frozen=True)
class Step:
    """Output number ``out[0, f, y, x]``: its window starts at padded row ``top``,
    column ``left``; ``products[c]`` is the window times the filter in channel ``c``."""

    f: int
    y: int
    x: int
    top: int
    left: int
    products: list[list[list[int | float]]]
    channel_sums: list[int | float]
    bias: int | float
    value: int | float


def _plain(a: np.ndarray | float):
    """Integers stay integers in the JSON (the demo's numbers are whole)."""
    arr = np.asarray(a)
    if np.all(arr == np.round(arr)):
        return np.round(arr).astype(int).tolist()
    return arr.astype(float).tolist()


def demo_steps(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, pad: int) -> list[Step]:
    """Every output number of ``conv(x, w, b)`` for a single image, with its arithmetic.

    See :func:`_worked_out`, which also returns the output and the padded input.
    """
    return _worked_out(x, w, b, stride, pad)[2]


def _worked_out(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, pad: int
) -> tuple[np.ndarray, np.ndarray, list[Step]]:
    """``(out, xpad, steps)``: convref's output, the padded image ``x[0]`` and every step.

    Parameters
    ----------
    x : ndarray, (1, C, H, W)
    w : ndarray, (F, C, HH, WW)
    b : ndarray, (F,)

    Raises
    ------
    ValueError
        If ``x`` holds more than one image, or the arithmetic here disagrees with convref.
    """
    if x.ndim != 4 or x.shape[0] != 1:
        raise ValueError(f"the demo shows one image of shape (1, C, H, W), got {x.shape}")
    out, _ = conv_forward_naive(x, w, b, {"stride": stride, "pad": pad})
    xpad = np.pad(x[0], ((0, 0), (pad, pad), (pad, pad)))
    n_filters, _, hh, ww = w.shape
    steps = []
    for f in range(n_filters):
        for y in range(out.shape[2]):
            for z in range(out.shape[3]):
                top, left = y * stride, z * stride
                products = xpad[:, top : top + hh, left : left + ww] * w[f]
                sums = products.sum(axis=(1, 2))
                value = out[0, f, y, z]
                if not np.isclose(sums.sum() + b[f], value):
                    raise ValueError(
                        f"demo arithmetic {sums.tolist()} + {b[f]} disagrees with "
                        f"convref's out[0, {f}, {y}, {z}] = {value}"
                    )
                steps.append(
                    Step(f, y, z, top, left, _plain(products), _plain(sums), _plain(b[f]),
                         _plain(value))
                )
    return out, xpad, steps


def _grid(values: np.ndarray, cls: str, label: str, mark=None) -> str:
    """A block of number cells; ``mark(i, j)`` may add a class to a cell."""
    rows, cols = values.shape
    cells = []
    for i in range(rows):
        for j in range(cols):
            extra = f" {mark(i, j)}" if mark and mark(i, j) else ""
            text = "" if values[i, j] is None else f"{values[i, j]:g}"
            cells.append(f'<span class="cd-cell{extra}" data-i="{i}" data-j="{j}">{text}</span>')
    return (
        f'<div class="cd-grid {cls}" style="--cols: {cols}" role="group" '
        f'aria-label="{escape(label)}">{"".join(cells)}</div>'
    )


def _slice(title: str, grid: str) -> str:
    return f'<div class="cd-slice"><span class="cd-name">{escape(title)}</span>{grid}</div>'


@dataclass(frozen=True)
class ConvDemoWidget:
    """The widget's HTML; displays as ``text/html`` in a notebook or on the site."""

    html: str
    data: dict

    def _repr_html_(self) -> str:
        return self.html


def conv_demo_widget(x, w, b, stride: int, pad: int) -> ConvDemoWidget:
    """The demo for one image ``x`` (1, C, H, W) and filters ``w`` (F, C, HH, WW)."""
    out, xpad, steps = _worked_out(x, w, b, stride, pad)
    # what the widget's JavaScript reads: the steps and the output shape
    data = {
        "stride": stride,
        "pad": pad,
        "out_shape": list(out.shape[1:]),
        "steps": [asdict(s) for s in steps],
    }
    uid = f"conv-demo-{next(_ids)}"
    n_filters, channels, hh, ww = w.shape
    _, h_out, w_out = data["out_shape"]
    hp, wp = xpad.shape[1:]

    def is_pad(i: int, j: int) -> str:
        return "cd-pad" if i < pad or j < pad or i >= hp - pad or j >= wp - pad else ""

    inputs = "".join(
        _slice(f"x[0, {c}]", _grid(xpad[c], "cd-in", f"input channel {c}, padded", is_pad))
        for c in range(channels)
    )
    filters = "".join(
        f'<div class="cd-filter" data-f="{f}"><span class="cd-head cd-red">Filter W{f} '
        f"({hh}x{ww}x{channels})</span><div class=\"cd-slices\">"
        + "".join(
            _slice(f"W{f}[{c}]", _grid(w[f, c], "cd-w", f"filter W{f}, channel {c}"))
            for c in range(channels)
        )
        + _slice(f"b[{f}]", _grid(np.array([[b[f]]]), "cd-b", f"bias of filter W{f}"))
        + "</div></div>"
        for f in range(n_filters)
    )
    empty = np.full((hh, ww), None)
    products = "".join(
        _slice(f"channel {c}", _grid(empty, "cd-prod", f"products in channel {c}"))
        .replace('<div class="cd-slice">', f'<div class="cd-slice" data-c="{c}">', 1)
        for c in range(channels)
    )
    # the whole output is written out, so the page reads without JavaScript;
    # the script empties it and fills it step by step
    outputs = "".join(
        _slice(f"out[0, {f}]", _grid(out[0, f], "cd-out", f"output slice {f}"))
        .replace('<div class="cd-slice">', f'<div class="cd-slice" data-f="{f}">', 1)
        for f in range(n_filters)
    )
    n_steps = len(data["steps"])
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    css = (ASSETS / "conv_demo.css").read_text(encoding="utf-8")
    js = (ASSETS / "conv_demo.js").read_text(encoding="utf-8")
    html = f"""<div class="conv-demo" id="{uid}" role="group" aria-labelledby="{uid}-title">
<style>{css}</style>
<p class="cd-title" id="{uid}-title">Convolution demo: input {x.shape[2]}x{x.shape[3]}x{channels},
{n_filters} filters {hh}x{ww}x{channels}, stride {stride}, pad {pad},
output {h_out}x{w_out}x{n_filters}</p>
<div class="cd-controls">
<button type="button" class="cd-btn" data-act="prev" aria-label="Previous output">&#9664;
Previous</button>
<button type="button" class="cd-btn" data-act="play" aria-label="Play"
aria-pressed="false">&#9654; Play</button>
<button type="button" class="cd-btn" data-act="next" aria-label="Next output">Next
&#9654;</button>
<label class="cd-slider-label" for="{uid}-slider">Output number
<output class="cd-pos" for="{uid}-slider">1</output> of {n_steps}</label>
<input type="range" class="cd-slider" id="{uid}-slider" min="0" max="{n_steps - 1}"
value="0" step="1">
</div>
<p class="cd-sum" aria-live="polite" aria-atomic="true"></p>
<div class="cd-panels">
<div class="cd-block"><span class="cd-head cd-blue">Input volume, padded
({hp}x{wp}x{channels})</span><div class="cd-slices">{inputs}</div></div>
<div class="cd-block cd-filters">{filters}</div>
<div class="cd-block"><span class="cd-head">Window &#215; filter, element by element</span>
<div class="cd-slices cd-products">{products}</div></div>
<div class="cd-block"><span class="cd-head cd-green">Output volume
({h_out}x{w_out}x{n_filters})</span><div class="cd-slices">{outputs}</div></div>
</div>
<script type="application/json" class="cd-data">{payload}</script>
<script>{js}</script>
</div>"""
    return ConvDemoWidget(html, data)
