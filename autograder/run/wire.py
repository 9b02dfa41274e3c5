"""The data-only channel between the grader and the sandboxed kernel (imported by both).

A message is one JSON header plus blobs (NumPy ``.npy`` bytes, ``allow_pickle=False``),
framed by 8-byte lengths; nothing decoded can run code. A value is a JSON tree: ``None``,
``bool``, ``int``, ``str``, finite ``float`` as themselves; else ``{tag: body}`` with tag
``$f`` (a non-finite float), ``$l``, ``$t``, ``$d`` (a list, tuple, dict as ``[[key,
value], ...]``), ``$a``, ``$s`` (the n-th blob: an array, a NumPy scalar), ``$h`` (a
handle for an object that stays on the other side).
"""

from __future__ import annotations

import builtins
import io
import json
import math
import os
import struct

import numpy as np

MAX_DEPTH = 64
LIMIT = 1 << 28  # the largest message either side accepts
_LEN = struct.Struct(">Q")


class WireError(Exception):
    """A malformed or oversized message."""


class CappedText(io.StringIO):
    """A text stream that keeps the first ``limit`` characters and counts the rest."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit, self.dropped = limit, 0

    def write(self, text) -> int:
        text = str(text)
        room = max(0, self.limit - self.tell())
        self.dropped += max(0, len(text) - room)
        super().write(text[:room])
        return len(text)

    def take(self) -> tuple[str, int]:
        """What was kept and how many characters were dropped; the stream starts again."""
        text, dropped = self.getvalue(), self.dropped
        self.seek(0)
        self.truncate()
        self.dropped = 0
        return text, dropped


def raised(err: BaseException) -> dict:
    """The record of an exception that crosses the channel: its type's name and message."""
    return {"type": type(err).__name__, "message": str(err)[:2000]}


def exception_from(record: dict, other) -> Exception:
    """An exception of the recorded builtin ``Exception`` type (not ``StopIteration``, which
    would end a generator), else ``other(name, message)``: no class of the other side crosses."""
    name, message = str(record.get("type", "Exception")), str(record.get("message", ""))
    kind = getattr(builtins, name, None)
    if isinstance(kind, type) and issubclass(kind, Exception) and kind is not StopIteration:
        try:
            return kind(message)
        except Exception:
            pass
    return other(name, message)


def encode(value, blobs: list[bytes], to_handle, depth: int = 0):
    """The JSON tree of ``value``; arrays go to ``blobs``; other objects to ``to_handle``."""
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return value if math.isfinite(value) else {"$f": repr(value)}
    if kind in (list, tuple):
        items = [encode(v, blobs, to_handle, depth + 1) for v in value]
        return {"$l" if kind is list else "$t": items}
    if kind is dict:
        return {"$d": [[encode(k, blobs, to_handle, depth + 1),
                        encode(v, blobs, to_handle, depth + 1)] for k, v in value.items()]}
    if kind is np.ndarray or isinstance(value, np.generic):
        array = np.asarray(value)
        if array.dtype.hasobject:
            return {"$h": to_handle(value)}
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        blobs.append(buffer.getvalue())
        return {"$a" if kind is np.ndarray else "$s": len(blobs) - 1}
    return {"$h": to_handle(value)}


def decode(tree, blobs: list[bytes], from_handle, depth: int = 0):
    """Inverse of :func:`encode`; ``from_handle`` turns a handle record into an object."""
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if tree is None or type(tree) in (bool, int, float, str):
        return tree
    if type(tree) is not dict or len(tree) != 1:
        raise WireError("malformed value")
    (tag, body), = tree.items()
    if tag == "$f" and body in ("nan", "inf", "-inf"):
        return float(body)
    if tag in ("$l", "$t") and type(body) is list:
        items = [decode(v, blobs, from_handle, depth + 1) for v in body]
        return items if tag == "$l" else tuple(items)
    if tag == "$d" and type(body) is list:
        out = {}
        for pair in body:
            if type(pair) is not list or len(pair) != 2:
                raise WireError("malformed dict entry")
            key = decode(pair[0], blobs, from_handle, depth + 1)
            try:
                out[key] = decode(pair[1], blobs, from_handle, depth + 1)
            except TypeError:
                raise WireError("unhashable dict key") from None
        return out
    if tag in ("$a", "$s") and type(body) is int and 0 <= body < len(blobs):
        try:
            array = np.load(io.BytesIO(blobs[body]), allow_pickle=False)
        except Exception as err:
            raise WireError(f"bad array: {err}") from None
        return array if tag == "$a" else array[()]
    if tag == "$h" and type(body) is dict:
        return from_handle(body)
    raise WireError(f"unknown tag {tag!r}")


def write_message(fd: int, header: dict, blobs: list[bytes]) -> None:
    """Frame and write one message (header, then each blob) to the file descriptor."""
    head = json.dumps({**header, "nblobs": len(blobs)}).encode()
    view = memoryview(b"".join(_LEN.pack(len(part)) + part for part in [head, *blobs]))
    while view:
        view = view[os.write(fd, view):]


def until_reply(read, serve) -> tuple[dict, list[bytes]]:
    """Read messages, handing each request to ``serve``, until a reply comes; return it."""
    while True:
        header, blobs = read()
        if header.get("op") == "reply":
            return header, blobs
        serve(header, blobs)


def read_message(fd: int, limit: int = LIMIT, wait=lambda: None) -> tuple[dict, list[bytes]]:
    """Read one message; raises :class:`WireError` past ``limit`` bytes in all. ``wait()``
    is called before each read (it may raise: the grader's deadline)."""
    total = 0

    def read(size: int) -> bytes:
        chunks = []
        while size:
            wait()
            chunk = os.read(fd, min(size, 1 << 20))
            if not chunk:
                raise EOFError("the other side closed the channel")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def part() -> bytes:
        nonlocal total
        (size,) = _LEN.unpack(read(8))
        total += size
        if total > limit:
            raise WireError(f"message larger than {limit} bytes")
        return read(size)

    try:
        header = json.loads(part())
    except (ValueError, RecursionError):  # nesting too deep for the parser is malformed too
        raise WireError("header is not JSON") from None
    if type(header) is not dict or type(header.get("nblobs")) is not int:
        raise WireError("malformed header")
    return header, [part() for _ in range(header["nblobs"])]
