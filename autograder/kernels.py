"""Grading kernels: where they run, how they start, and the kernel manager nbclient uses.

A worker process owns one :class:`KernelLauncher`. For every notebook it creates a
:class:`KernelRun` (a fresh private folder with a copy of the assignment's files, but
never the notebooks), and :class:`GradingKernelManager` starts the kernel in it, either
by forking the worker's pre-loaded factory (:mod:`autograder.zygote`) or by starting a
new interpreter; in both cases inside bubblewrap when available.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning.local_provisioner import LocalProvisioner

from autograder.sandbox import Isolation, bwrap_prefix

if TYPE_CHECKING:
    from autograder.course import Course

HERE = Path(__file__).resolve().parent
KERNEL_ENTRY = HERE / "kernel_entry.py"
ZYGOTE = HERE / "zygote.py"

# Single-threaded numerical libraries: one kernel per core, results independent of threads.
_FIXED_ENV = {
    "PYTHONHASHSEED": "0",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    # what ipykernel would choose; set before a pre-loaded matplotlib reads it
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}


@dataclass
class KernelLimits:
    memory_mb: int = 4096
    file_size_mb: int = 256


@dataclass
class KernelRun:
    """One notebook's private folder: ``work/`` is the kernel's cwd, ``home/`` its HOME."""

    folder: Path
    allowed: set[str] = field(default_factory=set)

    @property
    def work(self) -> Path:
        return self.folder / "work"

    @property
    def home(self) -> Path:
        return self.folder / "home"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ")}
        env.update(_FIXED_ENV)
        env.update(HOME=str(self.home), TMPDIR=str(self.home), MPLCONFIGDIR=str(self.home))
        return env


class KernelLauncher:
    """Starts grading kernels for one worker; see :func:`make_launcher`.

    Parameters
    ----------
    root : Path
        This worker's private folder (runs are created inside and wiped after use).
    isolation : Isolation
        Sandbox mode.
    limits : KernelLimits
        Memory and file-size caps.
    hidden : list of Path
        What a sandboxed kernel must not see.
    private_root : Path
        The folder that holds every worker's ``root`` (hidden from sandboxed kernels).
    """

    def __init__(self, root: Path, isolation: Isolation, limits: KernelLimits,
                 hidden: list[Path], private_root: Path):
        self.root = root
        self.isolation = isolation
        self.limits = limits
        self.hidden = hidden
        self.private_root = private_root
        self.root.mkdir(parents=True, exist_ok=True)

    @property
    def transport(self) -> str:
        # A sandboxed kernel has no network, so it talks over Unix sockets in its folder.
        return "ipc" if self.isolation.mode == "bwrap" else "tcp"

    def new_run(self, files_from: list[Path], allowed: set[str]) -> KernelRun:
        """A fresh run folder holding a copy of the ``files_from`` folders, notebooks left out.

        Later folders win: the release's files (the student kit), then the graded
        notebook's folder (files nbgrader copied from the source directory).
        """
        self.clear()
        run = KernelRun(self.root / uuid.uuid4().hex[:12], allowed)
        run.work.mkdir(parents=True)
        for folder in files_from:
            if folder.is_dir():
                shutil.copytree(folder, run.work, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("*.ipynb", "__pycache__"))
        run.home.mkdir(parents=True, exist_ok=True)
        return run

    def clear(self) -> None:
        """Remove everything a previous run left in this worker's folder."""
        for entry in self.root.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)

    def write_job(self, run: KernelRun) -> Path:
        job = {
            "cwd": str(run.work),
            "env": run.env(),
            "allowed": sorted(run.allowed),
            "memory_mb": self.limits.memory_mb,
            "file_size_mb": self.limits.file_size_mb,
        }
        path = run.folder / f"job-{uuid.uuid4().hex[:8]}.json"
        path.write_text(json.dumps(job))
        return path

    def launch(self, run: KernelRun, kernel_args: list[str]) -> KernelProcess:
        """Start a kernel for ``run``; returns a Popen-like handle."""
        raise NotImplementedError

    def finish(self) -> None:
        """Called after each notebook: kill leftovers and wipe the folder."""
        self.clear()

    def close(self) -> None:
        self.clear()


