"""The convolution demo as an animation: a filter window stepping over the padded input.

One frame per output number. Each frame outlines the input window in blue and
the active filter in red, writes out the three per-channel dot products and the
bias, and fills in the green output cell. The output values shown are the ones
:func:`convref.conv_forward_naive` computes; the per-channel sums are computed
here from the arrays, and the two are checked against each other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.patches import Rectangle

from convref import conv_forward_naive

BLUE, RED, GREEN = "#2b6cb0", "#c0392b", "#1e8449"
FILLS = {"input": "#e3eefa", "pad": "#f4f4f4", "filter": "#fbe3e0", "output": "#dcf3e3"}
GAP = 1.2  # blank cells between blocks


@dataclass(frozen=True)
class Step:
    """One output number: filter ``f`` at output row ``y``, column ``x``."""

    f: int
    y: int
    x: int
    channel_sums: tuple[float, ...]
    bias: float
    value: float


def demo_steps(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, pad: int) -> list[Step]:
    """Every output number of ``conv(x, w, b)`` for a single image, with its arithmetic.

    Raises
    ------
    ValueError
        If ``x`` holds more than one image, or the arithmetic here disagrees with convref.
    """
    if x.shape[0] != 1:
        raise ValueError(f"the demo animates one image, got a batch of {x.shape[0]}")
    out, _ = conv_forward_naive(x, w, b, {"stride": stride, "pad": pad})
    xpad = np.pad(x[0], ((0, 0), (pad, pad), (pad, pad)))
    F, C, HH, WW = w.shape
    steps = []
    for f in range(F):
        for y in range(out.shape[2]):
            for z in range(out.shape[3]):
                window = xpad[:, y * stride : y * stride + HH, z * stride : z * stride + WW]
                sums = tuple(float(np.sum(window[c] * w[f, c])) for c in range(C))
                value = float(out[0, f, y, z])
                if not np.isclose(sum(sums) + b[f], value):
                    raise ValueError(
                        f"demo arithmetic {sums} + {b[f]} disagrees with convref {value}"
                    )
                steps.append(Step(f, y, z, sums, float(b[f]), value))
    return steps


def _number(v: float) -> str:
    return f"{v:g}"


class _Grid:
    """A block of numbered cells drawn at ``(left, top)`` in cell units (y grows downwards)."""

    def __init__(self, ax, values: np.ndarray, left: float, top: float, fill, label: str) -> None:
        self.left, self.top = left, top
        self.texts = {}
        rows, cols = values.shape
        for i in range(rows):
            for j in range(cols):
                color = fill(i, j) if callable(fill) else fill
                ax.add_patch(
                    Rectangle(
                        (left + j, top + i),
                        1,
                        1,
                        facecolor=color,
                        edgecolor="#999999",
                        linewidth=0.6,
                    )
                )
                self.texts[i, j] = ax.text(
                    left + j + 0.5,
                    top + i + 0.55,
                    _number(values[i, j]),
                    ha="center",
                    va="center",
                    fontsize=9,
                )
        ax.text(left, top - 0.35, label, fontsize=9, family="monospace", va="bottom")


def conv_demo_animation(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, pad: int, interval_ms: int = 1400
) -> FuncAnimation:
    """Build the animation for one image ``x`` (1, C, H, W) and filters ``w`` (F, C, HH, WW)."""
    steps = demo_steps(x, w, b, stride, pad)
    C, H, W_in = x.shape[1:]
    F, _, HH, WW = w.shape
    Hp, Wp = H + 2 * pad, W_in + 2 * pad
    H_out = (Hp - HH) // stride + 1
    W_out = (Wp - WW) // stride + 1
    xpad = np.pad(x[0], ((0, 0), (pad, pad), (pad, pad)))

    block_h = Hp + GAP
    width = Wp + GAP + F * (WW + GAP) + W_out + 1
    height = C * block_h + 2.6
    fig, ax = plt.subplots(figsize=(width * 0.4, height * 0.4), dpi=80)
    fig.subplots_adjust(left=0.01, right=0.99, top=0.99, bottom=0.01)
    ax.set_xlim(-0.2, width)
    ax.set_ylim(height, -1.2)
    ax.set_axis_off()

    def is_pad(i: int, j: int) -> bool:
        return i < pad or j < pad or i >= pad + H or j >= pad + W_in

    ax.text(
        0, -1.0, f"Input volume (+pad {pad}): {Hp}x{Wp}x{C}", color=BLUE, fontsize=10, weight="bold"
    )
    for c in range(C):
        _Grid(
            ax,
            xpad[c],
            0,
            c * block_h + 0.6,
            lambda i, j: FILLS["pad"] if is_pad(i, j) else FILLS["input"],
            f"x[0, {c}]",
        )

    filter_left = [Wp + GAP + f * (WW + GAP) for f in range(F)]
    filter_titles = []
    for f in range(F):
        left = filter_left[f]
        filter_titles.append(
            ax.text(left, -1.0, f"Filter W{f}", color=RED, fontsize=10, weight="bold")
        )
        for c in range(C):
            _Grid(ax, w[f, c], left, c * block_h + 0.6, FILLS["filter"], f"w[{f}, {c}]")
        _Grid(ax, np.array([[b[f]]]), left, C * block_h + 0.6, FILLS["filter"], f"b[{f}]")

    out_left = filter_left[-1] + WW + GAP
    ax.text(out_left, -1.0, f"Output: {H_out}x{W_out}x{F}", color=GREEN, fontsize=10, weight="bold")
    out_grids = [
        _Grid(
            ax,
            np.zeros((H_out, W_out)),
            out_left,
            f * (H_out + GAP + 0.4) + 0.6,
            FILLS["output"],
            f"out[0, {f}]",
        )
        for f in range(F)
    ]
    for grid in out_grids:
        for text in grid.texts.values():
            text.set_text("")

    windows = [
        Rectangle((0, 0), WW, HH, fill=False, edgecolor=BLUE, linewidth=2.6) for _ in range(C)
    ]
    filter_boxes = [
        Rectangle((0, 0), WW, HH, fill=False, edgecolor=RED, linewidth=2.6) for _ in range(C + 1)
    ]
    out_box = Rectangle((0, 0), 1, 1, fill=False, edgecolor=GREEN, linewidth=2.8)
    for patch in [*windows, *filter_boxes, out_box]:
        ax.add_patch(patch)
    sum_text = ax.text(0, C * block_h + 2.3, "", fontsize=10, family="monospace")

    def draw(k: int):
        s = steps[k]
        for c, rect in enumerate(windows):
            rect.set_xy((s.x * stride, c * block_h + 0.6 + s.y * stride))
        left = filter_left[s.f]
        for c, rect in enumerate(filter_boxes[:C]):
            rect.set_xy((left, c * block_h + 0.6))
        filter_boxes[C].set_bounds(left, C * block_h + 0.6, 1, 1)
        for f, title in enumerate(filter_titles):
            title.set_alpha(1.0 if f == s.f else 0.35)
        for j, done in enumerate(steps):
            out_grids[done.f].texts[done.y, done.x].set_text(_number(done.value) if j <= k else "")
        out_box.set_xy((out_left + s.x, s.f * (H_out + GAP + 0.4) + 0.6 + s.y))
        parts = " + ".join(f"({_number(v)})" for v in s.channel_sums)
        sum_text.set_text(
            f"out[0, {s.f}, {s.y}, {s.x}] = {parts} + b[{s.f}] ({_number(s.bias)}) = "
            f"{_number(s.value)}"
        )
        return [*windows, *filter_boxes, out_box, sum_text]

    anim = FuncAnimation(fig, draw, frames=len(steps), interval=interval_ms, blit=False)
    plt.close(fig)
    return anim


_CDN_LINK = re.compile(r"<link[^>]*href=\"https?://[^\"]*\"[^>]*>", flags=re.IGNORECASE)


def offline_jshtml(anim: FuncAnimation, alt: str) -> str:
    """``anim.to_jshtml()`` without matplotlib's link to a Font Awesome CDN, and
    with the text a screen reader needs.

    The site already serves Font Awesome (the theme bundles it, with the
    class names the player's buttons use), and the book must work offline.
    matplotlib's player has an ``<img>`` without ``alt`` and a frame slider
    without a label: the frame gets ``alt`` (what the animation shows) and the
    slider the name "Animation frame".

    Raises
    ------
    ValueError
        If ``alt`` is empty, or any other ``http(s)`` resource is left in the HTML.
    """
    if not alt.strip():
        raise ValueError("the animation needs an alt text saying what it shows")
    html = _CDN_LINK.sub("", anim.to_jshtml(default_mode="once"))
    html = re.sub(r'<img id="(_anim_img\w+)"',
                  lambda m: f'<img id="{m.group(1)}" alt="{escape(alt)}"', html, count=1)
    html = re.sub(r'<input id="(_anim_slider\w+)"', r'<input id="\1" aria-label="Animation frame"',
                  html, count=1)
    leftover = re.findall(r"(?:src|href)=\"(https?://[^\"]+)\"", html)
    if leftover:
        raise ValueError(f"the animation still loads remote resources: {leftover}")
    return html
