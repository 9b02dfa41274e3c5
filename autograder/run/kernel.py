"""The student's kernel, run in the sandbox as ``python -I kernel.py UID MAX_CHARS``: it runs
the cells the grader sends (never a test cell) and answers calls to the functions defined
there; values travel through :mod:`wire` as data, anything else stays here behind a handle."""

from __future__ import annotations

import builtins
import inspect
import itertools
import os
import signal
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire  # noqa: E402


class OutOfTime(BaseException):
    """Raised in the student's code when the grader's time for a request is up."""


def _alarm(signum, frame):
    raise OutOfTime("the student's code ran out of time")


class Callback:
    """A helper lent by the grader: calling it asks the grader to run it."""

    def __init__(self, kernel: Kernel, number: int, name: str):
        self._kernel, self._number, self.__name__ = kernel, number, name

    def __call__(self, *args, **kwargs):
        return self._kernel.call_grader(self._number, args, kwargs)

    def __repr__(self) -> str:
        return f"<helper {self.__name__} lent by the grader>"


def _signature(obj) -> list | None:
    """Each parameter as [name, kind], or [name, kind, default] with a default (``{}`` for
    one that is not plain data: it stays here)."""
    try:
        params = inspect.signature(obj).parameters.values()
    except (TypeError, ValueError):
        return None
    plain = (type(None), bool, int, float, str)
    return [[p.name, int(p.kind)] + ([] if p.default is p.empty else
                                     [p.default if type(p.default) in plain else {}])
            for p in params]


def _compile(code: str):
    """A cell's code; IPython syntax (``%time``...) is translated when IPython is here."""
    try:
        return compile(code, "<cell>", "exec")
    except SyntaxError as err:
        error = err
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return compile(TransformerManager().transform_cell(code), "<cell>", "exec")
    except Exception:
        raise error from None


class Kernel:
    """The namespace, the objects behind handles, and the message loop."""

    def __init__(self, fd_in: int, fd_out: int, max_chars: int):
        self.ns: dict = {"__name__": "__main__", "__builtins__": builtins}
        self.objects: dict[int, object] = {}
        self.numbers = itertools.count(1)
        self.out, self.err = wire.CappedText(max_chars), wire.CappedText(max_chars)
        self.channel = wire.Channel(fd_in, fd_out, self.to_handle, self.from_handle)

    def to_handle(self, obj) -> dict:
        if isinstance(obj, Callback):
            return {"cb": obj._number}
        number = next(self.numbers)
        self.objects[number] = obj
        return {"id": number, "callable": callable(obj),
                "name": str(getattr(obj, "__name__", type(obj).__name__))[:200],
                "sig": _signature(obj) if callable(obj) else None}

    def from_handle(self, record: dict):
        if type(record.get("id")) is int and record["id"] in self.objects:
            return self.objects[record["id"]]
        if type(record.get("cb")) is int:
            return Callback(self, record["cb"], str(record.get("name", "helper")))
        raise wire.WireError("unknown handle")

    def run_cell(self, code: str) -> dict:
        before = {k: id(v) for k, v in self.ns.items()}
        error = None
        try:
            exec(_compile(code), self.ns)
        except BaseException as err:  # the student's code may raise anything
            error = {"ename": type(err).__name__, "timeout": isinstance(err, OutOfTime),
                     "evalue": str(err)[:2000], "traceback": traceback.format_exception(err)[-12:]}
        return {"error": error, "defined": [k for k, v in self.ns.items()
                                            if before.get(k) != id(v)]}

    def handle(self, request: dict) -> None:
        op, value, reply = request.get("op"), None, {"op": "reply"}
        seconds = request.get("seconds")
        if type(seconds) in (int, float) and seconds > 0:
            signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            args = request.get("args", [])
            if op == "run":
                reply.update(self.run_cell(str(request.get("code", ""))))
            elif op == "call":
                target, call_args, kwargs = args
                if type(kwargs) is not dict or not all(type(k) is str for k in kwargs):
                    raise wire.WireError("keyword arguments must be a dict of names")
                value = target(*call_args, **kwargs)
            elif op in ("get", "set", "delete"):
                owner, name = args[0], args[1]  # owner: a function whose globals are meant
                space = getattr(owner, "__globals__", self.ns)
                if type(space) is not dict or type(name) is not str:
                    raise wire.WireError("no such namespace")
                if op == "get":
                    reply["found"], value = name in space, space.get(name)
                elif op == "set":
                    space[name] = args[2]
                else:
                    space.pop(name, None)
            else:
                raise wire.WireError(f"unknown operation {op!r}")
        except BaseException as err:  # reported to the grader, never fatal here
            value = None
            reply = {"op": "reply", "raise": {**wire.raised(err),
                                              "timeout": isinstance(err, OutOfTime)}}
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        (reply["stdout"], dropped), (reply["stderr"], more) = self.out.take(), self.err.take()
        reply["dropped"] = dropped + more
        try:
            self.channel.send({**reply, "value": value})
        except Exception as err:  # a result that is not sendable
            reply["raise"] = wire.raised(TypeError(f"the result could not be sent: {err}"))
            self.channel.send(reply)

    def call_grader(self, number: int, args: tuple, kwargs: dict):
        """Run a helper the grader lent; serve the grader's own calls meanwhile."""
        left = signal.setitimer(signal.ITIMER_REAL, 0)[0]  # the grader's time is not ours
        try:
            self.channel.send({"op": "callback", "cb": number, "args": [args, kwargs]})
            reply = wire.until_reply(self.channel.receive, self.handle)
        finally:
            if left:
                signal.setitimer(signal.ITIMER_REAL, left)
        if "raise" in reply:
            raise wire.exception_from(reply["raise"], lambda name, message: RuntimeError(message))
        return reply.get("value")


def main() -> None:
    uid, max_chars = int(sys.argv[1]), int(sys.argv[2])
    if os.getuid() == 0 and uid > 0:
        # started as root: become an unused user id, so the process limit counts ours alone
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    fd_in, fd_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    signal.signal(signal.SIGALRM, _alarm)
    kernel = Kernel(fd_in, fd_out, max_chars)
    sys.stdout, sys.stderr = kernel.out, kernel.err
    sys.path.insert(0, os.getcwd())  # the kit next to the notebook, as in Jupyter
    kernel.channel.send({"op": "ready"})
    try:
        while True:  # a reply out of turn is dropped
            wire.until_reply(kernel.channel.receive, kernel.handle)
    except (EOFError, wire.WireError):
        os._exit(0)


if __name__ == "__main__":
    main()
