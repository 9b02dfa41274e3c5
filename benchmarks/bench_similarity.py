"""Similarity report at scale: 1,000 synthetic students x 5 answer cells, end to end.

Writes a throw-away nbgrader course with a release of five answer cells and one
submitted notebook per student (not timed), then times the three phases of
``python -m autograder similarity``: reading the notebooks, comparing every pair of
students per cell, and writing the page and CSV files. The target is under 60 s on
2 cores. Side by side in the same run, on one cell and the first ``--baseline``
students, it times the index against two ways that loop over pairs in Python (set
intersections of the same fingerprints; copydetect's own ``compare_files``) and
prints the ratios, extrapolated to the whole class (pairs grow as n**2).

The synthetic answers draw their lines from a bank of common statements with random
names and constants, so independent answers share idioms the way real ones do (the
index's worst case: few pairs share nothing); 4% of students hand in a renamed,
commented copy, a quarter of them of one answer that went round (a cluster), the rest
of one classmate's each. Wall-clock figures on a shared machine include waiting for
the CPU; the CPU time of the process is printed next to them.

    .venv/bin/python -m benchmarks.bench_similarity [--students 1000] [--cells 5] [--baseline 150]
    .venv/bin/python -m benchmarks.bench_similarity --calibrate   # how the defaults were chosen
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from itertools import combinations
from pathlib import Path

import nbformat
import numpy as np
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from autograder.similarity import report as report_mod  # noqa: E402
from autograder.similarity.cli import STEPS  # noqa: E402
from autograder.similarity.compare import compare_cell, compare_cells, overall  # noqa: E402
from autograder.similarity.fingerprints import fingerprint, kgram_hashes  # noqa: E402
from autograder.similarity.normalize import normalize  # noqa: E402
from autograder.similarity.notebooks import collect_answers  # noqa: E402
from autograder.similarity.settings import Params  # noqa: E402

ASSIGNMENT = "bench"
TARGET_S = 60.0
NAMES = ["x", "y", "z", "acc", "tmp", "out", "grad", "idx", "row", "col", "val", "buf",
         "res", "cur", "win", "part", "total", "mask", "step", "size"]
FUNCS = ["sum", "max", "mean", "argmax", "abs", "sqrt", "exp", "zeros_like", "ravel",
         "cumsum", "prod", "min"]
BANK = [
    "{a} = np.{f}({b})",
    "{a} = {b} * {n} + {c}",
    "{a} = np.zeros(({b}, {c}), dtype=float)",
    "{a}, {b} = {c}.shape[:2]",
    "{a} = ({b} - {c} + 2 * {n}) // {m} + 1",
    "{a} += {b}[{c}] * {n}",
    "{a} = {b}[:, {n}:{c}]",
    "{a} = np.{f}({b} * {c}, axis={n})",
    "{a} = {b}.reshape({c}, -1)",
    "{a} = {b} @ {c}.T",
    "{a}[{b}, {c}] = np.{f}({a}[{b}]) + {n}",
    "if {a} > {b}:\n    {c} = {a}",
    "{a} = [{b} for {b} in range({n})]",
    "{a} = np.where({b} > {n}, {b}, {c})",
    "assert {a}.shape == {b}.shape, 'shape {n}'",
]


def _line(rng: np.random.Generator) -> str:
    a, b, c = rng.choice(NAMES, 3, replace=False)
    return rng.choice(BANK).format(a=a, b=b, c=c, f=rng.choice(FUNCS), n=rng.integers(10),
                                   m=rng.integers(1, 4))


def _body(rng: np.random.Generator) -> str:
    lines = []
    while len(lines) < rng.integers(18, 32):
        if rng.random() < 0.2:  # a loop around a few lines
            i = rng.choice(NAMES)
            inner = [_line(rng) for _ in range(rng.integers(2, 5))]
            lines.append(f"for {i} in range({rng.choice(NAMES)}):")
            lines += ["    " + ln.replace("\n", "\n    ") for ln in inner]
        else:
            lines.append(_line(rng))
    return "\n".join("    " + ln.replace("\n", "\n    ") for ln in lines) + "\n    return out\n"


def _stub(cell: int) -> str:
    return (f'def answer_{cell}(x, params):\n    """Cell {cell} of the benchmark.\n\n'
            '    Parameters\n    ----------\n    x : ndarray\n    params : dict\n    """\n')


