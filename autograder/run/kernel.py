"""The student's side: runs inside the sandbox, with nothing of the grader in reach.

Started as ``python -I kernel.py UID`` by the grader. It holds the student's
namespace, runs the cells the grader sends (the student's answers and the
instructor's set-up cells, never a test cell), and answers calls to the functions
defined there. Arguments and results travel through :mod:`wire` as data; anything
else stays here behind a handle. A check may lend the student's code a helper of
its own (a stand-in or the reference answer to one call): that helper stays in the
grader, and calling it here sends its arguments there and brings back data.

This file and ``wire.py`` are the whole of what runs in the sandbox; they import
nothing from the grader's side.
"""

from __future__ import annotations

import builtins
import inspect
import io
import itertools
import os
import signal
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire  # noqa: E402

LIMIT = 1 << 28  # largest message accepted from the grader


class OutOfTime(BaseException):
    """Raised in the student's code when the grader's time for a request is up."""


def _alarm(signum, frame):
    raise OutOfTime("the student's code ran out of time")


class CappedText(io.TextIOBase):
    """A text stream that keeps the first ``limit`` characters and counts the rest."""

    def __init__(self, limit: int):
        self.limit, self.parts, self.kept, self.dropped = limit, [], 0, 0

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        text = str(text)
        room = max(0, self.limit - self.kept)
        self.parts.append(text[:room])
        self.kept += min(room, len(text))
        self.dropped += max(0, len(text) - room)
        return len(text)

    def take(self) -> tuple[str, int]:
        text, dropped = "".join(self.parts), self.dropped
        self.parts, self.kept, self.dropped = [], 0, 0
        return text, dropped


class Callback:
    """A helper lent by the grader: calling it asks the grader to run it."""

    def __init__(self, kernel: Kernel, number: int, name: str):
        self._kernel, self._number, self.__name__ = kernel, number, name

    def __call__(self, *args, **kwargs):
        return self._kernel.call_grader(self._number, args, kwargs)

    def __repr__(self) -> str:
        return f"<helper {self.__name__} lent by the grader>"


def _signature(obj) -> list | None:
    try:
        params = inspect.signature(obj).parameters.values()
    except (TypeError, ValueError):
        return None
    record = []
    for p in params:
        default = p.default
        plain = default is None or type(default) in (bool, int, float, str)
        has = default is not inspect.Parameter.empty
        record.append([p.name, int(p.kind), has, default if has and plain else None, plain])
    return record


