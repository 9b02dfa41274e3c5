"""Convolution by explicit loops: the definition, written to be read.

The layer computes a cross-correlation (no filter flip), as every deep-learning
library does and as the notes define it::

    out[n, f, y, x] = b[f] + sum_{c, i, j} w[f, c, i, j]
                      * x_pad[n, c, y*stride + i*dilation, x*stride + j*dilation]
"""

from __future__ import annotations

from typing import Any

from convref._checks import check_cache, check_dout
from convref.backend import get_array_module
from convref.conv_params import conv_geometry, conv_inputs


def conv_forward_naive(
    x: Any, w: Any, b: Any, conv_param: dict
) -> tuple[Any, tuple]:
    """Forward pass of a conv layer, by loops.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Input. Integer inputs are converted to float64.
    w : ndarray, shape (F, C, HH, WW)
        Filters.
    b : ndarray, shape (F,)
        Biases.
    conv_param : dict
        ``stride`` (>= 1), ``pad`` (zero padding on each side, >= 0) and
        optionally ``dilation`` (>= 1, 1 = contiguous filter taps).

    Returns
    -------
    out : ndarray, shape (N, F, H_out, W_out)
        ``H_out = (H + 2*pad - dilation*(HH-1) - 1) / stride + 1``, likewise ``W_out``.
    cache : tuple
        ``(x, w, b, conv_param)`` for :func:`conv_backward_naive`.

    Raises
    ------
    ValueError
        Wrong number of dimensions, channel mismatch, bad hyperparameters,
        or a stride that does not fit.
    TypeError
        Non-real dtypes.
    """
    xp = get_array_module(x, w, b)
    x, w, b = conv_inputs(x, w, b, xp)
    g = conv_geometry(x, w, b, conv_param)
    s, d = g.stride, g.dilation
    xpad = xp.pad(x, ((0, 0), (0, 0), (g.pad, g.pad), (g.pad, g.pad)))
    out = xp.zeros(g.out_shape, dtype=x.dtype)
    for n in range(g.N):
        for f in range(g.F):
            for y in range(g.H_out):
                for z in range(g.W_out):
                    window = xpad[
                        n, :, y * s : y * s + d * (g.HH - 1) + 1 : d,
                        z * s : z * s + d * (g.WW - 1) + 1 : d,
                    ]
                    out[n, f, y, z] = xp.sum(window * w[f]) + b[f]
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout: Any, cache: tuple) -> tuple[Any, Any, Any]:
    """Backward pass of a conv layer, by loops.

    Parameters
    ----------
    dout : ndarray, shape (N, F, H_out, W_out)
        Upstream gradient.
    cache : tuple
        From :func:`conv_forward_naive`.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    dw : ndarray, shape (F, C, HH, WW)
    db : ndarray, shape (F,)
    """
    x, w, b, conv_param = check_cache(cache, 4, "conv_backward_naive")
    xp = get_array_module(x, dout)
    g = conv_geometry(x, w, b, conv_param)
    check_dout(dout, g.out_shape, "conv_backward_naive")
    s, d, p = g.stride, g.dilation, g.pad
    xpad = xp.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dxpad = xp.zeros_like(xpad)
    dw = xp.zeros_like(w)
    db = dout.sum(axis=(0, 2, 3)).astype(x.dtype)
    for n in range(g.N):
        for f in range(g.F):
            for y in range(g.H_out):
                for z in range(g.W_out):
                    ys = slice(y * s, y * s + d * (g.HH - 1) + 1, d)
                    zs = slice(z * s, z * s + d * (g.WW - 1) + 1, d)
                    g_out = dout[n, f, y, z]
                    dw[f] += g_out * xpad[n, :, ys, zs]
                    dxpad[n, :, ys, zs] += g_out * w[f]
    dx = dxpad[:, :, p : p + g.H, p : p + g.W]
    return xp.ascontiguousarray(dx), dw, db
