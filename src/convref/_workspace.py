"""Scratch buffers reused between calls of the fast layers.

The im2col columns and the padded input are rebuilt on every call. Allocating
them afresh each time costs a page fault per 4 KiB on first touch, which on
small layers is as much as the copy itself; keeping the last buffer of each
role (per thread, per backend and dtype) avoids it. A buffer is never handed
to the caller, so reuse cannot alias a returned array.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

_local = threading.local()
# Padded buffers kept per thread, one per image geometry (the most recently
# used ones): a network's layers, and the forward and backward pass of one
# layer (the backward's buffer has a spare row), each keep their own instead
# of re-zeroing a shared one on every call.
PADDED_KEPT = 8


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
    pass, so that a smaller last chunk reuses it too. Each image geometry
    ``(C, H, W, pad, extra_rows)`` has its own buffer, kept among the
    ``PADDED_KEPT`` most recently used: writes go to the interior only, so its
    zero border stays zero. (The padded size alone is not enough to share one:
    4x1 images padded by 2 fill the same 8x5 buffer as 6x3 images padded by 1,
    whose interior overlaps the other's border.)
    """
    if not pad and not extra_rows:
        return x
    N, C, H, W = x.shape
    capacity = max(N, capacity or 0)
    kept = _store().setdefault("padded", OrderedDict())
    key = (getattr(xp, "__name__", ""), str(x.dtype), C, H, W, pad, extra_rows)
    held = kept.get(key)
    if held is None or held.shape[0] < capacity:
        held = xp.zeros((capacity, C, H + 2 * pad + extra_rows, W + 2 * pad), dtype=x.dtype)
        kept[key] = held
    kept.move_to_end(key)
    while len(kept) > PADDED_KEPT:
        kept.popitem(last=False)
    buf = held[:N]
    buf[:, :, pad : pad + H, pad : pad + W] = x
    return buf


def _store() -> dict:
    store = getattr(_local, "buffers", None)
    if store is None:
        store = _local.buffers = {}
    return store
