"""Fast max and average pooling for any window and stride.

A 2D window reduction is done as two 1D ones: first along the width (over
``pool_width`` taps), then along the height (over ``pool_height`` taps). Each
1D pass loops over its few taps and does whole-array work on strided views, so
a 2x2 pool costs two cheap passes instead of four nested loops.

Switches: each 1D pass records which tap won, keeping the earlier tap on a tie.
Reducing the width first and the height second therefore selects, in every
window, the first maximum in row-major order - the same input the naive loops
(and PyTorch) pick. The backward pass undoes the two passes in reverse.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from convref._checks import as_float_array, check_cache, check_dout
from convref.backend import get_array_module
from convref.pool_params import pool_geometry

_W, _H = 3, 2  # axes of an NCHW array


def _taps(axis: int, taps: int, stride: int, n_out: int) -> Iterator[tuple[int, tuple]]:
    """``(k, index)`` selecting tap ``k`` of every window along ``axis``."""
    for k in range(taps):
        index = [slice(None)] * 4
        index[axis] = slice(k, k + stride * (n_out - 1) + 1, stride)
        yield k, tuple(index)


def _max_1d(xp: Any, a: Any, axis: int, taps: int, stride: int, n_out: int) -> tuple[Any, Any]:
    """Max over windows along one axis; returns (max, index of the first winning tap)."""
    views = [a[index] for _, index in _taps(axis, taps, stride, n_out)]
    if taps == 1:
        return views[0].copy(), xp.zeros(views[0].shape, dtype=xp.uint8)
    # Strictly greater: on a tie the earlier tap keeps the switch.
    switch = xp.greater(views[1], views[0]).view(xp.uint8)
    best = xp.maximum(views[0], views[1])
    for k, view in enumerate(views[2:], start=2):
        better = view > best
        xp.maximum(best, view, out=best)
        xp.copyto(switch, k, where=better)
    return best, switch


def _unmax_1d(
    xp: Any, d: Any, switch: Any, axis: int, taps: int, stride: int, shape: tuple
) -> Any:
    """Backward of :func:`_max_1d`: route ``d`` to the winning tap of each window."""
    n_out = d.shape[axis]
    tiling = stride == taps and shape[axis] == taps * n_out  # each input in one window
    out = xp.empty(shape, dtype=d.dtype) if tiling else xp.zeros(shape, dtype=d.dtype)
    if tiling and taps == 2:  # the common 2x2 case: two writes, no masks
        (_, first), (_, second) = _taps(axis, 2, stride, n_out)
        xp.multiply(d, switch, out=out[second])
        xp.subtract(d, out[second], out=out[first])  # exact: d - d == 0, d - 0 == d
        return out
    for k, index in _taps(axis, taps, stride, n_out):
        if tiling:
            xp.multiply(d, switch == k, out=out[index])
        else:  # overlapping windows: contributions add up
            out[index] += d * (switch == k)
    return out


def max_pool_forward_fast(x: Any, pool_param: dict) -> tuple[Any, tuple]:
    """Forward pass of max pooling for any window and stride.

    Same parameters, results and errors as ``max_pool_forward_naive``.

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out)
    cache : tuple
        Input shape and the switches of both 1D passes (uint8 arrays).
    """
    xp = get_array_module(x)
    x = as_float_array(x, "x", xp)
    g = pool_geometry(x.shape, pool_param)
    rows, switch_w = _max_1d(xp, x, _W, g.WW, g.stride, g.W_out)  # (N, C, H, W_out)
    out, switch_h = _max_1d(xp, rows, _H, g.HH, g.stride, g.H_out)
    return out, (x.shape, rows.shape, switch_w, switch_h, pool_param)


def max_pool_backward_fast(dout: Any, cache: tuple) -> Any:
    """Backward pass of max pooling: each gradient goes to its window's first maximum.

    Parameters
    ----------
    dout : ndarray, shape (N, C, H_out, W_out)
    cache : tuple
        From :func:`max_pool_forward_fast`.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
        Overlapping windows add up their contributions.
    """
    x_shape, rows_shape, switch_w, switch_h, pool_param = check_cache(
        cache, 5, "max_pool_backward_fast"
    )
    xp = get_array_module(switch_w, dout)
    g = pool_geometry(x_shape, pool_param)
    check_dout(dout, g.out_shape, "max_pool_backward_fast")
    drows = _unmax_1d(xp, dout, switch_h, _H, g.HH, g.stride, rows_shape)
    return _unmax_1d(xp, drows, switch_w, _W, g.WW, g.stride, x_shape)


def avg_pool_forward(x: Any, pool_param: dict) -> tuple[Any, tuple]:
    """Forward pass of average pooling.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    pool_param : dict
        ``pool_height``, ``pool_width``, ``stride``.

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out)
        The mean of each window.
    cache : tuple
        ``(x_shape, pool_param)``.
    """
    xp = get_array_module(x)
    x = as_float_array(x, "x", xp)
    g = pool_geometry(x.shape, pool_param)
    rows = _sum_1d(xp, x, _W, g.WW, g.stride, g.W_out)
    out = _sum_1d(xp, rows, _H, g.HH, g.stride, g.H_out)
    out /= g.HH * g.WW
    return out, (x.shape, pool_param)


def avg_pool_backward(dout: Any, cache: tuple) -> Any:
    """Backward pass of average pooling: each input gets ``dout / window size``
    from every window that covers it.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    """
    x_shape, pool_param = check_cache(cache, 2, "avg_pool_backward")
    xp = get_array_module(dout)
    g = pool_geometry(x_shape, pool_param)
    check_dout(dout, g.out_shape, "avg_pool_backward")
    share = dout / (g.HH * g.WW)
    N, C, H, W = x_shape
    drows = xp.zeros((N, C, H, g.W_out), dtype=share.dtype)
    for _, index in _taps(_H, g.HH, g.stride, g.H_out):
        drows[index] += share
    dx = xp.zeros(x_shape, dtype=share.dtype)
    for _, index in _taps(_W, g.WW, g.stride, g.W_out):
        dx[index] += drows
    return dx


def _sum_1d(xp: Any, a: Any, axis: int, taps: int, stride: int, n_out: int) -> Any:
    views = [a[index] for _, index in _taps(axis, taps, stride, n_out)]
    total = views[0].copy()
    for view in views[1:]:
        total += view
    return total
