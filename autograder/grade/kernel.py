"""The grader's end of a sandboxed kernel: start it (again, replaying its cells, after a
failure, which raises :class:`KernelError`), talk to it, and stand-ins for its objects."""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import select
import signal
import subprocess
import time
from collections.abc import Callable, MutableMapping
from pathlib import Path

from autograder.grade.sandbox import Limits, apply_limits, command
from autograder.run import wire

GRACE = 2.0  # seconds the kernel has to stop by itself once its time is up, before it is killed


class KernelError(Exception):
    """The kernel could not answer: it died, ran out of time or broke the protocol."""


class CellTimeout(KernelError):
    """Time is up: the student's code stopped (``killed`` False) or was killed (True)."""

    def __init__(self, message: str, killed: bool = False):
        super().__init__(message)
        self.killed = killed


class StudentError(Exception):
    """An exception of a type the grader does not know, raised by the student's code."""


class Remote:
    """An object that stays in the kernel; checks can only pass it back."""

    def __init__(self, kernel: Kernel, record: dict):
        self._kernel, self._id, self._channel = kernel, record["id"], kernel.channel
        self.__name__ = self.__qualname__ = str(record.get("name", "object"))

    def __repr__(self) -> str:
        return f"<{self.__name__} in the student's kernel>"


class RemoteFunction(Remote):
    """A callable of the student's code: a call sends the arguments as data and brings
    back data or a :class:`Remote`. Its ``__globals__`` are the kernel's, where a check
    may lend a helper of its own (``convkit.checks.replaced_globals``)."""

    def __init__(self, kernel: Kernel, record: dict):
        super().__init__(kernel, record)
        self.__signature__ = _signature(record.get("sig"))

    def __call__(self, *args, **kwargs):
        return self._kernel.call(self, args, kwargs)

    @property
    def __globals__(self) -> RemoteGlobals:
        return RemoteGlobals(self._kernel, self)


class RemoteGlobals(MutableMapping):
    """The kernel namespace a student function reads its globals from."""

    def __init__(self, kernel: Kernel, owner: Remote | None):
        self._kernel, self._owner = kernel, owner

    def __getitem__(self, name: str):
        found, value = self._kernel.get_global(name, self._owner)
        if not found:
            raise KeyError(name)
        return value

    def __setitem__(self, name: str, value) -> None:
        self._kernel.set_global(name, value, self._owner)

    def __delitem__(self, name: str) -> None:
        self._kernel.set_global(name, None, self._owner, delete=True)

    def __iter__(self):
        raise TypeError("the kernel's namespace cannot be listed from the grader")

    __len__ = __iter__


def _signature(record) -> inspect.Signature | None:
    """The signature the kernel described; ``...`` stands for a default that is not data."""
    try:
        return inspect.Signature([inspect.Parameter(
            str(p[0]), inspect._ParameterKind(p[1]), default=inspect.Parameter.empty
            if len(p) < 3 else ... if p[2] == {} else p[2]) for p in record])
    except (TypeError, ValueError, IndexError, KeyError):
        return None


