"""Grading throughput: plain serial ``nbgrader autograde`` vs the autograder on Dask.

Builds a throw-away course with one assignment (the real ``ps1_convolution`` when its
source is in ``solutions/``, else the built-in toy assignment) and a class of
synthetic submissions that includes a student whose code never ends (it costs one
cell timeout wherever it is graded). It grades the class, in one run and on the same
machine, three ways: one plain ``nbgrader autograde ASSIGNMENT --force`` command
(serial, one process: nbgrader at its best), then the autograder on a Dask
``LocalCluster`` with 1 worker, then with 2 workers; and prints submissions per
minute for each and the ratios. Not a timed test: run it by hand.

    .venv/bin/python -m benchmarks.bench_grading [--assignment ID] [--count 16]
        [--workers 1 2] [--cell-timeout 10] [--no-plain]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The autograder is imported inside the functions: each LocalCluster worker process
# re-runs this module (multiprocessing's spawn does so for a ``-m`` module), and its
# imports would cost every worker about 2 s of CPU that ``python -m autograder grade``
# does not pay (``autograder/__main__`` is exempt from that re-run).

# A class as it comes: mostly honest work, some broken, one tampered, one that never ends.
MIX = ["perfect", "partial", "wrong_shapes", "raises", "tampered_test", "infinite_loop",
       "perfect", "untouched"]


def build(workdir: Path, assignment: str, cell_timeout: float):
    from autograder.demo import setup_course

    # Plain nbgrader reads ``Execute``; the autograder reads ``Autograder.cell_timeout``.
    return setup_course(workdir, assignment, cell_timeout, extra_settings=(
        f"c.Execute.timeout = {int(cell_timeout)}\n"
        "c.Execute.interrupt_on_timeout = True\n"))


def place(course, assignment: str, count: int) -> None:
    import nbformat

    from autograder.demo import release_and_source, synthetic

    release, source = release_and_source(course, assignment)
    for i in range(count):
        kind = "infinite_loop" if i == count - 1 else MIX[i % len(MIX)]
        folder = course.submitted_dir(f"b{i:03d}", assignment)
        folder.mkdir(parents=True)
        nbformat.write(synthetic.make_notebook(kind, release, source),
                       folder / f"{assignment}.ipynb")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="ps1_convolution")
    parser.add_argument("--count", type=int, default=16)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--cell-timeout", type=float, default=10.0)
    parser.add_argument("--no-plain", action="store_true",
                        help="skip plain nbgrader (for comparing worker counts only)")
    args = parser.parse_args(argv)
    from autograder.grade.sandbox import bwrap_works
    from autograder.grade.verb import grade

    workdir = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    unsafe = not bwrap_works()
    try:
        course, assignment = build(workdir, args.assignment, args.cell_timeout)
        place(course, assignment, args.count)
        print(f"assignment {assignment}, {args.count} submissions (one never ends), "
              f"cell timeout {args.cell_timeout:g} s, {os.cpu_count()} cores"
              + (", UNSAFE (no bwrap here)" if unsafe else ", sandboxed")
              + "; load average " + " ".join(f"{x:.1f}" for x in os.getloadavg()))

        plain = None
        if not args.no_plain:
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "nbgrader", "autograde", assignment, "--force"],
                cwd=course.root, capture_output=True, text=True,
            )
            plain = time.perf_counter() - start
            graded = done.stderr.count("Setting destination file permissions to 444")
            print(f"plain nbgrader autograde (serial): {plain:7.1f} s  "
                  f"{args.count / plain * 60:6.1f} submissions/min  ({graded} graded)")
        seconds = {}
        for workers in args.workers:
            start, cpu = time.perf_counter(), time.process_time()
            run = grade(course, assignment, workers=workers, progress=False, unsafe=unsafe)
            seconds[workers] = time.perf_counter() - start
            client_cpu = time.process_time() - cpu
            ok = sum(1 for r in run.results.values() if r.ok)
            busy = sum(r.seconds for r in run.results.values()) / args.count
            print(f"autograder, LocalCluster {workers} worker(s): {seconds[workers]:7.1f} s  "
                  f"{args.count / seconds[workers] * 60:6.1f} submissions/min  "
                  f"{args.count / seconds[workers] * 60 / workers:6.1f} per min per core  "
                  f"({ok} graded)")
            print("    " + ", ".join(f"{k} {v:.1f} s" for k, v in run.phases.items())
                  + f"; per submission: worker {busy:.2f} s, client recording "
                  f"{run.record_seconds / args.count:.2f} s ({run.record_cpu / args.count:.3f}"
                  f" s CPU); client process CPU {client_cpu:.1f} s in all")
        for workers, took in seconds.items() if plain else ():
            print(f"ratio {workers} worker(s) vs plain nbgrader: {plain / took:.2f}x")
        if len(seconds) > 1:
            low, high = min(seconds), max(seconds)
            print(f"ratio {high} vs {low} worker(s): {seconds[low] / seconds[high]:.2f}x")
        print("load average (1, 5, 15 min): " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
