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


def tap_slices(
    HH: int, WW: int, stride: int, dilation: int, H_out: int, W_out: int
) -> Iterator[tuple[int, int, slice, slice]]:
    """Yield ``(i, j, rows, cols)`` for each tap, in row-major order of the window."""
    for i in range(HH):
        rows = slice(i * dilation, i * dilation + stride * (H_out - 1) + 1, stride)
        for j in range(WW):
            cols = slice(j * dilation, j * dilation + stride * (W_out - 1) + 1, stride)
            yield i, j, rows, cols
