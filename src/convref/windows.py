"""Strided views of every filter tap: the shared engine of im2col, col2im and pooling.

For a window of ``HH x WW`` taps sliding with ``stride`` over an input,
tap ``(i, j)`` of every window at once is the basic-indexing view::

    x[..., i*d : i*d + stride*(H_out-1) + 1 : stride,
           j*d : j*d + stride*(W_out-1) + 1 : stride]

of shape ``(..., H_out, W_out)``. Looping over the ``HH*WW`` taps and doing
whole-array work on each view replaces the four nested loops of the naive
layers with a handful of vectorised operations (and needs nothing beyond basic
slicing, so it runs unchanged on CuPy).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def tap_slices(
    HH: int, WW: int, stride: int, dilation: int, H_out: int, W_out: int
) -> Iterator[tuple[int, int, slice, slice]]:
    """Yield ``(i, j, rows, cols)`` for each tap, in row-major order of the window."""
    for i in range(HH):
        rows = slice(i * dilation, i * dilation + stride * (H_out - 1) + 1, stride)
        for j in range(WW):
            cols = slice(j * dilation, j * dilation + stride * (W_out - 1) + 1, stride)
            yield i, j, rows, cols


def window_view(
    xp: Any, xpad: Any, HH: int, WW: int, stride: int, dilation: int, H_out: int, row: int
) -> Any:
    """Every receptive field of ``xpad`` at once, as one strided view (no copy).

    Parameters
    ----------
    xpad : ndarray, shape (N, C, Hp, Wp)
        The padded input.
    row : int
        Window positions per output row: ``W_out``, or for stride 1 the padded
        width ``Wp``, whose last ``Wp - W_out`` positions wrap into the next
        row (their outputs are thrown away). ``xpad`` must then be C-contiguous
        with at least one spare zero row below each image, so the wrapped reads
        of the last row stay inside the image's own buffer.

    Returns
    -------
    view : ndarray, shape (N, C, HH, WW, H_out, row)
        ``view[n, c, i, j, y, x] = xpad[n, c, y*stride + i*dilation, x*stride + j*dilation]``.
        With ``row = Wp`` and stride 1 the last two axes are one run of
        ``H_out * Wp`` consecutive elements, so copying the view moves long rows.
    """
    sN, sC, sH, sW = xpad.strides
    shape = (xpad.shape[0], xpad.shape[1], HH, WW, H_out, row)
    strides = (sN, sC, dilation * sH, dilation * sW, stride * sH, stride * sW)
    # as_strided checks nothing: refuse a view that would read outside xpad.
    low, high = _extent(shape, strides)
    own_low, own_high = _extent(xpad.shape, xpad.strides)
    if low < own_low or high > own_high:
        raise ValueError(
            f"a {HH}x{WW} window view with {row} positions per row reaches outside the "
            f"padded input of shape {tuple(xpad.shape)} (a spare row is missing)"
        )
    return xp.lib.stride_tricks.as_strided(xpad, shape, strides)


def _extent(shape: tuple[int, ...], strides: tuple[int, ...]) -> tuple[int, int]:
    """Lowest and highest byte offset (from the first element) an array reaches."""
    low = sum(min(0, (n - 1) * s) for n, s in zip(shape, strides, strict=True))
    high = sum(max(0, (n - 1) * s) for n, s in zip(shape, strides, strict=True))
    return low, high
