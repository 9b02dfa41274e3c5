"""convref's array backends: NumPy always, CuPy when it is installed and asked for.

The layers never import CuPy themselves. Each asks :func:`get_array_module` for
the module that owns its input arrays, so CuPy arrays in give CuPy arrays out
and NumPy arrays in give NumPy arrays out. Only CuPy's NumPy-compatible API is
used on that module, which lets the tests swap in a NumPy-backed stand-in
(:func:`set_cupy_module`).

Code that creates arrays from scratch - the layer benchmark
(``python -m benchmarks``) - asks :func:`get_backend`, whose default is read
from the environment variable ``CONVREF_DEVICE``:

``cpu`` (default)
    NumPy.
``gpu``
    CuPy; raises ``RuntimeError`` if CuPy or a CUDA device is missing.
``auto``
    CuPy when it imports and sees a device, NumPy otherwise.

This module is the reference's own: the student kit ``convkit`` has no backend
and convref imports nothing from it.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

import numpy as np

DEVICE_ENV = "CONVREF_DEVICE"
DEVICES = ("cpu", "gpu", "auto")

# The CuPy module in use, or None. Tests replace it with a NumPy-backed stand-in
# through set_cupy_module(); otherwise _import_cupy() looks for the real one once.
_cupy: ModuleType | None = None
_cupy_checked = False


def _import_cupy() -> ModuleType | None:
    """Import CuPy once; None when it is missing or sees no CUDA device."""
    global _cupy, _cupy_checked
    if not _cupy_checked:
        _cupy_checked = True
        try:
            import cupy  # type: ignore[import-not-found]

            if cupy.cuda.runtime.getDeviceCount() < 1:
                cupy = None
        except Exception:  # ImportError, or a CUDA error on a machine without a driver
            cupy = None
        _cupy = cupy
    return _cupy


def gpu_available() -> bool:
    """True when CuPy (or the stand-in set by a test) is usable."""
    return _import_cupy() is not None


def set_cupy_module(module: ModuleType | None) -> None:
    """Use ``module`` as CuPy (a stand-in in tests, or None for 'no CuPy')."""
    global _cupy, _cupy_checked
    _cupy = module
    _cupy_checked = True


def reset_cupy_module() -> None:
    """Forget any stand-in; the next lookup imports the real CuPy if present."""
    global _cupy, _cupy_checked
    _cupy = None
    _cupy_checked = False


def get_backend(device: str | None = None) -> ModuleType:
    """Return the array module to create new arrays with.

    Parameters
    ----------
    device : {'cpu', 'gpu', 'auto'}, optional
        Defaults to the ``CONVREF_DEVICE`` environment variable, else ``'cpu'``.

    Returns
    -------
    module
        ``numpy`` or ``cupy``.

    Raises
    ------
    ValueError
        If ``device`` is not one of the three choices.
    RuntimeError
        If ``'gpu'`` is asked for and CuPy or a CUDA device is missing.
    """
    choice = (device or os.environ.get(DEVICE_ENV) or "cpu").strip().lower()
    if choice not in DEVICES:
        raise ValueError(
            f"{DEVICE_ENV}={choice!r} is not a device; choose one of {', '.join(DEVICES)}"
        )
    if choice == "cpu":
        return np
    cupy = _import_cupy()
    if cupy is not None:
        return cupy
    if choice == "gpu":
        raise RuntimeError(
            f"{DEVICE_ENV}=gpu but CuPy is not installed or sees no CUDA device; "
            "install the 'gpu' extra (pip install -e '.[gpu]') or use cpu/auto"
        )
    return np


def get_array_module(*arrays: Any) -> ModuleType:
    """Return ``cupy`` if any argument is a CuPy array, else ``numpy``."""
    cupy = _cupy
    if cupy is not None:
        for a in arrays:
            if isinstance(a, cupy.ndarray):
                return cupy
    return np


def asnumpy(a: Any) -> np.ndarray:
    """Copy a CuPy array to the host; NumPy arrays and scalars pass through."""
    cupy = _cupy
    if cupy is not None and isinstance(a, cupy.ndarray):
        return cupy.asnumpy(a)
    return np.asarray(a)


def backend_name(xp: ModuleType) -> str:
    """``'numpy'`` or ``'cupy'`` (or a stand-in's name), for messages and tables."""
    return getattr(xp, "__name__", str(xp)).split(".")[0]


def synchronize(xp: ModuleType) -> None:
    """Wait until the device has finished queued work (a no-op for NumPy).

    CuPy launches kernels asynchronously; a timer must call this before it
    reads the clock, or it measures only the launch.
    """
    cuda = getattr(xp, "cuda", None) if xp is not np else None
    if cuda is not None:
        cuda.get_current_stream().synchronize()
