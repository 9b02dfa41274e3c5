"""Figures of "A ConvNet at work": digits, learned filters, mistakes, the strip.

Each function draws numbers it is given (computed on the page by
:mod:`booklib.digits` and :mod:`convref`) and returns the matplotlib figure.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

INK = "Greys"  # dark = large: ink on paper, as the digits were written
DIVERGING = "RdBu_r"


def digits_grid(images: np.ndarray, titles: list[str], columns: int = 10) -> Figure:
    """Small multiples of 8x8 digits, each with a title."""
    rows = -(-len(images) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(0.8 * columns, 1.0 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, image, title in zip(axes.ravel(), images, titles, strict=False):
        ax.imshow(image.reshape(8, 8), cmap=INK, vmin=0, vmax=1)
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def filters_figure(w: np.ndarray) -> Figure:
    """The first layer's filters ``w`` (K, 1, 3, 3) with their weights printed.

    Red is a positive weight, blue a negative one, on one colour scale for all.
    """
    k = w.shape[0]
    top = float(np.abs(w).max())
    fig, axes = plt.subplots(1, k, figsize=(1.15 * k, 1.5))
    for i, ax in enumerate(axes):
        ax.imshow(w[i, 0], cmap=DIVERGING, vmin=-top, vmax=top)
        for (r, c), v in np.ndenumerate(w[i, 0]):
            ax.text(c, r, f"{v:.1f}", ha="center", va="center", fontsize=7,
                    color="white" if abs(v) > 0.55 * top else "black")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"filter {i + 1}", fontsize=9)
    fig.tight_layout()
    return fig


def maps_figure(image: np.ndarray, maps: np.ndarray) -> Figure:
    """One digit and the first layer's activation maps (K, 6, 6) after ReLU."""
    k = maps.shape[0]
    fig, axes = plt.subplots(1, k + 1, figsize=(1.05 * (k + 1), 1.4))
    axes[0].imshow(image.reshape(8, 8), cmap=INK, vmin=0, vmax=1)
    axes[0].set_title("input", fontsize=9)
    top = float(maps.max()) or 1.0
    for i in range(k):
        axes[i + 1].imshow(maps[i], cmap=INK, vmin=0, vmax=top)
        axes[i + 1].set_title(f"map {i + 1}", fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def loss_figure(losses: np.ndarray) -> Figure:
    """Training loss per epoch, on a log scale."""
    fig, ax = plt.subplots(figsize=(5, 2.6))
    ax.semilogy(np.arange(1, len(losses) + 1), losses, marker="o", markersize=3)
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean training loss")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    return fig


def strip_figure(strip: np.ndarray, scores: np.ndarray, pitch: int, stride: int) -> Figure:
    """The strip of digits above its score map.

    Parameters
    ----------
    strip : ndarray, shape (8, W)
    scores : ndarray, shape (10, P)
        Class scores at the ``P`` positions of the score map.
    pitch : int
        Pixels from one digit's left edge to the next one's.
    stride : int
        The network's total stride: position ``j`` is the crop at pixel ``j * stride``.
    """
    positions = scores.shape[1]
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(7.5, 4.2), gridspec_kw={"height_ratios": [1, 1.6]}
    )
    top.imshow(strip, cmap=INK, vmin=0, vmax=1)
    top.set_yticks([])
    top.set_xticks(range(0, strip.shape[1], pitch))
    top.set_xlabel("pixel column where a digit starts", fontsize=9)
    top.set_title("the strip (8 pixels high)", fontsize=10)
    shifted = scores - scores.max(axis=0, keepdims=True)
    prob = np.exp(shifted) / np.exp(shifted).sum(axis=0, keepdims=True)
    bottom.imshow(prob, cmap=INK, vmin=0, vmax=1, aspect="auto")
    bottom.set_yticks(range(10))
    bottom.set_ylabel("class", fontsize=9)
    bottom.set_xlabel(f"map position (crop starts at {stride} x position)", fontsize=9)
    aligned = range(0, positions, pitch // stride)
    bottom.set_xticks(list(aligned))
    for j in aligned:
        best = int(scores[:, j].argmax())
        bottom.add_patch(plt.Rectangle((j - 0.5, best - 0.5), 1, 1, fill=False,
                                       edgecolor="#c0392b", linewidth=2))
    bottom.set_title("softmax of the score map; red boxes: the crops that line up "
                     "with a digit", fontsize=10)
    fig.tight_layout()
    return fig
