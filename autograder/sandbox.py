"""Isolation of grading kernels with bubblewrap, and the fallback when it is absent.

With ``bwrap`` a kernel (or a worker's kernel factory) sees the whole system read-only,
cannot see the course's solutions, gradebook, other submissions or grading records,
has no network, lives in its own PID namespace (it cannot see or signal the grader)
and may write only inside its own run folder. Without ``bwrap`` (macOS, containers
without user namespaces) kernels still get the memory, file-size and time limits and a
private working folder, but nothing stops them reading or writing elsewhere; the
grade report says so.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

NO_BWRAP_NOTE = (
    "kernels are not sandboxed: bubblewrap (bwrap) is not installed or cannot create "
    "namespaces here, so student code could read or write files outside its folder"
)


@dataclass(frozen=True)
class Isolation:
    """Which isolation grading uses, and a sentence for the report when it is weaker."""

    mode: str  # "bwrap" or "none"
    note: str = ""


@functools.cache
def bwrap_works() -> bool:
    """True when ``bwrap`` exists and can create the namespaces used here."""
    exe = shutil.which("bwrap")
    if exe is None or not sys.platform.startswith("linux"):
        return False
    probe = [exe, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
             "--unshare-pid", "--unshare-net", "--die-with-parent", "true"]
    try:
        return subprocess.run(probe, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def choose_isolation(setting: str) -> Isolation:
    """Resolve the ``sandbox`` setting ("auto", "bwrap", "none").

    Raises
    ------
    RuntimeError
        If "bwrap" is demanded but does not work here.
    """
    if setting == "none":
        return Isolation("none", "kernels are not sandboxed (sandbox = 'none' in the settings)")
    if bwrap_works():
        return Isolation("bwrap")
    if setting == "bwrap":
        raise RuntimeError(
            "sandbox = 'bwrap' but bubblewrap does not work here: install it "
            "(apt-get install bubblewrap) or set c.Autograder.sandbox = 'auto'"
        )
    return Isolation("none", NO_BWRAP_NOTE)


def bwrap_prefix(hidden: list[Path], private_root: Path, writable: Path) -> list[str]:
    """The ``bwrap`` arguments that wrap a command.

    Parameters
    ----------
    hidden : list of Path
        Files and folders replaced by empty ones (solutions, gradebook, records).
    private_root : Path
        Folder holding every worker's run folders; hidden as a whole...
    writable : Path
        ...except this one, the only writable place (inside ``private_root``).
    """
    args = [shutil.which("bwrap") or "bwrap", "--ro-bind", "/", "/", "--dev", "/dev",
            "--proc", "/proc", "--unshare-pid", "--unshare-net", "--unshare-ipc",
            "--unshare-uts", "--die-with-parent", "--new-session"]
    for path in hidden:
        if path.is_dir():
            args += ["--tmpfs", str(path)]
        elif path.exists():
            args += ["--ro-bind", "/dev/null", str(path)]
    args += ["--tmpfs", str(private_root), "--bind", str(writable), str(writable)]
    return args + ["--"]