class SpawnLauncher(KernelLauncher):
    """A new interpreter (inside its own bubblewrap sandbox) per kernel."""

    def launch(self, run: KernelRun, kernel_args: list[str]) -> KernelProcess:
        job = self.write_job(run)
        cmd = [sys.executable, str(KERNEL_ENTRY), str(job), *kernel_args]
        if self.isolation.mode == "bwrap":
            cmd = bwrap_prefix(self.hidden, self.private_root, run.folder) + cmd
        return subprocess.Popen(
            cmd, env=run.env(), cwd=run.work, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )


class ForkedKernel:
    """Popen-like handle of a kernel forked by the factory (it is not our child)."""

    def __init__(self, factory: ForkLauncher, pid: int):
        self.factory = factory
        self.pid = pid
        self.returncode: int | None = None
        self.stdin = self.stdout = self.stderr = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.factory.pump()
            if self.pid in self.factory.exited or not self.factory.alive():
                self.returncode = self.factory.exited.pop(self.pid, -signal.SIGKILL)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("kernel", timeout)
            time.sleep(0.02)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, signum: int) -> None:
        self.factory.command(f"signal {self.pid} {int(signum)}")

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ForkLauncher(KernelLauncher):
    """Kernels forked from a pre-loaded factory process (one per worker, sandboxed)."""

    def __init__(self, *args, preload: list[str] | None = None, log: Path | None = None, **kw):
        super().__init__(*args, **kw)
        self.preload = preload or []
        self.log = log
        self.proc: subprocess.Popen | None = None
        self.exited: dict[int, int] = {}
        self._buffer = b""

    def start(self, attempts: int = 3) -> None:
        """Start the factory; a start that fails (a busy machine, a transient sandbox
        error) is retried before it costs a student their grade."""
        for _ in range(attempts):
            words = self._start_once()
            if words and words[0] == "ready":
                return
            self._stop_failed_start()
        tail = self._log_tail()
        raise RuntimeError(
            f"the kernel factory did not start after {attempts} tries (said {words!r})"
            + (f"; its log ends: {tail}" if tail else "")
        )

    def _stop_failed_start(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait()
        self.proc, self._buffer = None, b""

    def _log_tail(self, lines: int = 5) -> str:
        if not self.log or not Path(self.log).exists():
            return ""
        text = Path(self.log).read_text(encoding="utf-8", errors="replace").strip()
        return " | ".join(text.splitlines()[-lines:])

    def _start_once(self) -> list[str]:
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ")}
        env.update(_FIXED_ENV)
        env.update(HOME=str(self.root), TMPDIR=str(self.root),
                   AUTOGRADER_PRELOAD=",".join(self.preload))
        cmd = [sys.executable, str(ZYGOTE)]
        if self.isolation.mode == "bwrap":
            env["AUTOGRADER_OWN_PIDS"] = "1"
            cmd = bwrap_prefix(self.hidden, self.private_root, self.root) + cmd
        log = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(cmd, env=env, cwd=self.root, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=log, start_new_session=True)
        if log is not subprocess.DEVNULL:
            log.close()
        return self._read_line()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def command(self, line: str) -> None:
        if not self.alive():
            return
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write(line.encode() + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    def _read_line(self) -> list[str]:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            chunk = os.read(fd, 4096)
            if not chunk:
                return []
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode().split()

    def _expect(self, word: str) -> list[str]:
        while True:
            words = self._read_line()
            if not words:
                raise RuntimeError("the kernel factory stopped")
            if words[0] == "exited":
                self.exited[int(words[1])] = int(words[2])
            elif words[0] == word:
                return words

    def pump(self) -> None:
        """Read the factory's pending messages without blocking."""
        import select

        if self.proc is None or self.proc.stdout is None:
            return
        fd = self.proc.stdout.fileno()
        while select.select([fd], [], [], 0)[0]:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            self._buffer += chunk
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            words = line.decode().split()
            if words and words[0] == "exited":
                self.exited[int(words[1])] = int(words[2])

    def launch(self, run: KernelRun, kernel_args: list[str]) -> KernelProcess:
        if not self.alive():
            self.start()  # first use, or the factory was killed by a student's kernel
        job = self.write_job(run)
        self.command("spawn " + json.dumps([str(job), *kernel_args]))
        return ForkedKernel(self, int(self._expect("spawned")[1]))

    def finish(self) -> None:
        if self.alive():
            self.command("reset")
            try:
                self._expect("reset-done")
            except RuntimeError:
                pass
        self.clear()

    def close(self) -> None:
        if self.proc is not None:
            if self.proc.stdin:
                self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        self.clear()


#: what a launcher returns: a child process, or a kernel forked by the factory
KernelProcess = subprocess.Popen | ForkedKernel


class GradingProvisioner(LocalProvisioner):
    """Launches through the worker's :class:`KernelLauncher` instead of ``Popen``."""

    async def launch_kernel(self, cmd: list[str], **kwargs):
        km = self.parent
        assert isinstance(km, GradingKernelManager) and km.run is not None
        kernel_args = cmd[cmd.index("-f"):]
        self.process = km.launcher.launch(km.run, kernel_args)
        self.pid = self.process.pid
        # A spawned sandbox leads its own process group; a forked kernel is signalled
        # through its factory.
        self.pgid = self.pid if isinstance(self.process, subprocess.Popen) else None
        self.cwd = str(km.run.work)
        return self.connection_info


class GradingKernelManager(AsyncKernelManager):
    """The kernel manager nbclient uses while grading; set ``launcher`` and ``run`` first."""

    launcher: KernelLauncher
    run: KernelRun | None = None

    @property
    def kernel_spec(self) -> KernelSpec:
        return KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name="Python 3 (grading)",
            language="python",
            interrupt_mode="message",  # reaches a sandboxed kernel without signals
        )

    @property
    def ipykernel(self) -> bool:
        return True

    async def _async_pre_start_kernel(self, **kw):
        assert self.run is not None, "GradingKernelManager.run must be set before start"
        self.kernel_id = self.kernel_id or str(uuid.uuid4())
        if self.provisioner is None:
            self.provisioner = GradingProvisioner(
                kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self
            )
            self.transport = self.launcher.transport
            self.connection_file = str(self.run.folder / "k.json")
            if self.transport == "ipc":
                self.ip = str(self.run.folder / "k")
        kw.pop("cwd", None)  # the run folder, not the graded notebook's folder
        return await super()._async_pre_start_kernel(**kw)


_ACTIVE: KernelLauncher | None = None


def make_launcher(course: Course, root: Path, private_root: Path, log: Path | None = None,
                  isolation: Isolation | None = None) -> KernelLauncher:
    """The launcher a worker uses, following the course's settings.

    Parameters
    ----------
    course : Course
        Gives the settings and the paths kernels must not see.
    root : Path
        The worker's own folder, inside ``private_root``.
    private_root : Path
        Folder of all workers' folders (hidden from kernels).
    log : Path, optional
        Where the kernel factory writes its errors.
    isolation : Isolation, optional
        Already-resolved sandbox mode (resolved from the settings when omitted).
    """
    from autograder.sandbox import choose_isolation

    settings = course.settings
    iso = isolation or choose_isolation(settings.sandbox)
    limits = KernelLimits(settings.memory_limit_mb, settings.file_size_limit_mb)
    hidden = course.private_paths()
    use_fork = settings.kernel_launch == "fork" and sys.platform.startswith("linux")
    if use_fork:
        return ForkLauncher(root, iso, limits, hidden, private_root,
                            preload=list(settings.preload_modules), log=log)
    return SpawnLauncher(root, iso, limits, hidden, private_root)


def set_active_launcher(launcher: KernelLauncher | None) -> None:
    """Make ``launcher`` the one SafeExecute uses in this process."""
    global _ACTIVE
    _ACTIVE = launcher


def active_launcher() -> KernelLauncher:
    """The launcher set by the worker; outside a worker, an unsandboxed spawning one."""
    global _ACTIVE
    if _ACTIVE is None:
        import tempfile

        private = Path(tempfile.mkdtemp(prefix="autograder-"))
        _ACTIVE = SpawnLauncher(private / "w", Isolation("none"), KernelLimits(), [], private)
    return _ACTIVE
