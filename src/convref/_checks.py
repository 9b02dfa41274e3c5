"""Input checks shared by the layers: clear errors instead of wrong answers.

Dtype policy (documented in the package docstring): float16/32/64 arrays are
used as they are; integer and boolean arrays are converted to float64, so
``np.arange`` inputs give exact answers; anything else (complex, object,
strings) raises ``TypeError``.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def as_float_array(a: Any, name: str, xp: Any = np) -> Any:
    """Return ``a`` as a floating-point array of the backend ``xp``."""
    if not hasattr(a, "dtype") or not hasattr(a, "shape"):
        if a is None:
            raise TypeError(f"{name} is None; expected an array")
        a = xp.asarray(a)
    kind = np.dtype(a.dtype).kind
    if kind == "f":
        return a
    if kind in "iub":
        return a.astype(np.float64)
    raise TypeError(f"{name} has dtype {a.dtype}; expected a real floating-point array")


def require_ndim(a: Any, ndim: int, name: str, layout: str) -> None:
    if a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}D {layout}, got shape {tuple(a.shape)}")


def require_int(value: Any, name: str, minimum: int) -> int:
    """An integer hyperparameter no smaller than ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def get_param(params: Any, key: str, name: str, default: Any = None) -> Any:
    if not isinstance(params, dict):
        raise TypeError(f"{name} must be a dict, got {type(params).__name__}")
    if key not in params:
        if default is None:
            raise KeyError(f"{name} is missing the key {key!r}")
        return default
    return params[key]


def check_cache(cache: Any, length: int, layer: str) -> tuple:
    if not isinstance(cache, tuple) or len(cache) != length:
        raise TypeError(
            f"cache for {layer} must be the tuple returned by its forward pass, "
            f"got {type(cache).__name__}"
        )
    return cache


def check_dout(dout: Any, expected: tuple[int, ...], layer: str) -> None:
    if tuple(dout.shape) != tuple(expected):
        raise ValueError(
            f"dout for {layer} has shape {tuple(dout.shape)} but the forward output "
            f"had shape {tuple(expected)}"
        )
