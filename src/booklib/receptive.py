"""Receptive fields of stacked 3x3 convolutions, by formula and by measurement.

The measurement needs no formula: push a one-hot gradient at the centre of the
top layer back down the stack with :func:`convref.conv_backward_im2col` (all
weights one), and every input pixel that receives a non-zero gradient is inside
the receptive field. The entries count the paths from that pixel up to the
chosen neuron.
"""

from __future__ import annotations

import numpy as np

from convref import conv_backward_im2col, conv_forward_im2col


def receptive_field_formula(kernel: int, dilations: list[int]) -> list[int]:
    """Receptive field after each stride-1 layer: ``r_l = r_(l-1) + dilation_l * (kernel - 1)``.

    ``dilation`` follows the library convention (1 = contiguous; the notes'
    "dilation 1", one gap between taps, is 2 here).
    """
    sizes, r = [], 1
    for d in dilations:
        if d < 1:
            raise ValueError(f"dilation must be >= 1 (1 = contiguous), got {d}")
        r += d * (kernel - 1)
        sizes.append(r)
    return sizes


def path_counts(kernel: int, dilations: list[int], size: int) -> list[np.ndarray]:
    """Per depth ``l``: how many paths join each input pixel to the centre neuron of layer ``l``.

    Parameters
    ----------
    kernel : int
        Filter size of every layer (odd).
    dilations : list of int
        One dilation per layer, library convention.
    size : int
        Side of the square input; large enough to hold the biggest receptive field.

    Returns
    -------
    list of ndarray, each (size, size)
        Zero outside the receptive field.
    """
    needed = receptive_field_formula(kernel, dilations)[-1]
    if size < needed:
        raise ValueError(f"input size {size} cannot hold a receptive field of {needed}")
    w = np.ones((1, 1, kernel, kernel))
    b = np.zeros(1)
    x = np.zeros((1, 1, size, size))
    caches = []
    for d in dilations:
        pad = d * (kernel - 1) // 2  # keeps the spatial size
        x, cache = conv_forward_im2col(x, w, b, {"stride": 1, "pad": pad, "dilation": d})
        caches.append(cache)
    maps = []
    centre = size // 2
    for depth in range(1, len(dilations) + 1):
        grad = np.zeros((1, 1, size, size))
        grad[0, 0, centre, centre] = 1.0
        for cache in reversed(caches[:depth]):
            grad, _, _ = conv_backward_im2col(grad, cache)
        maps.append(grad[0, 0])
    return maps


def measured_size(counts: np.ndarray) -> int:
    """Width of the non-zero region of a path-count map."""
    cols = np.flatnonzero(counts.any(axis=0))
    return int(cols[-1] - cols[0] + 1) if cols.size else 0
