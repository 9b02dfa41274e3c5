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


def padded(
    xp: Any, x: Any, pad: int, capacity: int | None = None, extra_rows: int = 0
) -> Any:
    """``x`` (N, C, H, W) with ``pad`` zeros around each image, in a reused buffer.

    ``extra_rows`` more zero rows go below each image (the stride-1 columns of
    :mod:`convref.conv_fast` read a few elements past an image's last row).

    ``capacity`` (>= N) sizes the buffer for the largest chunk a caller will
    pass, so that a smaller last chunk reuses it too. The buffer is reused only
    for the same image size and padding: writes go to the interior, so its zero
    border stays zero. (The padded size alone is not enough: 4x1 images padded
    by 2 fill the same 8x5 buffer as 6x3 images padded by 1, whose interior
    overlaps the other's border.)
    """
    if not pad and not extra_rows:
        return x
    N, C, H, W = x.shape
    capacity = max(N, capacity or 0)
    geometry = (C, H, W, pad, extra_rows)
    store = _store()
    key = ("padded", getattr(xp, "__name__", ""), str(x.dtype))
    held = store.get(key)
    if held is None or held[1] != geometry or held[0].shape[0] < capacity:
        shape = (capacity, C, H + 2 * pad + extra_rows, W + 2 * pad)
        held = (xp.zeros(shape, dtype=x.dtype), geometry)
        store[key] = held
    buf = held[0][:N]
    buf[:, :, pad : pad + H, pad : pad + W] = x
    return buf


def _store() -> dict:
    store = getattr(_local, "buffers", None)
    if store is None:
        store = _local.buffers = {}
    return store
