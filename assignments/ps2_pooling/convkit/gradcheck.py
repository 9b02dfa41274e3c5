"""Numerical gradients by centred differences, and the relative error.

These are the course's yardstick for every backward pass: an analytic gradient
is trusted when its relative error to the numerical one is tiny (below 1e-7 in
float64 for the layers of the course).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def rel_error(x: np.ndarray, y: np.ndarray, eps: float = 1e-8) -> float:
    """Largest elementwise relative error ``|x - y| / max(eps, |x| + |y|)``.

    Parameters
    ----------
    x, y : array_like
        Arrays of the same shape.
    eps : float
        Floor of the denominator, so that two zeros compare as equal.

    Raises
    ------
    ValueError
        If the shapes differ (a broadcast would hide a bug).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"rel_error needs equal shapes, got {x.shape} and {y.shape}")
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y) / np.maximum(eps, np.abs(x) + np.abs(y))))


def eval_numerical_gradient(
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    h: float = 1e-5,
) -> np.ndarray:
    """Gradient of a scalar function ``f`` at ``x`` by centred differences.

    ``x`` is changed in place while probing and restored afterwards.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``.
    x : ndarray of float
        The point; any shape.
    h : float
        Step size.

    Returns
    -------
    grad : ndarray, same shape as ``x``
    """
    _require_float(x)
    grad = np.zeros_like(x, dtype=np.float64)
    flat = x.reshape(-1)  # a view: writes reach x
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        fplus = float(f(x))
        flat[i] = old - h
        fminus = float(f(x))
        flat[i] = old
        grad.reshape(-1)[i] = (fplus - fminus) / (2 * h)
    return grad


def eval_numerical_gradient_array(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    df: np.ndarray,
    h: float = 1e-5,
) -> np.ndarray:
    """Gradient of ``sum(f(x) * df)`` with respect to ``x``, by centred differences.

    This is the numerical counterpart of a layer's backward pass: ``df`` plays
    the upstream gradient ``dout`` and the result is ``dx``.

    Parameters
    ----------
    f : callable
        ``f(x) -> ndarray`` with the shape of ``df``.
    x : ndarray of float
        The point; any shape. Changed in place while probing, then restored.
    df : ndarray
        Upstream gradient, shape of ``f(x)``.
    h : float
        Step size.

    Returns
    -------
    grad : ndarray, same shape as ``x``
    """
    _require_float(x)
    df = np.asarray(df, dtype=np.float64)
    grad = np.zeros_like(x, dtype=np.float64)
    flat = x.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        pos = np.array(f(x), dtype=np.float64, copy=True)
        flat[i] = old - h
        neg = np.array(f(x), dtype=np.float64, copy=True)
        flat[i] = old
        if pos.shape != df.shape:
            raise ValueError(f"f(x) has shape {pos.shape} but df has shape {df.shape}")
        grad.reshape(-1)[i] = np.sum((pos - neg) * df) / (2 * h)
    return grad


def _require_float(x: np.ndarray) -> None:
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        kind = type(x).__name__ if not isinstance(x, np.ndarray) else x.dtype
        raise TypeError(
            f"numerical gradients need a float ndarray to probe in place, got {kind}; "
            "use x.astype(np.float64)"
        )
    if not x.flags.c_contiguous:
        raise ValueError("numerical gradients need a C-contiguous array; use x.copy()")
