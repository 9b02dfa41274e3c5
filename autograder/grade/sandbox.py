"""The sandbox a student's kernel runs in: what it sees (bubblewrap) and its limits; the
reasons are in ``autograder/README.md`` ("Security")."""

from __future__ import annotations

import functools
import importlib.util
import os
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HOME = "/home/student"
RUNNER = "/opt/autograder-run"
#: packages the kernel must not import even when they are installed in the environment
HIDDEN_PACKAGES = ("convref", "autograder", "nbgrader")


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 4096
    file_size_mb: int = 256
    cpu_seconds: int = 900
    processes: int = 64
    max_output_chars: int = 20_000
    startup_seconds: float = 60.0  # for the kernel to start and say it is ready
    nice: int = 10  # how much the kernel yields the CPU to the grading processes


@functools.cache
def bwrap_works() -> bool:
    """True when ``bwrap`` exists and can create the namespaces used here."""
    probe = [shutil.which("bwrap") or "bwrap", *_namespaces(), "--ro-bind", "/", "/",
             "--proc", "/proc", "--dev", "/dev", "true"]
    try:
        return subprocess.run(probe, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _namespaces() -> list[str]:
    # as root, the kernel sets its own unprivileged user id before running anything
    user = ["--cap-add", "CAP_SETUID,CAP_SETGID"] if os.getuid() == 0 else ["--unshare-user"]
    return ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--die-with-parent", "--new-session", *user]


def _parents(path: str) -> list[str]:
    """Make the folders above ``path`` first: bwrap would make them private (0700)."""
    parents = reversed(Path(path).parents[:-1])  # all but "/"
    return [arg for parent in parents for arg in ("--perms", "0755", "--dir", str(parent))]


def _system_mounts() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr", "--perms", "0755", "--dir", "/etc"]
    for path in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc/ld.so.cache", "/etc/ld.so.conf",
                 "/etc/ld.so.conf.d", "/etc/fonts", "/etc/alternatives", "/etc/localtime"):
        args += ["--ro-bind-try", path, path]  # where the system has it
    envs = {q for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)
            for q in (os.path.abspath(p), os.path.realpath(p))}
    for env in sorted(envs):
        if not env.startswith("/usr/"):
            args += [*_parents(env), "--ro-bind", env, env]
    for name in HIDDEN_PACKAGES:  # masked by an empty folder where the environment has them
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        for location in (spec.submodule_search_locations or []) if spec else []:
            hidden = os.path.realpath(location)
            if any(hidden.startswith(env + os.sep) for env in envs):
                args += ["--tmpfs", hidden]
    return args


def command(scratch: Path, support: list[Path], runner: Path, uid: int, limits: Limits,
            sandboxed: bool) -> tuple[list[str], dict[str, str]]:
    """The command line that starts ``runner/kernel.py`` in ``scratch`` (the student's folder)
    with the ``support`` files (the kit) read-only in it, as ``uid`` when grading runs as root,
    and the whole environment to start it with (bwrap passes it on). Not ``sandboxed``: the same
    kernel without isolation (unsafe)."""
    env = {"PATH": "/usr/bin:/bin", "HOME": HOME if sandboxed else str(scratch),
           "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "LANG": "C.UTF-8",
           "MPLCONFIGDIR": "/tmp" if sandboxed else str(scratch / ".mpl")}
    # the environment's own Python (a venv is found from this path)
    tail = [sys.executable, "-I", "-B", f"{RUNNER if sandboxed else runner}/kernel.py",
            str(uid if sandboxed else 0), str(limits.max_output_chars)]
    if not sandboxed:
        for item in support:
            if not (scratch / item.name).exists():
                os.symlink(item, scratch / item.name)
        return tail, env
    # A private /tmp first: the environment may live under the host's /tmp (a CI
    # checkout, say), and a later mount would hide it again.
    args = [shutil.which("bwrap") or "bwrap", *_namespaces(), "--tmpfs", "/tmp",
            *_system_mounts(), "--proc", "/proc", "--dev", "/dev",
            *_parents(HOME), "--bind", str(scratch), HOME,
            *_parents(RUNNER), "--ro-bind", str(runner), RUNNER]
    for item in support:
        args += ["--ro-bind", str(item), f"{HOME}/{item.name}"]
    return [*args, "--chdir", HOME, "--", *tail], env


def apply_limits(limits: Limits, sandboxed: bool) -> None:
    """Set the kernel's resource limits: run in the new process before the kernel starts."""
    processes = limits.processes if sandboxed and os.getuid() == 0 else 0  # per user id
    for kind, value in ((resource.RLIMIT_AS, limits.memory_mb << 20),
                        (resource.RLIMIT_FSIZE, limits.file_size_mb << 20),
                        (resource.RLIMIT_NPROC, processes)):
        if value:  # 0: no limit
            resource.setrlimit(kind, (value, value))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if limits.nice:
        os.nice(limits.nice)
