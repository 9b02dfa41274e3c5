"""im2col and its adjoint col2im: a convolution becomes one matrix multiply.

Layout (shared with the student notebooks): ``cols = im2col(x, HH, WW, ...)``
has shape ``(C*HH*WW, N*H_out*W_out)``. Its rows are ordered ``(c, i, j)``
exactly like ``w.reshape(F, -1)``, and its columns ``(n, y, x)`` in C order, so
that ``w.reshape(F, -1) @ cols`` reshaped to ``(F, N, H_out, W_out)`` and
transposed to NCHW is the convolution.

Both are built on the per-image form :func:`fill_cols` / :func:`add_cols`
(shape ``(N, C, HH, WW, H_out, W_out)``), one tap at a time. The conv layer's
fast path (:mod:`convref.conv_fast`) builds the same per-image columns in one
strided copy instead (:func:`convref.windows.window_view`), so that the output
comes out of the matrix multiply already in NCHW order.
"""

from __future__ import annotations

from typing import Any

from convref._checks import as_float_array, require_int, require_ndim
from convref.backend import get_array_module
from convref.sizes import conv_output_size
from convref.windows import tap_slices


def fill_cols(xpad: Any, cols: Any, stride: int, dilation: int) -> Any:
    """Copy every receptive field of ``xpad`` into ``cols``; return ``cols``.

    Parameters
    ----------
    xpad : ndarray, shape (N, C, Hp, Wp)
        The already padded input.
    cols : ndarray, shape (N, C, HH, WW, H_out, W_out)
        Destination; ``cols[n, c, i, j, y, x] = xpad[n, c, y*s + i*d, x*s + j*d]``.
    """
    _, _, HH, WW, H_out, W_out = cols.shape
    for i, j, rows, cs in tap_slices(HH, WW, stride, dilation, H_out, W_out):
        cols[:, :, i, j] = xpad[:, :, rows, cs]
    return cols


def add_cols(dcols: Any, dxpad: Any, stride: int, dilation: int) -> Any:
    """Adjoint of :func:`fill_cols`: scatter-add ``dcols`` into ``dxpad``; return ``dxpad``."""
    _, _, HH, WW, H_out, W_out = dcols.shape
    for i, j, rows, cs in tap_slices(HH, WW, stride, dilation, H_out, W_out):
        dxpad[:, :, rows, cs] += dcols[:, :, i, j]
    return dxpad


def im2col(
    x: Any,
    field_height: int,
    field_width: int,
    stride: int = 1,
    pad: int = 0,
    dilation: int = 1,
) -> Any:
    """Stretch every receptive field of ``x`` into a column.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    field_height, field_width : int
        Filter size ``HH``, ``WW``.
    stride, pad, dilation : int
        As in ``conv_param``.

    Returns
    -------
    cols : ndarray, shape (C*HH*WW, N*H_out*W_out)
        Rows ordered ``(c, i, j)``, columns ordered ``(n, y, x)``.

    Raises
    ------
    ValueError
        If ``x`` is not 4D or the window does not fit (see ``conv_output_size``).
    """
    xp = get_array_module(x)
    x = as_float_array(x, "x", xp)
    require_ndim(x, 4, "x", "(N, C, H, W)")
    N, C, H, W = x.shape
    HH, WW, H_out, W_out = _field(H, W, field_height, field_width, stride, pad, dilation)
    xpad = xp.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = xp.empty((N, C, HH, WW, H_out, W_out), dtype=x.dtype)
    fill_cols(xpad, cols, stride, dilation)
    # (N, C*HH*WW, L) -> (C*HH*WW, N, L): rows (c, i, j), columns (n, y, x).
    cols = cols.reshape(N, C * HH * WW, H_out * W_out).transpose(1, 0, 2)
    return cols.reshape(C * HH * WW, N * H_out * W_out)


def col2im(
    cols: Any,
    x_shape: tuple[int, int, int, int],
    field_height: int,
    field_width: int,
    stride: int = 1,
    pad: int = 0,
    dilation: int = 1,
) -> Any:
    """Adjoint of :func:`im2col`: sum each column back onto the pixels it came from.

    Parameters
    ----------
    cols : ndarray, shape (C*HH*WW, N*H_out*W_out)
    x_shape : tuple
        ``(N, C, H, W)`` of the image that ``cols`` was made from.

    Returns
    -------
    x : ndarray, shape (N, C, H, W)
        Pixels covered by several receptive fields receive the sum of their
        columns' entries (this is the gradient of ``im2col``, not its inverse).
    """
    xp = get_array_module(cols)
    cols = as_float_array(cols, "cols", xp)
    if len(x_shape) != 4:
        raise ValueError(f"x_shape must be (N, C, H, W), got {tuple(x_shape)}")
    N, C, H, W = (int(s) for s in x_shape)
    HH, WW, H_out, W_out = _field(H, W, field_height, field_width, stride, pad, dilation)
    expected = (C * HH * WW, N * H_out * W_out)
    if tuple(cols.shape) != expected:
        raise ValueError(f"cols has shape {tuple(cols.shape)}, expected {expected} for {x_shape}")
    dcols = cols.reshape(C, HH, WW, N, H_out, W_out).transpose(3, 0, 1, 2, 4, 5)
    dxpad = xp.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=cols.dtype)
    add_cols(dcols, dxpad, stride, dilation)
    return xp.ascontiguousarray(dxpad[:, :, pad : pad + H, pad : pad + W])


def _field(
    H: int, W: int, HH: int, WW: int, stride: int, pad: int, dilation: int
) -> tuple[int, int, int, int]:
    HH = require_int(HH, "field_height", 1)
    WW = require_int(WW, "field_width", 1)
    H_out = conv_output_size(H, HH, stride, pad, dilation)
    W_out = conv_output_size(W, WW, stride, pad, dilation)
    return HH, WW, H_out, W_out
