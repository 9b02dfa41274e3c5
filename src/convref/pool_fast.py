"""Fast max and average pooling, vectorised over every window at once.

Both loop over the ``pool_height * pool_width`` taps of the window (see
:mod:`convref.windows`), not over the outputs. Max pooling records, per output,
which tap held the first maximum (the notes' "switches") as a small integer, so
the backward pass is one masked add per tap.
"""

from __future__ import annotations

from typing import Any

from convkit.backend import get_array_module
from convref._checks import as_float_array, check_cache, check_dout
from convref.pool_params import PoolGeometry, pool_geometry
from convref.windows import tap_slices


def _taps(g: PoolGeometry):
    return tap_slices(g.HH, g.WW, g.stride, 1, g.H_out, g.W_out)


def max_pool_forward_fast(x: Any, pool_param: dict) -> tuple[Any, tuple]:
    """Forward pass of max pooling for any window and stride.

    Same parameters, results and errors as ``max_pool_forward_naive``.

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out)
    cache : tuple
        ``(x_shape, switches, pool_param)``; ``switches`` (uint8 or int32,
        shape of ``out``) holds the row-major tap index of each window's first
        maximum.
    """
    xp = get_array_module(x)
    x = as_float_array(x, "x", xp)
    g = pool_geometry(x.shape, pool_param)
    taps = g.HH * g.WW
    switches = xp.zeros(g.out_shape, dtype=xp.uint8 if taps <= 255 else xp.int32)
    out = None
    for i, j, rows, cols in _taps(g):
        view = x[:, :, rows, cols]
        if out is None:
            out = view.copy()
            continue
        # Strictly greater: on a tie the earlier tap keeps the switch.
        better = view > out
        xp.copyto(out, view, where=better)
        xp.copyto(switches, i * g.WW + j, where=better)
    return out, (x.shape, x.dtype, switches, pool_param)


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
    """
    x_shape, dtype, switches, pool_param = check_cache(cache, 4, "max_pool_backward_fast")
    xp = get_array_module(switches, dout)
    check_dout(dout, switches.shape, "max_pool_backward_fast")
    g = pool_geometry(x_shape, pool_param)
    dx = xp.zeros(x_shape, dtype=dtype)
    overlapping = g.stride < g.HH or g.stride < g.WW
    for i, j, rows, cols in _taps(g):
        hit = switches == i * g.WW + j
        if overlapping:
            dx[:, :, rows, cols] += xp.where(hit, dout, 0)
        else:  # every input pixel belongs to one window: plain writes suffice
            xp.copyto(dx[:, :, rows, cols], dout, where=hit)
    return dx


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
        ``(x_shape, dtype, pool_param)``.
    """
    xp = get_array_module(x)
    x = as_float_array(x, "x", xp)
    g = pool_geometry(x.shape, pool_param)
    out = xp.zeros(g.out_shape, dtype=x.dtype)
    for _, _, rows, cols in _taps(g):
        out += x[:, :, rows, cols]
    out /= g.HH * g.WW
    return out, (x.shape, x.dtype, pool_param)


def avg_pool_backward(dout: Any, cache: tuple) -> Any:
    """Backward pass of average pooling: each input gets ``dout / window size``
    from every window that covers it.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    """
    x_shape, dtype, pool_param = check_cache(cache, 3, "avg_pool_backward")
    xp = get_array_module(dout)
    g = pool_geometry(x_shape, pool_param)
    check_dout(dout, g.out_shape, "avg_pool_backward")
    share = (dout / (g.HH * g.WW)).astype(dtype, copy=False)
    dx = xp.zeros(x_shape, dtype=dtype)
    for _, _, rows, cols in _taps(g):
        dx[:, :, rows, cols] += share
    return dx

