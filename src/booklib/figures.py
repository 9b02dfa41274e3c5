"""Figures of the book: activation maps, the im2col layout, pooling windows and
receptive-field growth. Every number drawn comes from a :mod:`convref` call.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from booklib.receptive import measured_size, path_counts
from convref import (
    conv_forward_im2col,
    im2col,
    max_pool_backward_naive,
    max_pool_forward_naive,
    relu_forward,
)

PALETTE = ["#2b6cb0", "#c0392b", "#1e8449", "#8e44ad", "#d68910", "#17a589"]


# --- activation maps ----------------------------------------------------------------


def toy_image(size: int = 32) -> np.ndarray:
    """A small RGB scene (1, 3, size, size) in [0, 1]: a red square, a blue disc, a green bar."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    img = np.full((3, size, size), 0.15)
    square = (xx > 0.1) & (xx < 0.45) & (yy > 0.12) & (yy < 0.47)
    disc = (xx - 0.68) ** 2 + (yy - 0.68) ** 2 < 0.2**2
    bar = (np.abs((xx + yy) - 0.95) < 0.07) & ~square & ~disc
    img[0][square] = 0.9
    img[2][disc] = 0.9
    img[1][bar] = 0.8
    return img[None]


def toy_filters() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Four hand-made 3x3x3 filters: two edge detectors, a colour detector and a spot detector."""
    vertical = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float)
    spot = -np.ones((3, 3)) / 8
    spot[1, 1] = 1.0
    w = np.zeros((4, 3, 3, 3))
    w[0] = vertical / 3  # same edge filter on every channel: responds to brightness edges
    w[1] = vertical.T / 3
    w[2, :, 1, 1] = [-0.5, -0.5, 1.0]  # blue minus the rest, at the centre only
    w[3] = spot / 3
    names = ["vertical edges", "horizontal edges", "blueness", "small spots"]
    return w, np.zeros(4), names


def activation_maps_figure() -> tuple[Figure, tuple[int, ...]]:
    """Input image and the ReLU activation map of each toy filter; also the output shape."""
    x = toy_image()
    w, b, names = toy_filters()
    out, _ = conv_forward_im2col(x, w, b, {"stride": 1, "pad": 1})
    maps, _ = relu_forward(out)
    fig, axes = plt.subplots(1, 1 + len(names), figsize=(12, 2.9))
    axes[0].imshow(np.clip(x[0].transpose(1, 2, 0), 0, 1))
    axes[0].set_title(f"input {x.shape[2]}x{x.shape[3]}x{x.shape[1]}")
    for k, (ax, name) in enumerate(zip(axes[1:], names, strict=True)):
        ax.imshow(maps[0, k], cmap="gray")
        ax.set_title(f"map {k}: {name}", fontsize=10)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig, tuple(int(s) for s in maps.shape)


# --- im2col layout ------------------------------------------------------------------


def _numbered_grid(ax, values, left, top, colors=None, fontsize=8) -> None:
    rows, cols = values.shape
    for i in range(rows):
        for j in range(cols):
            face = "white" if colors is None or colors[i][j] is None else colors[i][j]
            ax.add_patch(
                Rectangle(
                    (left + j, top + i), 1, 1, facecolor=face, edgecolor="#999999", linewidth=0.5
                )
            )
            ax.text(
                left + j + 0.5,
                top + i + 0.55,
                f"{values[i, j]:g}",
                ha="center",
                va="center",
                fontsize=fontsize,
            )


def im2col_figure(
    channels: int = 2, size: int = 4, field: int = 3
) -> tuple[Figure, tuple[int, int]]:
    """An input whose pixels hold their own index, and the ``X_col`` matrix im2col makes of it.

    Each column of ``X_col`` is one receptive field, in the colour of its outline on
    the input; pixels inside several fields show up in several columns.
    """
    x = np.arange(channels * size * size).reshape(1, channels, size, size)
    cols = im2col(x, field, field, stride=1, pad=0)
    n_out = size - field + 1
    fig, ax = plt.subplots(figsize=(11, 6.2))
    ax.set_axis_off()
    ax.set_aspect("equal")
    for c in range(channels):
        top = c * (size + 1.5)
        _numbered_grid(ax, x[0, c], 0, top, fontsize=9)
        ax.text(0, top - 0.3, f"x[0, {c}]", fontsize=9, family="monospace")
        for k in range(n_out * n_out):
            y, z = divmod(k, n_out)
            inset = 0.08 * (k + 1)
            ax.add_patch(
                Rectangle(
                    (z + inset, top + y + inset),
                    field - 2 * inset,
                    field - 2 * inset,
                    fill=False,
                    edgecolor=PALETTE[k],
                    linewidth=2,
                )
            )
    left = size + 3
    colors = [[PALETTE[j] + "40" for j in range(cols.shape[1])] for _ in range(cols.shape[0])]
    scale = 0.62
    for i in range(cols.shape[0]):
        for j in range(cols.shape[1]):
            ax.add_patch(
                Rectangle(
                    (left + j * 1.2, i * scale),
                    1.2,
                    scale,
                    facecolor=colors[i][j],
                    edgecolor="#999999",
                    linewidth=0.5,
                )
            )
            ax.text(
                left + j * 1.2 + 0.6,
                i * scale + scale / 2,
                f"{cols[i, j]:g}",
                ha="center",
                va="center",
                fontsize=7.5,
            )
    ax.text(
        left,
        -0.3,
        f"X_col = im2col(x): {cols.shape[0]} x {cols.shape[1]}",
        fontsize=10,
        family="monospace",
    )
    for i in range(cols.shape[0]):
        c, rest = divmod(i, field * field)
        r, s = divmod(rest, field)
        ax.text(
            left + cols.shape[1] * 1.2 + 0.3,
            i * scale + scale / 2,
            f"(c={c}, i={r}, j={s})",
            va="center",
            fontsize=7,
            color="#555555",
        )
    ax.set_xlim(-0.5, left + cols.shape[1] * 1.2 + 4.5)
    ax.set_ylim(max(channels * (size + 1.5), cols.shape[0] * scale) + 0.2, -1)
    fig.tight_layout()
    return fig, tuple(int(s) for s in cols.shape)


# --- pooling windows ----------------------------------------------------------------


def pooling_figure(x: np.ndarray, field: int, stride: int, title: str) -> Figure:
    """Max pooling of one 2D slice: windows outlined, each window's max ringed, and the
    gradient routing of the backward pass (the "switches") for an upstream gradient of ones."""
    x4 = x[None, None].astype(float)
    param = {"pool_height": field, "pool_width": field, "stride": stride}
    out, cache = max_pool_forward_naive(x4, param)
    dx = max_pool_backward_naive(np.ones_like(out), cache)
    n_out = out.shape[2]
    fig, axes = plt.subplots(
        1, 3, figsize=(11, 3.6), gridspec_kw={"width_ratios": [x.shape[1], n_out + 1, x.shape[1]]}
    )
    for ax in axes:
        ax.set_axis_off()
        ax.set_aspect("equal")
    ax = axes[0]
    _numbered_grid(ax, x, 0, 0, fontsize=10)
    for k in range(n_out * n_out):
        y, z = divmod(k, n_out)
        inset = 0.06 * (k % 4 + 1)
        ax.add_patch(
            Rectangle(
                (z * stride + inset, y * stride + inset),
                field - 2 * inset,
                field - 2 * inset,
                fill=False,
                edgecolor=PALETTE[k % 6],
                linewidth=2.2,
            )
        )
    ax.set_xlim(-0.2, x.shape[1] + 0.2)
    ax.set_ylim(x.shape[0] + 0.2, -0.8)
    ax.set_title(
        f"input {x.shape[0]}x{x.shape[1]}, windows {field}x{field}, stride {stride}", fontsize=10
    )
    ax = axes[1]
    _numbered_grid(
        ax,
        out[0, 0],
        0.5,
        0.5,
        colors=[[PALETTE[(y * n_out + z) % 6] + "40" for z in range(n_out)] for y in range(n_out)],
        fontsize=11,
    )
    ax.set_xlim(0, n_out + 1)
    ax.set_ylim(n_out + 1, -0.3)
    ax.set_title(f"max pool: {n_out}x{n_out}", fontsize=10)
    ax = axes[2]
    hits = [
        ["#f5d76e" if dx[0, 0, i, j] else None for j in range(x.shape[1])]
        for i in range(x.shape[0])
    ]
    _numbered_grid(ax, dx[0, 0], 0, 0, colors=hits, fontsize=10)
    ax.set_xlim(-0.2, x.shape[1] + 0.2)
    ax.set_ylim(x.shape[0] + 0.2, -0.8)
    ax.set_title("backward: gradient of ones routed to each max", fontsize=10)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


# --- receptive fields ---------------------------------------------------------------


def receptive_field_figure(size: int = 17) -> Figure:
    """Receptive field of the centre neuron after 1, 2, 3 stacked 3x3 layers, contiguous
    (top) and dilated 1, 2, 4 (bottom); cell shade = number of paths to the neuron."""
    rows = [([1, 1, 1], "contiguous 3x3"), ([1, 2, 4], "dilations 1, 2, 4")]
    fig, axes = plt.subplots(2, 3, figsize=(10, 7))
    for r, (dilations, label) in enumerate(rows):
        for depth, counts in enumerate(path_counts(3, dilations, size), start=1):
            ax = axes[r, depth - 1]
            ax.imshow(np.where(counts > 0, counts, np.nan), cmap="viridis")
            ax.set_xticks(np.arange(-0.5, size, 1), minor=True)
            ax.set_yticks(np.arange(-0.5, size, 1), minor=True)
            ax.grid(which="minor", color="#dddddd", linewidth=0.4)
            ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
            ax.set_title(
                f"{label}, {depth} layer{'s' if depth > 1 else ''}: "
                f"{measured_size(counts)}x{measured_size(counts)}",
                fontsize=9.5,
            )
    fig.tight_layout()
    return fig
