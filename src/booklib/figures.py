"""The figures the chapters' own code cells draw, under the names those cells
use: activation maps, the im2col layout, pooling windows and receptive-field
growth. Each returns a :class:`booklib.svg.Picture` (SVG); the figure cell
that follows shows it with its caption and alt text. The drawing lives in
:mod:`booklib.diagrams`; every number drawn comes from a :mod:`convref` call.
"""

from __future__ import annotations

import numpy as np

from booklib.diagrams import im2col, maps, pooling
from booklib.diagrams.maps import toy_filters, toy_image
from booklib.svg import Picture

__all__ = [
    "activation_maps_figure",
    "im2col_figure",
    "pooling_figure",
    "receptive_field_figure",
    "toy_filters",
    "toy_image",
]


def activation_maps_figure() -> tuple[Picture, tuple[int, ...]]:
    """Input image and the ReLU activation map of each toy filter; also the output shape."""
    return maps.activation_maps()


def im2col_figure(channels: int = 2, size: int = 4, field: int = 3
                  ) -> tuple[Picture, tuple[int, int]]:
    """An input whose pixels hold their own index, and the ``X_col`` im2col makes of it."""
    return im2col.columns(channels, size, field)


def pooling_figure(x: np.ndarray, field: int, stride: int, title: str = "") -> Picture:
    """Max pooling of one 2D slice: windows outlined, each window's max shaded,
    the pooled output beside it. ``title`` is kept for the chapters' calls."""
    picture, _ = pooling.max_pool_forward(x, field, stride)
    return picture


def receptive_field_figure(size: int = 17) -> Picture:
    """Receptive field of the centre neuron after 1, 2, 3 stacked 3x3 layers."""
    return maps.receptive_fields(size)
