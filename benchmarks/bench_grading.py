"""Grading throughput: plain serial ``nbgrader autograde`` vs the autograder pipeline.

Builds a throw-away course with one assignment (the real ``ps1_convolution`` when its
source is in ``solutions/``, else the built-in toy assignment), writes 40 synthetic
submissions, grades them once with one plain ``nbgrader autograde ASSIGNMENT --force``
command (serial, one process: nbgrader at its best) and once with the pipeline
(``--workers`` processes, default 2), and prints submissions per minute for both and
the ratio. Not a timed test: run it by hand.

    .venv/bin/python -m benchmarks.bench_grading [--assignment ID] [--count 40] [--workers 2]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from autograder import cells as C  # noqa: E402
from autograder import synthetic, toy  # noqa: E402
from autograder.course import ensure_tools_on_path  # noqa: E402
from autograder.grade import grade  # noqa: E402
from autograder.workspace import add_source, generate_release, make_course  # noqa: E402

# Cases whose cost is the pipeline's, not a timeout both sides would wait out equally.
MIX = ["perfect", "partial", "wrong_shapes", "raises", "tampered_test", "reference_import",
       "perfect", "untouched"]


def build(workdir: Path, assignment: str | None):
    course = make_course(workdir / "course", course_id="bench")
    if assignment and (ROOT / "solutions" / assignment).is_dir():
        add_source(course, assignment, ROOT / "solutions" / assignment)
    else:
        assignment = toy.ASSIGNMENT
        course.source_dir(assignment).mkdir(parents=True)
        nbformat.write(toy.source_notebook(), course.source_dir(assignment) / f"{assignment}.ipynb")
    generate_release(course, assignment)
    return course, assignment


def place(course, assignment: str, count: int) -> None:
    release_path = course.release_notebooks(assignment)[0]
    release = C.read_notebook(release_path)
    source = C.read_notebook(course.source_dir(assignment) / release_path.name)
    for i in range(count):
        kind = MIX[i % len(MIX)]
        folder = course.submitted_dir(f"b{i:03d}", assignment)
        folder.mkdir(parents=True)
        nbformat.write(synthetic.make_notebook(kind, release, source), folder / release_path.name)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="ps1_convolution")
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    ensure_tools_on_path()
    workdir = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    try:
        course, assignment = build(workdir, args.assignment)
        place(course, assignment, args.count)
        print(f"assignment {assignment}, {args.count} submissions, workers {args.workers}")

        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "nbgrader", "autograde", assignment, "--force"],
            cwd=course.root, capture_output=True, text=True,
        )
        plain = time.perf_counter() - start
        graded = done.stderr.count("Setting destination file permissions to 444")
        print(f"plain nbgrader autograde (serial): {plain:7.1f} s  "
              f"{args.count / plain * 60:7.1f} submissions/min  ({graded} graded)")

        start = time.perf_counter()
        run = grade(course, assignment, workers=args.workers, progress=False)
        ours = time.perf_counter() - start
        ok = sum(1 for r in run.results.values() if r.ok)
        print(f"autograder pipeline ({args.workers} workers):  {ours:7.1f} s  "
              f"{args.count / ours * 60:7.1f} submissions/min  ({ok} graded, "
              f"isolation: {run.isolation.mode})")
        print(f"ratio: {plain / ours:.2f}x")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
