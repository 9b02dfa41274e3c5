"""Start one grading kernel: limits, working folder, reference guard, then ipykernel.

Run as a script (``python kernel_entry.py JOB.json -f CONNECTION.json ...``) or called
after a fork from the pre-loaded launcher (:mod:`autograder.zygote`). The job file
holds the working folder, the limits and the hashes of the instructor's cells; it is
deleted once read. Only the standard library, ipykernel and ``import_guard`` are used.
"""

from __future__ import annotations

import ctypes
import json
import os
import random
import resource
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask Linux to kill this process when its parent goes (no-op elsewhere)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass


def apply_limits(memory_mb: int, file_size_mb: int) -> None:
    """Address-space and file-size caps; an over-limit allocation raises MemoryError."""
    if memory_mb > 0:
        cap = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    if file_size_mb > 0:
        cap = file_size_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_FSIZE, (cap, cap))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def read_job(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        job = json.load(fh)
    os.unlink(path)  # nothing of it stays readable by student code
    return job


def seed_generators() -> None:
    """Fixed seeds so that unseeded student code grades the same every time."""
    random.seed(0)
    numpy = sys.modules.get("numpy")
    if numpy is None:
        try:
            import numpy
        except ImportError:
            return
    # the legacy global generator is what unseeded np.random.* calls draw from
    numpy.random.seed(0)  # noqa: NPY002


def run_kernel(job: dict, kernel_args: list[str]) -> None:
    """Become the kernel described by ``job``; returns when the kernel exits."""
    os.environ.clear()
    os.environ.update(job["env"])
    os.chdir(job["cwd"])
    apply_limits(job.get("memory_mb", 0), job.get("file_size_mb", 0))
    seed_generators()
    import import_guard

    guard = import_guard.install(set(job.get("allowed", [])))
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(kernel_args)
    app.shell.events.register("post_run_cell", guard.purge)
    app.start()


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        raise SystemExit("usage: kernel_entry.py JOB.json -f CONNECTION_FILE [kernel options]")
    die_with_parent()
    job = read_job(argv[0])
    # Our own folder is sys.path[0]; student code must not import the pipeline.
    here = os.path.dirname(os.path.abspath(__file__))
    import import_guard  # noqa: F401  (loaded while our folder is still importable)

    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    run_kernel(job, argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