class Kernel:
    """One student's sandboxed kernel, seen from the grader: ``kernel.py`` from ``runner``,
    started in ``scratch`` with ``support`` read-only there (:func:`sandbox.command`)."""

    def __init__(self, scratch: Path, support: list[Path], runner: Path, limits: Limits,
                 sandboxed: bool):
        self.log, self.startup = scratch.parent / "kernel.log", limits.startup_seconds
        self.argv, self.env = command(scratch, support, runner, 200_000 + os.getpid() % 100_000,
                                      limits, sandboxed)
        self.popen = {"cwd": scratch, "env": self.env, "start_new_session": True,
                      "preexec_fn": functools.partial(apply_limits, limits, sandboxed)}
        self.proc: subprocess.Popen | None = None
        self.channel: wire.Channel | None = None  # a new one each time the kernel starts
        self.history: list[tuple[str, bool]] = []  # (cell, timed out) to replay
        self.deadline = float("inf")
        self.lent: dict[int, Callable] = {}  # number -> a helper lent to the student's code
        self.lent_as: dict[tuple, range] = {}  # (owner, name) -> the helpers lent under it
        self.numbers = 0  # the last number given to a lent helper
        self.sink: Callable[[str, str, int], None] = lambda out, err, dropped: None

    def close(self) -> None:
        """Kill the kernel and everything started in it; lent helpers are withdrawn."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with self.proc:  # then its pipes are closed and it is waited for
            self.proc.kill()
        self.proc = None
        self.lent, self.lent_as = {}, {}

    def ensure(self) -> None:
        """Start the kernel if needed, replaying the cells that ran before silently."""
        if self.proc is not None:
            return
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=log, **self.popen)
        self.channel = wire.Channel(self.proc.stdout.fileno(), self.proc.stdin.fileno(),
                                    self._to_handle, self._from_handle, wait=self._wait)
        saved, sink = self.deadline, self.sink
        self.deadline, self.sink = time.monotonic() + self.startup, lambda out, err, dropped: None
        try:
            try:
                if self._read().get("op") != "ready":
                    raise KernelError("it did not say it was ready")
            except KernelError as err:
                tail = self.log.read_text(errors="replace")[-500:]
                self.close()
                raise KernelError(f"the kernel did not start ({err}): {tail}") from None
            for code, timed_out in list(self.history):
                self.deadline = time.monotonic() + (1.0 if timed_out else 600.0)
                self._request({"op": "run", "code": code})
        finally:
            self.deadline, self.sink = saved, sink

    def _wait(self) -> None:
        left = self.deadline + GRACE - time.monotonic()
        if left <= 0 or not select.select([self.proc.stdout], [], [], min(left, 1e6))[0]:
            raise CellTimeout("did not stop when interrupted", killed=True)

    def _read(self) -> dict:
        try:
            return self.channel.receive()
        except EOFError:
            raise KernelError("the kernel died") from None
        except (wire.WireError, OSError) as err:
            raise KernelError(f"the kernel sent something that is not data ({err})") from None

    def _to_handle(self, obj) -> dict:
        if isinstance(obj, Remote):
            if obj._channel is not self.channel:  # from another kernel, or before a restart
                raise LookupError(f"{obj!r} is gone: the kernel was restarted")
            return {"id": obj._id}
        if callable(obj):
            self.numbers += 1
            self.lent[self.numbers] = obj
            return {"cb": self.numbers, "name": str(getattr(obj, "__name__", "helper"))[:100]}
        raise TypeError(f"a {type(obj).__name__} cannot be sent to the student's code")

    def _from_handle(self, record: dict):
        if type(record.get("id")) is int:
            return (RemoteFunction if record.get("callable") else Remote)(self, record)
        if type(record.get("cb")) is int and record["cb"] in self.lent:
            return self.lent[record["cb"]]
        raise wire.WireError("unknown handle")

    def _request(self, request: dict) -> dict:
        """Send one request; serve the kernel's calls to lent helpers until it replies.
        Helpers lent during a call (as arguments, or returned by a helper) end with it."""
        self.ensure()
        first = self.numbers + 1
        request["seconds"] = max(0.05, min(self.deadline - time.monotonic(), 1e6))
        try:
            self.channel.send(request)
            reply = wire.until_reply(self._read, self._serve)
            self.sink(str(reply.get("stdout", "")), str(reply.get("stderr", "")),
                      int(reply.get("dropped", 0) or 0))
            return reply
        except KernelError:
            self.close()
            raise
        except OSError as err:
            self.close()
            raise KernelError(f"the kernel died ({err})") from None
        finally:
            if request["op"] == "call":
                for number in range(first, self.numbers + 1):
                    self.lent.pop(number, None)

    def _serve(self, request: dict) -> None:
        if request.get("op") != "callback":
            raise KernelError("the kernel broke the protocol")
        try:
            helper = self.lent.get(request.get("cb"))
            if helper is None:
                raise LookupError("this helper was withdrawn when its check ended")
            args, kwargs = request.get("args")
            self.channel.send({"op": "reply", "value": helper(*args, **dict(kwargs))})
        except KernelError:
            raise
        except Exception as err:  # the student's code's own (a failed write fails again below)
            self.channel.send({"op": "reply", "raise": wire.raised(err)})

    @staticmethod
    def _value(reply: dict):
        if "raise" in reply:
            if reply["raise"].get("timeout") is True:
                raise CellTimeout("the student's code ran out of time")
            raise wire.exception_from(reply["raise"], lambda name, message:
                                      StudentError(f"{name}: {message}"))
        return reply.get("value")

    def run_cell(self, code: str) -> dict:
        """Run one cell in the kernel; returns ``{"error", "timeout", "defined"}``."""
        reply = self._request({"op": "run", "code": code})
        if "raise" in reply:
            raise KernelError(str(reply["raise"].get("message")))
        error = reply.get("error") if type(reply.get("error")) is dict else None
        timed_out = bool(error and error.get("timeout") is True)
        self.history.append((code, timed_out))
        defined = reply.get("defined") if type(reply.get("defined")) is list else []
        return {"error": error, "timeout": timed_out,
                "defined": [d for d in defined if type(d) is str]}

    def call(self, function: RemoteFunction, args: tuple, kwargs: dict):
        return self._value(self._request({"op": "call", "args": [function, list(args), kwargs]}))

    def get_global(self, name: str, owner: Remote | None = None):
        reply = self._request({"op": "get", "args": [owner, name]})
        return bool(reply.get("found")), self._value(reply)

    def set_global(self, name: str, value, owner: Remote | None = None,
                   delete: bool = False) -> None:
        key, first = (owner._id if owner is not None else None, name), self.numbers + 1
        reply = self._request({"op": "delete" if delete else "set", "args": [owner, name, value]})
        for number in self.lent_as.pop(key, ()):
            self.lent.pop(number, None)  # helpers lent before under this name are withdrawn
        self.lent_as[key] = range(first, self.numbers + 1)
        self._value(reply)