def _disguise(rng: np.random.Generator, source: str) -> str:
    """A renamed, commented copy."""
    for name in rng.choice(NAMES, 6, replace=False):
        source = source.replace(f"{name} ", f"{name}_2 ").replace(f"{name})", f"{name}_2)")
    return "\n".join(ln + ("  # mine" if rng.random() < 0.3 else "")
                     for ln in source.splitlines()) + "\n"


def build(root: Path, students: int, cells: int, seed: int = 0) -> None:
    """A course with a release of ``cells`` answer cells and ``students`` submissions."""
    rng = np.random.default_rng(seed)
    (root / "nbgrader_config.py").write_text(
        f"c = get_config()  # noqa: F821\nc.CourseDirectory.root = {str(root)!r}\n"
        'c.CourseDirectory.release_directory = "release"\n'
        'c.CourseDirectory.submitted_directory = "submitted"\n'
    )

    def notebook(sources: list[str]) -> nbformat.NotebookNode:
        return new_notebook(cells=[
            new_code_cell(src, metadata={"nbgrader": {
                "grade": False, "grade_id": f"answer_{i}", "locked": False,
                "schema_version": 3, "solution": True, "task": False}})
            for i, src in enumerate(sources)])

    stubs = [_stub(i) for i in range(cells)]
    release = root / "release" / ASSIGNMENT
    release.mkdir(parents=True)
    nbformat.write(notebook([s + "    raise NotImplementedError()\n" for s in stubs]),
                   release / f"{ASSIGNMENT}.ipynb")
    answers = [[stubs[i] + _body(rng) for i in range(cells)] for _ in range(students)]
    copiers = rng.choice(np.arange(1, students), int(0.04 * students), replace=False)
    for n, s in enumerate(copiers):
        # a quarter hand in one answer that went round; the rest copy one classmate each
        source = 0 if n < len(copiers) // 4 else int(rng.integers(students))
        answers[s] = [_disguise(rng, a) for a in answers[source]]
    for s, sources in enumerate(answers):
        folder = root / "submitted" / f"s{s:04d}" / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(notebook(sources), folder / f"{ASSIGNMENT}.ipynb")


def _pairwise_sets(task, params: Params) -> tuple[float, float]:
    """The loop the index replaces: one Python set intersection per pair.

    Returns the seconds spent fingerprinting (grows as n) and on pairs (as n**2)."""
    t0 = time.perf_counter()
    boiler = np.unique(kgram_hashes(normalize(task.stub).words, params.kgram))
    sets = [set(fingerprint(normalize(src), params.kgram, params.window, boiler).unique.tolist())
            for src in task.answers.values()]
    t1 = time.perf_counter()
    sum(1 for a, b in combinations(sets, 2)
        if len(a & b) >= params.list_threshold * min(len(a), len(b)))
    return t1 - t0, time.perf_counter() - t1


def _copydetect_pairs(task) -> tuple[float, float]:
    """copydetect's own fingerprints and pair comparison (its defaults: k=25, window 6)."""
    from copydetect import CodeFingerprint, compare_files

    t0 = time.perf_counter()
    prints = [CodeFingerprint("answer.py", 25, 6, fp=io.StringIO(src))
              for src in task.answers.values()]
    t1 = time.perf_counter()
    sum(1 for a, b in combinations(prints, 2) if compare_files(a, b)[1][0] > 0.3)
    return t1 - t0, time.perf_counter() - t1


