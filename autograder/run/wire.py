"""The data-only channel between the grader and the sandboxed kernel (imported by both):
one JSON tree per message, tagged as ``autograder/README.md`` (trust boundary) says, so that
nothing decoded can run code."""

from __future__ import annotations

import base64
import builtins
import contextlib
import io
import json
import os

import numpy as np

MAX_DEPTH = 64
LIMIT = 1 << 28  # the largest message either side accepts


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
        with contextlib.suppress(Exception):  # a type that wants other arguments
            return kind(message)
    return other(name, message)


class Channel:
    """One end of the channel: messages go to ``fd_out`` and come from ``fd_in``. An object
    that is not data leaves as the dict ``to_handle(obj)`` and comes back as
    ``from_handle(record)``; ``wait()`` runs before each read (it may raise: a deadline)."""

    def __init__(self, fd_in: int, fd_out: int, to_handle, from_handle, limit: int = LIMIT,
                 wait=lambda: None):
        self.fd_in, self.fd_out, self.limit, self.wait = fd_in, fd_out, limit, wait
        self.to_handle, self.from_handle = to_handle, from_handle

    def encode(self, value, depth: int = 0):
        """The JSON tree of ``value``; objects that are not data become handles."""
        if depth > MAX_DEPTH:
            raise WireError("value nested too deeply")
        kind = type(value)
        if value is None or kind in (bool, int, float, str):  # json carries nan and inf too
            return value
        if kind in (list, tuple):
            return {"$l" if kind is list else "$t": [self.encode(v, depth + 1) for v in value]}
        if kind is dict:
            return {"$d": [[self.encode(k, depth + 1), self.encode(v, depth + 1)]
                           for k, v in value.items()]}
        if kind is np.ndarray or isinstance(value, np.generic):
            array = np.asarray(value)
            if not array.dtype.hasobject:
                buffer = io.BytesIO()
                np.save(buffer, array, allow_pickle=False)
                npy = base64.b64encode(buffer.getvalue()).decode()
                return {"$a" if kind is np.ndarray else "$s": npy}
        return {"$h": self.to_handle(value)}

    def decode(self, tree, depth: int = 0):
        """Inverse of :meth:`encode`."""
        if depth > MAX_DEPTH:
            raise WireError("value nested too deeply")
        if tree is None or type(tree) in (bool, int, float, str):
            return tree
        if type(tree) is not dict or len(tree) != 1:
            raise WireError("malformed value")
        (tag, body), = tree.items()
        if tag in ("$l", "$t") and type(body) is list:
            items = [self.decode(v, depth + 1) for v in body]
            return items if tag == "$l" else tuple(items)
        if tag == "$d" and type(body) is list:
            if not all(type(pair) is list and len(pair) == 2 for pair in body):
                raise WireError("malformed dict entry")
            try:
                return {self.decode(k, depth + 1): self.decode(v, depth + 1) for k, v in body}
            except TypeError:
                raise WireError("unhashable dict key") from None
        if tag in ("$a", "$s") and type(body) is str:
            try:
                npy = io.BytesIO(base64.b64decode(body, validate=True))
                array = np.load(npy, allow_pickle=False)
            except Exception as err:
                raise WireError(f"bad array: {err}") from None
            return array if tag == "$a" else array[()]
        if tag == "$h" and type(body) is dict:
            return self.from_handle(body)
        raise WireError(f"unknown tag {tag!r}")

    def send(self, message: dict) -> None:
        data = json.dumps(self.encode(message)).encode()
        view = memoryview(len(data).to_bytes(8, "big") + data)
        while view:
            view = view[os.write(self.fd_out, view):]

    def receive(self) -> dict:
        """The next message; raises :class:`WireError` past ``limit`` bytes or when it is
        malformed, ``EOFError`` when the other side closed the channel."""
        size = int.from_bytes(self._read(8), "big")
        if size > self.limit:
            raise WireError(f"message larger than {self.limit} bytes")
        try:
            tree = json.loads(self._read(size))
        except (ValueError, RecursionError):  # nesting too deep for the parser is malformed too
            raise WireError("message is not JSON") from None
        message = self.decode(tree)
        if type(message) is not dict:
            raise WireError("malformed message")
        return message

    def _read(self, size: int) -> bytes:
        chunks = []
        while size:
            self.wait()
            chunk = os.read(self.fd_in, min(size, 1 << 20))
            if not chunk:
                raise EOFError("the other side closed the channel")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)


def until_reply(read, serve) -> dict:
    """Read messages, handing each request to ``serve``, until a reply comes; return it."""
    while True:
        message = read()
        if message.get("op") == "reply":
            return message
        serve(message)