class Kernel:
    """The namespace, the objects behind handles, and the message loop."""

    def __init__(self, fd_in: int, fd_out: int, max_chars: int):
        self.fd_in, self.fd_out = fd_in, fd_out
        self.ns: dict = {"__name__": "__main__", "__builtins__": builtins}
        self.objects: dict[int, object] = {}
        self.numbers = itertools.count(1)
        self.out, self.err = CappedText(max_chars), CappedText(max_chars)

    # ---------------------------------------------------------------- handles
    def to_handle(self, obj) -> dict:
        if isinstance(obj, Callback):
            return {"cb": obj._number}
        number = next(self.numbers)
        self.objects[number] = obj
        record = {"id": number, "callable": callable(obj),
                  "name": str(getattr(obj, "__name__", type(obj).__name__))[:200]}
        if callable(obj):
            record["sig"] = _signature(obj)
        return record

    def from_handle(self, record: dict):
        if type(record.get("id")) is int and record["id"] in self.objects:
            return self.objects[record["id"]]
        if type(record.get("cb")) is int:
            return Callback(self, record["cb"], str(record.get("name", "helper")))
        raise wire.WireError("unknown handle")

    def send(self, header: dict, value=None) -> None:
        blobs: list[bytes] = []
        if value is not None or "value" in header:
            header["value"] = wire.encode(value, blobs, self.to_handle)
        wire.write_message(self.fd_out, header, blobs)

    # ------------------------------------------------------------- operations
    def run_cell(self, code: str) -> dict:
        before = {k: id(v) for k, v in self.ns.items()}
        error = None
        try:
            compiled = compile(code, "<cell>", "exec")
        except SyntaxError as err:
            compiled, error = None, err
        if compiled is None:
            compiled = self._ipython(code)
        try:
            if compiled is None:
                raise error
            exec(compiled, self.ns)
        except BaseException as err:  # the student's code may raise anything
            error = {"ename": type(err).__name__, "timeout": isinstance(err, OutOfTime),
                     "evalue": str(err)[:2000],
                     "traceback": traceback.format_exception(type(err), err,
                                                             err.__traceback__)[-12:]}
        else:
            error = None
        defined = [k for k, v in self.ns.items() if before.get(k) != id(v)]
        return {"error": error, "defined": defined}

    @staticmethod
    def _ipython(code: str):
        """Cells with IPython syntax (``%time``...) are translated when IPython is here."""
        try:
            from IPython.core.inputtransformer2 import TransformerManager

            return compile(TransformerManager().transform_cell(code), "<cell>", "exec")
        except Exception:
            return None

    def handle(self, header: dict, blobs: list[bytes]) -> None:
        op = header.get("op")
        value, reply = None, {"op": "reply"}
        seconds = header.get("seconds")
        if type(seconds) in (int, float) and seconds > 0:
            signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            args = wire.decode(header.get("args", {"$l": []}), blobs, self.from_handle)
            if op == "run":
                reply.update(self.run_cell(str(header.get("code", ""))))
            elif op == "call":
                target, call_args, kwargs = args
                if type(kwargs) is not dict or not all(type(k) is str for k in kwargs):
                    raise wire.WireError("keyword arguments must be a dict of names")
                value = target(*call_args, **kwargs)
                reply["value"] = None
            elif op in ("get", "set", "delete"):
                owner, name = args[0], args[1]
                space = getattr(owner, "__globals__", self.ns) if owner is not None else self.ns
                if type(space) is not dict or type(name) is not str:
                    raise wire.WireError("no such namespace")
                if op == "get":
                    reply["found"] = name in space
                    value = space.get(name)
                    reply["value"] = None
                elif op == "set":
                    space[name] = args[2]
                else:
                    space.pop(name, None)
            elif op == "bye":
                os._exit(0)
            else:
                raise wire.WireError(f"unknown operation {op!r}")
        except BaseException as err:  # reported to the grader, never fatal here
            reply = {"op": "reply", "raise": {"type": type(err).__name__,
                                               "message": str(err)[:2000],
                                               "timeout": isinstance(err, OutOfTime)}}
            value = None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        reply["stdout"], reply["dropped"] = self.out.take()
        reply["stderr"], dropped_err = self.err.take()
        reply["dropped"] += dropped_err
        try:
            self.send(reply, value)
        except Exception as err:  # a result that is not sendable
            self.send({"op": "reply", "stdout": reply.get("stdout", ""), "dropped": 0,
                       "stderr": "", "raise": {"type": "TypeError", "message":
                                               f"the result could not be sent: {err}"}})

    def call_grader(self, number: int, args: tuple, kwargs: dict):
        """Run a helper the grader lent; serve the grader's own calls meanwhile."""
        blobs: list[bytes] = []
        tree = wire.encode([args, kwargs], blobs, self.to_handle)
        left = signal.setitimer(signal.ITIMER_REAL, 0)[0]  # the grader's time is not ours
        wire.write_message(self.fd_out, {"op": "callback", "cb": number, "args": tree}, blobs)
        header, blobs = self.loop(until_reply=True)
        if left:
            signal.setitimer(signal.ITIMER_REAL, left)
        if "raise" in header:
            kind = getattr(builtins, str(header["raise"].get("type")), None)
            if not (isinstance(kind, type) and issubclass(kind, Exception)):
                kind = RuntimeError
            raise kind(str(header["raise"].get("message", "")))
        return wire.decode(header.get("value"), blobs, self.from_handle)

    def loop(self, until_reply: bool = False):
        while True:
            header, blobs = wire.read_message(self.fd_in, LIMIT)
            if header.get("op") == "reply":
                if until_reply:
                    return header, blobs
                continue
            self.handle(header, blobs)


def drop_privileges(uid: int) -> None:
    """When started as root, become ``uid``: the process limit then counts our processes."""
    if os.getuid() == 0 and uid > 0:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)


def main() -> None:
    drop_privileges(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    max_chars = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
    fd_in, fd_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    signal.signal(signal.SIGALRM, _alarm)
    kernel = Kernel(fd_in, fd_out, max_chars)
    sys.stdout, sys.stderr = kernel.out, kernel.err
    sys.path.insert(0, os.getcwd())  # the kit next to the notebook, as in Jupyter
    wire.write_message(fd_out, {"op": "ready"}, [])
    try:
        kernel.loop()
    except (EOFError, wire.WireError):
        os._exit(0)


if __name__ == "__main__":
    main()