def calibrate() -> int:
    """Planted copies vs independent answers of tests/similarity_corpus.py, per setting.

    For each fingerprint size and window: the lowest similarity of a planted pair and
    the highest of an independent pair, per cell. The README's defaults come from here.
    """
    sys.path.insert(0, str(ROOT / "tests"))
    from similarity_corpus import CELLS, KINDS

    from autograder.similarity.compare import CellTask

    print("kgram window | " + " | ".join(f"{c}: planted min / independent max" for c in CELLS))
    for k in (6, 8, 10, 12, 15):
        for window in (1, 4, 8):
            row = []
            for cell, (stub, independent, origin, planted) in CELLS.items():
                answers = {f"i-{n}": src for n, src in independent.items()}
                answers |= {f"p-{n}": src for n, src in planted.items()}
                family = {f"i-{origin}"} | {f"p-{n}" for n in planted}
                result = compare_cell(CellTask(cell, KINDS.get(cell, "code"), stub, answers),
                                      Params(kgram=k, window=window, list_threshold=1e-9))
                copies = [p.similarity for p in result.pairs if {p.a, p.b} <= family]
                others = [p.similarity for p in result.pairs if not {p.a, p.b} <= family]
                row.append(f"{min(copies, default=0):.2f} / {max(others, default=0):.2f}")
            mark = "  <- default" if (k, window) == (Params().kgram, Params().window) else ""
            print(f"{k:5d} {window:6d} | " + " | ".join(row) + mark)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--cells", type=int, default=5)
    parser.add_argument("--baseline", type=int, default=150,
                        help="students in the side-by-side comparison with pair loops")
    parser.add_argument("--calibrate", action="store_true",
                        help="instead: planted vs independent scores of the test corpus "
                        "for several fingerprint sizes and windows")
    args = parser.parse_args(argv)
    if args.calibrate:
        return calibrate()
    from nbgrader.coursedir import CourseDirectory

    params = Params()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    with tempfile.TemporaryDirectory(prefix="bench-similarity-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        build(root, args.students, args.cells)
        print(f"built {args.students} submissions x {args.cells} cells in "
              f"{time.perf_counter() - t0:.1f} s (not timed); {cores} cores available")

        coursedir = CourseDirectory(root=str(root), release_directory="release",
                                    submitted_directory="submitted")
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        collected = collect_answers(coursedir, ASSIGNMENT, STEPS["submitted"])
        t_read = time.perf_counter() - t0
        t0 = time.perf_counter()
        results = compare_cells(collected.tasks, params)
        ranked = overall(results, params.list_threshold)
        t_compare = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = report_mod.Report(ASSIGNMENT, collected.students, collected.tasks, results,
                                   ranked, collected.problems, params)
        report_mod.write(report, root / "out")
        t_write = time.perf_counter() - t0
        total = t_read + t_compare + t_write
        cpu = time.process_time() - cpu0
        pairs = sum(r.shared.nnz for r in results)
        n = args.students
        print(f"read notebooks     {t_read:7.1f} s")
        print(f"compare (index)    {t_compare:7.1f} s   {pairs:,} of "
              f"{args.cells * n * (n - 1) // 2:,} cell pairs share a fingerprint")
        print(f"write page + CSV   {t_write:7.1f} s   "
              f"{sum(len(r.pairs) for r in results):,} cell pairs listed, "
              f"{sum(len(r.clusters) for r in results)} clusters")
        print(f"total              {total:7.1f} s   target < {TARGET_S:.0f} s: "
              f"{'ok' if total < TARGET_S else 'MISSED'} ({total / TARGET_S:.2f} of the budget; "
              f"{cpu:.1f} s of CPU time in this process)")

        m = min(args.baseline, n)
        task = collected.tasks[0]
        subset = type(task)(task.grade_id, task.kind, task.stub,
                            dict(list(task.answers.items())[:m]))
        t0 = time.perf_counter()
        compare_cell(subset, params)
        t_index = time.perf_counter() - t0
        linear, pairs = n / m, (n * (n - 1)) / (m * (m - 1))
        print(f"\none cell, {m} students, side by side; then extrapolated to {n} students "
              f"(fingerprints x{linear:.1f}, pairs x{pairs:.0f}):")
        print(f"  index (this report)            {t_index:6.2f} s")
        for name, (t_fp, t_pairs) in (("Python set per pair", _pairwise_sets(subset, params)),
                                      ("copydetect compare_files/pair", _copydetect_pairs(subset))):
            here = t_fp + t_pairs
            print(f"  {name:30s} {here:6.2f} s  ({here / t_index:5.1f}x the index; "
                  f"~{(t_fp * linear + t_pairs * pairs) / 60:.1f} min per cell at {n})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
