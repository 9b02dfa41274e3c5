"""Max pooling by explicit loops: the definition, written to be read.

The backward pass routes each output's gradient to the *first* maximum of its
window in row-major order (the "switch" the forward pass would record), which
is also what PyTorch does. With ties, exactly one input receives the gradient.
"""

from __future__ import annotations

from typing import Any

from convref._checks import as_float_array, check_cache, check_dout
from convref.backend import get_array_module
from convref.pool_params import pool_geometry


def max_pool_forward_naive(x: Any, pool_param: dict) -> tuple[Any, tuple]:
    """Forward pass of max pooling, by loops.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    pool_param : dict
        ``pool_height``, ``pool_width``, ``stride``.

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out)
        ``H_out = (H - pool_height) // stride + 1``, likewise ``W_out``: rows and
        columns no window covers are dropped (as in PyTorch).
    cache : tuple
        ``(x, pool_param)``.

    Raises
    ------
    ValueError
        Non-4D input, or a window larger than the input.
    """
    xp = get_array_module(x)
    x = as_float_array(x, "x", xp)
    g = pool_geometry(x.shape, pool_param)
    s = g.stride
    out = xp.empty(g.out_shape, dtype=x.dtype)
    for n in range(g.N):
        for c in range(g.C):
            for y in range(g.H_out):
                for z in range(g.W_out):
                    out[n, c, y, z] = x[n, c, y * s : y * s + g.HH, z * s : z * s + g.WW].max()
    return out, (x, pool_param)


def max_pool_backward_naive(dout: Any, cache: tuple) -> Any:
    """Backward pass of max pooling, by loops.

    Parameters
    ----------
    dout : ndarray, shape (N, C, H_out, W_out)
    cache : tuple
        From :func:`max_pool_forward_naive`.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
        Each output's gradient lands on the first maximum of its window;
        overlapping windows add up; inputs no window covers get zero.
    """
    x, pool_param = check_cache(cache, 2, "max_pool_backward_naive")
    xp = get_array_module(x, dout)
    g = pool_geometry(x.shape, pool_param)
    check_dout(dout, g.out_shape, "max_pool_backward_naive")
    s = g.stride
    dx = xp.zeros_like(x)
    for n in range(g.N):
        for c in range(g.C):
            for y in range(g.H_out):
                for z in range(g.W_out):
                    window = x[n, c, y * s : y * s + g.HH, z * s : z * s + g.WW]
                    i, j = divmod(int(xp.argmax(window)), g.WW)  # argmax: first maximum
                    dx[n, c, y * s + i, z * s + j] += dout[n, c, y, z]
    return dx
