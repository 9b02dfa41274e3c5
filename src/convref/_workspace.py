"""Scratch buffers reused between calls of the fast layers.

The im2col columns and the padded input are rebuilt on every call. Allocating
them afresh each time costs a page fault per 4 KiB on first touch, which on
small layers is as much as the copy itself; keeping the last buffer of each
role (per thread, per backend and dtype) avoids it. A buffer is never handed
to the caller, so reuse cannot alias a returned array.
"""

from __future__ import annotations

import threading
from typing import Any

_local = threading.local()


def scratch(xp: Any, role: str, shape: tuple[int, ...], dtype: Any) -> Any:
    """An uninitialised array of ``shape`` owned by this thread for ``role``."""
    store = _store()
    key = (role, getattr(xp, "__name__", ""), str(dtype))
    size = 1
    for s in shape:
        size *= int(s)
    buf = store.get(key)
    if buf is None or buf.size < size:
        buf = xp.empty(size, dtype=dtype)
        store[key] = buf
    return buf[:size].reshape(shape)


def padded(xp: Any, x: Any, pad: int, capacity: int | None = None) -> Any:
    """``x`` (N, C, H, W) with ``pad`` zeros around each image, in a reused buffer.

    ``capacity`` (>= N) sizes the buffer for the largest chunk a caller will
    pass, so that a smaller last chunk reuses it too. The border is zeroed only
    when a new buffer is made: writes go to the interior, so a zero border
    stays zero.
    """
    if not pad:
        return x
    N, C, H, W = x.shape
    capacity = max(N, capacity or 0)
    shape = (C, H + 2 * pad, W + 2 * pad)
    store = _store()
    key = ("padded", getattr(xp, "__name__", ""), str(x.dtype))
    buf = store.get(key)
    if buf is None or tuple(buf.shape[1:]) != shape or buf.shape[0] < capacity:
        buf = xp.zeros((capacity, *shape), dtype=x.dtype)
        store[key] = buf
    buf = buf[:N]
    buf[:, :, pad : pad + H, pad : pad + W] = x
    return buf


def _store() -> dict:
    store = getattr(_local, "buffers", None)
    if store is None:
        store = _local.buffers = {}
    return store
