"""A NumPy-backed stand-in for CuPy, so the GPU code paths run on any machine.

Arrays of the stand-in are a marker subclass of ``np.ndarray``; every function
of the module returns such arrays. Code that creates arrays with ``numpy``
instead of the array module it was given would produce plain ndarrays, which
the tests detect.
"""

from __future__ import annotations

import types

import numpy as np


class ndarray(np.ndarray):  # noqa: N801 - mirrors cupy.ndarray
    """Marker type: 'this array lives on the (pretend) GPU'."""


def _to_device(value):
    if isinstance(value, np.ndarray) and not isinstance(value, ndarray):
        return value.view(ndarray)
    if isinstance(value, tuple):
        return tuple(_to_device(v) for v in value)
    return value


class _FakeCupy(types.ModuleType):
    ndarray = ndarray

    def __getattr__(self, name):
        attr = getattr(np, name)
        if isinstance(attr, types.ModuleType):
            return attr
        if callable(attr) and not isinstance(attr, type):
            def wrapped(*args, **kwargs):
                return _to_device(attr(*args, **kwargs))

            return wrapped
        return attr

    @staticmethod
    def asnumpy(a):
        return np.asarray(a).view(np.ndarray).copy()

    @staticmethod
    def asarray(a, dtype=None):
        return _to_device(np.asarray(a, dtype=dtype))


def make() -> types.ModuleType:
    return _FakeCupy("cupy")
