"""Figures for the assignment notebooks: geometry sketches, activation maps, timings.

Every function draws into a new figure (or the ``ax`` given) and returns the
figure, so a notebook cell ending with ``;`` shows exactly one picture.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

_WINDOW_COLOURS = ("tab:red", "tab:blue", "tab:green", "tab:orange")


def best_time(function: Callable[..., Any], *args: Any, repeat: int = 3) -> float:
    """The fastest of ``repeat`` calls of ``function(*args)``, in seconds.

    The minimum is the least disturbed measurement: other programs can only
    make a call slower, never faster.
    """
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1, got {repeat}")
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - start)
    return min(times)


def _grid(ax: Any, rows: int, cols: int) -> None:
    ax.set_xlim(-0.5, cols - 0.5)
    ax.set_ylim(rows - 0.5, -0.5)
    ax.set_xticks(np.arange(cols))
    ax.set_yticks(np.arange(rows))
    ax.set_xticks(np.arange(cols + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(rows + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="0.6", linewidth=0.8)
    ax.tick_params(which="minor", length=0)
    ax.set_aspect("equal")


def draw_windows(
    size: int,
    field: int,
    stride: int,
    pad: int = 0,
    show: int = 2,
    title: str | None = None,
    ax: Any = None,
) -> Figure:
    """Sketch a window sliding over a square input: padding, field size and stride.

    Parameters
    ----------
    size : int
        Input height and width (before padding).
    field : int
        Window (filter or pooling) size.
    stride : int
        Step between neighbouring windows.
    pad : int
        Zero padding on every side, drawn in grey.
    show : int
        How many windows of the first row to outline.
    """
    total = size + 2 * pad
    if field > total:
        raise ValueError(f"a {field}x{field} window does not fit a padded {total}x{total} input")
    fig, ax = _figure(ax, (4, 4))
    _grid(ax, total, total)
    shade = np.zeros((total, total))
    if pad:
        shade[:pad, :] = shade[-pad:, :] = shade[:, :pad] = shade[:, -pad:] = 1
    ax.imshow(shade, cmap="Greys", vmin=0, vmax=4, alpha=0.8)
    for k in range(show):
        left = k * stride
        if left + field > total:
            break
        colour = _WINDOW_COLOURS[k % len(_WINDOW_COLOURS)]
        ax.add_patch(
            Rectangle((left - 0.5, -0.5), field, field, fill=False, lw=3 - 0.6 * k, ec=colour)
        )
    ax.set_title(title or f"input {size}x{size}, pad {pad}, window {field}, stride {stride}")
    return fig


def show_matrix(
    matrix: np.ndarray, title: str = "", xlabel: str = "", ylabel: str = "", ax: Any = None
) -> Figure:
    """Show a small matrix with its values written in the cells."""
    matrix = np.asarray(matrix)
    if matrix.ndim != 2:
        raise ValueError(f"show_matrix needs a 2D array, got shape {matrix.shape}")
    rows, cols = matrix.shape
    fig, ax = _figure(ax, (max(3, 0.45 * cols + 1), max(2, 0.4 * rows + 1)))
    ax.imshow(matrix, cmap="Blues", aspect="auto")
    for (r, c), value in np.ndenumerate(matrix):
        ax.text(c, r, f"{value:g}", ha="center", va="center", fontsize=8)
    ax.set_xticks(np.arange(cols))
    ax.set_yticks(np.arange(rows))
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return fig


def show_maps(image: np.ndarray, maps: Mapping[str, np.ndarray], cmap: str = "gray") -> Figure:
    """Show a picture next to activation maps computed from it, one panel each."""
    panels = [("input", np.asarray(image))] + [(k, np.asarray(v)) for k, v in maps.items()]
    fig, axes = plt.subplots(1, len(panels), figsize=(3 * len(panels), 3.2))
    for ax, (title, data) in zip(np.atleast_1d(axes), panels, strict=True):
        shown = ax.imshow(data, cmap=cmap)
        ax.set_title(title)
        ax.axis("off")
        if title != "input":
            fig.colorbar(shown, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


def plot_timings(
    sizes: Sequence[int], timings: Mapping[str, Sequence[float]], xlabel: str = "input size"
) -> Figure:
    """Plot run times (seconds) against a size, one line per method, on a log scale."""
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for label, seconds in timings.items():
        if len(seconds) != len(sizes):
            raise ValueError(f"{label!r} has {len(seconds)} timings for {len(sizes)} sizes")
        ax.plot(sizes, np.asarray(seconds) * 1e3, marker="o", label=label)
    ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel="time (ms, log scale)")
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    return fig


def draw_crops(
    image_size: int, crop: int, stride: int, highlight: Sequence[tuple[int, int]] = ((0, 0),)
) -> Figure:
    """Sketch where the crops of a larger image start, and outline a few of them.

    Parameters
    ----------
    image_size : int
        Height and width of the large image.
    crop : int
        Height and width of a crop (the network's input size).
    stride : int
        Distance between neighbouring crops.
    highlight : sequence of (row, column)
        Crop indices to outline.
    """
    if crop > image_size:
        raise ValueError(f"a {crop}-pixel crop does not fit a {image_size}-pixel image")
    starts = np.arange(0, image_size - crop + 1, stride)
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.add_patch(Rectangle((0, 0), image_size, image_size, fc="0.92", ec="black"))
    yy, xx = np.meshgrid(starts, starts, indexing="ij")
    ax.plot(xx.ravel(), yy.ravel(), "k.", markersize=4)
    for k, (r, c) in enumerate(highlight):
        colour = _WINDOW_COLOURS[k % len(_WINDOW_COLOURS)]
        ax.add_patch(Rectangle((c * stride, r * stride), crop, crop, fill=False, ec=colour, lw=2))
    ax.set_xlim(-1, image_size + 1)
    ax.set_ylim(image_size + 1, -1)
    ax.set_aspect("equal")
    ax.set_title(f"{len(starts)}x{len(starts)} crops of {crop} px, every {stride} px")
    return fig


def show_score_maps(scores: np.ndarray, labels: Sequence[str] | None = None) -> Figure:
    """Show one score map per class for the first image of ``scores`` (N, K, H, W)."""
    scores = np.asarray(scores)
    if scores.ndim != 4:
        raise ValueError(f"score maps are 4D (N, K, H, W), got shape {scores.shape}")
    k = scores.shape[1]
    labels = list(labels) if labels is not None else [f"class {i}" for i in range(k)]
    fig, axes = plt.subplots(1, k, figsize=(2.4 * k, 2.6))
    for ax, label, panel in zip(np.atleast_1d(axes), labels, scores[0], strict=True):
        ax.imshow(panel, cmap="viridis")
        ax.set_title(label)
        ax.axis("off")
    fig.tight_layout()
    return fig


def _figure(ax: Any, size: tuple[float, float]) -> tuple[Figure, Any]:
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=size)
    return fig, ax
