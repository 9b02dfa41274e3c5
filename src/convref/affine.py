"""Fully connected (affine) layer and ReLU."""

from __future__ import annotations

from typing import Any

from convref._checks import as_float_array, check_cache, check_dout
from convref.backend import get_array_module


def affine_forward(x: Any, w: Any, b: Any) -> tuple[Any, tuple]:
    """Forward pass of a fully connected layer, ``x.reshape(N, -1) @ w + b``.

    Parameters
    ----------
    x : ndarray, shape (N, d_1, ..., d_k)
        Each example is flattened to ``D = d_1 * ... * d_k`` values in C order.
    w : ndarray, shape (D, M)
    b : ndarray, shape (M,)

    Returns
    -------
    out : ndarray, shape (N, M)
    cache : tuple
        ``(x, w, b)``.

    Raises
    ------
    ValueError
        If ``D`` does not match ``w.shape[0]`` or ``b`` does not have ``M`` entries.
    """
    xp = get_array_module(x, w, b)
    x = as_float_array(x, "x", xp)
    w = as_float_array(w, "w", xp)
    b = as_float_array(b, "b", xp)
    if x.ndim < 1 or w.ndim != 2:
        raise ValueError(f"affine needs x of shape (N, ...) and w of shape (D, M); "
                         f"got x {tuple(x.shape)}, w {tuple(w.shape)}")
    N = x.shape[0]
    D = int(x.size // N) if N else int(w.shape[0])
    if D != w.shape[0]:
        raise ValueError(
            f"x has {D} values per example (shape {tuple(x.shape)}) but w expects "
            f"{w.shape[0]} (shape {tuple(w.shape)})"
        )
    if tuple(b.shape) != (w.shape[1],):
        raise ValueError(f"b must have shape ({w.shape[1]},), got {tuple(b.shape)}")
    out = x.reshape(N, D) @ w + b
    return out, (x, w, b)


def affine_backward(dout: Any, cache: tuple) -> tuple[Any, Any, Any]:
    """Backward pass of a fully connected layer.

    Parameters
    ----------
    dout : ndarray, shape (N, M)
    cache : tuple
        From :func:`affine_forward`.

    Returns
    -------
    dx : ndarray, shape of ``x``
    dw : ndarray, shape (D, M)
    db : ndarray, shape (M,)
    """
    x, w, b = check_cache(cache, 3, "affine_backward")
    N = x.shape[0]
    check_dout(dout, (N, w.shape[1]), "affine_backward")
    x2 = x.reshape(N, -1)
    dx = (dout @ w.T).reshape(x.shape)
    dw = x2.T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


def relu_forward(x: Any) -> tuple[Any, Any]:
    """Forward pass of ``max(0, x)``, elementwise.

    Returns
    -------
    out : ndarray, shape of ``x``
    cache : ndarray
        ``x``.
    """
    xp = get_array_module(x)
    x = as_float_array(x, "x", xp)
    return xp.maximum(x, 0), x


def relu_backward(dout: Any, cache: Any) -> Any:
    """Backward pass of ReLU: ``dout`` where the input was positive, else 0.

    Returns
    -------
    dx : ndarray, shape of ``dout``
    """
    x = cache
    check_dout(dout, x.shape, "relu_backward")
    return dout * (x > 0)
