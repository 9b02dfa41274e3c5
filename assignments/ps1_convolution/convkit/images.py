"""A test picture drawn from formulas, so the notebooks need no downloads.

The scene has what hand-made filters respond to: straight edges in two
directions (a square), a curved edge (a disc), fine stripes (texture) and a
smooth ramp (which edge filters should ignore).
"""

from __future__ import annotations

import numpy as np


def synthetic_scene(size: int = 64) -> np.ndarray:
    """A grayscale picture of shapes, values in [0, 1].

    Parameters
    ----------
    size : int
        Height and width in pixels, at least 16.

    Returns
    -------
    ndarray, shape (size, size), float64

    Raises
    ------
    ValueError
        If ``size`` is smaller than 16 (the shapes would not fit).
    """
    if int(size) != size or size < 16:
        raise ValueError(f"synthetic_scene needs an integer size >= 16, got {size!r}")
    rows, cols = np.mgrid[0:size, 0:size] / size  # coordinates in [0, 1)
    scene = 0.25 + 0.2 * cols  # a gentle left-to-right ramp as background
    square = (rows > 0.12) & (rows < 0.45) & (cols > 0.1) & (cols < 0.43)
    scene[square] = 0.9
    disc = (rows - 0.68) ** 2 + (cols - 0.3) ** 2 < 0.18**2
    scene[disc] = 0.05
    stripes = (rows > 0.55) & (rows < 0.9) & (cols > 0.58) & (cols < 0.92)
    scene[stripes] = np.where(np.sin(2 * np.pi * 6 * (rows + cols)) > 0, 0.85, 0.15)[stripes]
    bar = (rows > 0.15) & (rows < 0.42) & (np.abs(cols - 0.75) < 0.04)
    scene[bar] = 0.95
    return scene


def as_batch(image: np.ndarray) -> np.ndarray:
    """A 2D picture as a batch of one single-channel image, shape (1, 1, H, W)."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2:
        raise ValueError(f"as_batch expects a 2D picture, got shape {image.shape}")
    return image[None, None]
