"""The similarity report: planted copies rank above independent answers, end to end.

A toy nbgrader course (tests/similarity_course.py) is handed in by one student per
answer of tests/similarity_corpus.py: independently written implementations of two
functions, and disguised copies of one of them. ``python -m autograder similarity``
runs on it once; the tests read its CSV files and its page.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import similarity_course as course
from hypothesis import given, settings
from hypothesis import strategies as st
from similarity_corpus import CELLS, CONV_STUB, KINDS

from autograder.__main__ import main
from autograder.similarity.compare import CellTask, compare_cell, compare_cells
from autograder.similarity.fingerprints import kgram_hashes
from autograder.similarity.normalize import normalize_code
from autograder.similarity.report import CLUSTERS_CSV, OVERALL, PAGE, PAIRS_CSV
from autograder.similarity.settings import Params, Similarity

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """Run the command on the toy course; yields (course root, report folder, output)."""
    root = tmp_path_factory.mktemp("course")
    course.build(root)
    code = main(["--course-root", str(root), "similarity", course.ASSIGNMENT])
    assert code == 0
    folder = root / "grading" / "similarity" / course.ASSIGNMENT
    return root, folder


def _rows(folder: Path, name: str = PAIRS_CSV) -> list[dict]:
    with (folder / name).open(newline="") as f:
        return list(csv.DictReader(f))


class TestPlantedCopies:
    @pytest.mark.parametrize("cell", sorted(CELLS))
    def test_every_planted_pair_ranks_above_every_independent_pair(self, report, cell):
        _, folder = report
        rows = [r for r in _rows(folder) if r["cell"] == cell]
        copies = course.family(cell)
        planted = [float(r["similarity"]) for r in rows
                   if {r["student_a"], r["student_b"]} <= copies]
        independent = [float(r["similarity"]) for r in rows
                       if not {r["student_a"], r["student_b"]} <= copies]
        n = len(copies)
        assert len(planted) == n * (n - 1) // 2, "every planted pair is listed"
        if cell not in KINDS:  # prose written apart shares no 8-word run; code shares idioms
            assert independent, "independent code shares idioms; those pairs must be listed"
        assert min(planted) > max(independent, default=0.0)
        # the ranks (the order of the CSV) agree with the scores
        ranks = [int(r["rank"]) for r in rows]
        assert ranks == list(range(1, len(rows) + 1))
        assert [float(r["similarity"]) for r in rows] == sorted(
            (float(r["similarity"]) for r in rows), reverse=True)

    def test_each_disguise_alone_keeps_the_copy_flagged(self, report):
        _, folder = report
        flag = Params().flag_threshold
        origin = course.student_id("conv_forward", "i", CELLS["conv_forward"][2])
        scores = {(r["student_a"], r["student_b"]): float(r["similarity"])
                  for r in _rows(folder) if r["cell"] == "conv_forward"}
        for name in CELLS["conv_forward"][3]:
            copy = course.student_id("conv_forward", "p", name)
            score = scores.get((origin, copy), scores.get((copy, origin)))
            assert score is not None and score >= flag, (name, score)

    def test_the_release_stub_alone_never_matches(self, report):
        _, folder = report
        in_pairs = {s for r in _rows(folder) for s in (r["student_a"], r["student_b"])}
        assert not in_pairs & set(course.STUB_ONLY)
        # ... while every student who answered a code cell is paired with someone
        answered = {course.student_id(c, k, n) for c, (_, ind, _, pl) in CELLS.items()
                    for k, group in (("i", ind), ("p", pl)) for n in group if c not in KINDS}
        assert answered <= in_pairs
        assert "Not compared (too little beyond the released code)" in (folder / PAGE).read_text()

    def test_stub_fingerprints_are_removed_from_answers(self):
        task = CellTask("conv_forward", "code", CONV_STUB, {"a": CONV_STUB, "b": CONV_STUB})
        result = compare_cell(task, Params())
        assert result.students == () and result.too_short == ("a", "b")
        assert result.pairs == [] and result.shared.nnz == 0

    def test_clusters_hold_the_copies_and_no_independent_answer(self, report):
        _, folder = report
        clusters = [r for r in _rows(folder, CLUSTERS_CSV) if r["cell"] == "conv_forward"]
        assert len(clusters) == 1
        members = set(clusters[0]["students"].split())
        assert len(members) >= 3 and members <= course.family("conv_forward")
        for r in _rows(folder, CLUSTERS_CSV):
            assert set(r["students"].split()) <= course.family(r["cell"])

    def test_overall_ranking_puts_the_copies_first(self, report):
        _, folder = report
        overall = [r for r in _rows(folder) if r["cell"] == OVERALL]
        copies = set().union(*(course.family(c) for c in CELLS))
        n_planted = sum(len(course.family(c)) * (len(course.family(c)) - 1) // 2 for c in CELLS)
        top = overall[:n_planted]
        assert all({r["student_a"], r["student_b"]} <= copies for r in top)

    def test_a_malformed_submission_is_reported_and_skipped(self, report):
        _, folder = report
        page = (folder / PAGE).read_text()
        assert course.MALFORMED in page and "could not be read" in page
        in_pairs = {s for r in _rows(folder) for s in (r["student_a"], r["student_b"])}
        assert course.MALFORMED not in in_pairs

    def test_the_page_marks_matched_spans_and_loads_nothing(self, report):
        _, folder = report
        page = (folder / PAGE).read_text()
        assert page.count("<mark>") > 10
        assert "<script" not in page and "http" not in page.replace("http-equiv", "")
        assert 'src="' not in page and "@import" not in page

    def test_nothing_is_written_where_students_look(self, report):
        root, folder = report
        assert not (root / "grading" / "feedback").exists()
        assert sorted(p.name for p in folder.iterdir()) == sorted([PAGE, PAIRS_CSV, CLUSTERS_CSV])


class TestNormalisation:
    def test_renaming_comments_docstrings_strings_and_blank_lines_change_nothing(self):
        a = 'def f(x, n):\n    total = 0\n    for i in range(n):\n        total += x[i] * 2\n    return total, "done"\n'
        b = ('def g(values, count):\n    """Sum."""\n    # running sum\n\n    acc = 0  # start\n'
             "    for k in range(count):\n        acc += values[k] * 2\n    return acc, 'ok'\n")
        assert normalize_code(a).words == normalize_code(b).words

    def test_the_released_code_is_taken_out_of_an_answer(self):
        from autograder.similarity.normalize import without_release

        answer = CONV_STUB.replace("    # YOUR CODE HERE\n    raise NotImplementedError()\n",
                                   "    out = np.tanh(x @ w) + b\n    cache = x\n")
        left = without_release(normalize_code(answer), normalize_code(CONV_STUB, all_names=True))
        assert [answer[s:e] for s, e in zip(left.starts, left.ends, strict=True)] == [
            "out", "=", "np", ".", "tanh", "(", "x", "@", "w", ")", "+", "b", "\n",
            "cache", "=", "x"]

    def test_library_names_and_numbers_stay(self):
        words = normalize_code("y = np.zeros((n, 3))\n").words
        assert words[:5] == ("V", "=", "np", ".", "zeros") and "3" in words

    def test_spans_point_into_the_source(self):
        src = "def f(a):\n    # c\n    return a + 'x'\n"
        tokens = normalize_code(src)
        assert [src[s:e] for s, e in zip(tokens.starts, tokens.ends, strict=True)] == [
            "def", "f", "(", "a", ")", ":", "\n", "return", "a", "+", "'x'"]

    @pytest.mark.parametrize("src", ["def f(:\n  return 1", "x = '''never closed", "\tif x:\n  y",
                                     "%timeit f()\ny = 1", "\x00\x01", "", "-" * 100_000 + "1",
                                     "x" + ".a" * 100_000, "(" * 300 + ")" * 300])
    def test_any_input_normalises_without_raising(self, src):
        normalize_code(src)

    def test_hashes_are_the_same_in_every_process(self):
        words = normalize_code(CONV_STUB).words
        code = ("import sys; sys.path.insert(0, 'tests'); from similarity_corpus import CONV_STUB;"
                "from autograder.similarity.normalize import normalize_code;"
                "from autograder.similarity.fingerprints import kgram_hashes;"
                "print(kgram_hashes(normalize_code(CONV_STUB).words, 10).tolist())")
        seen = set()
        for seed in ("1", "2"):
            out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                                 text=True, check=True, env={**os.environ, "PYTHONHASHSEED": seed})
            seen.add(out.stdout.strip())
        assert seen == {str(kgram_hashes(words, 10).tolist())}


class TestComparison:
    def _tasks(self) -> list[CellTask]:
        tasks = []
        for cell, (stub, independent, _, planted) in CELLS.items():
            answers = {f"i-{n}": s for n, s in independent.items()}
            answers |= {f"p-{n}": s for n, s in planted.items()}
            tasks.append(CellTask(cell, KINDS.get(cell, "code"), stub, answers))
        return tasks

    def test_index_counts_equal_set_intersections(self):
        from autograder.similarity.fingerprints import fingerprint
        from autograder.similarity.normalize import normalize, without_release

        task = self._tasks()[0]
        params = Params(list_threshold=0.01)
        result = compare_cell(task, params)
        release = normalize(task.stub, release=True)
        boiler = np.unique(kgram_hashes(release.words, params.kgram))
        sets = {s: set(fingerprint(without_release(normalize(src), release), params.kgram,
                                   params.window, boiler).unique)
                for s, src in task.answers.items()}
        dense = result.shared.toarray()
        for i, a in enumerate(result.students):
            for j, b in enumerate(result.students):
                if i < j:  # an oracle written with Python sets, pair by pair
                    assert dense[i, j] == len(sets[a] & sets[b])

    @pytest.mark.parametrize(("n", "dropped"), [(30, True), (15, False)])
    def test_idioms_held_by_most_of_a_large_class_are_ignored(self, n, dropped):
        from autograder.similarity.compare import _index

        # hash 7 in every answer, plus four of each student's own
        unique = {f"s{i}": np.array([7, *range(100 + 4 * i, 104 + 4 * i)]) for i in range(n)}
        index, sizes, common = _index(tuple(unique), unique, 0.5, 20)
        assert (common.tolist() == [7]) is dropped
        assert sizes.tolist() == [4 if dropped else 5] * n
        # off: everything counts
        assert _index(tuple(unique), unique, 1.0, 20)[2].size == 0

    def test_a_dask_like_client_gives_the_same_results(self):
        class Client:  # the two methods compare_cells uses, run here
            def map(self, fn, items, **kwargs):
                kwargs.pop("pure")
                return [fn(item, **kwargs) for item in items]

            def gather(self, futures):
                return futures

        tasks, params = self._tasks(), Params()
        here = compare_cells(tasks, params)
        mapped = compare_cells(tasks, params, Client())
        assert [r.pairs for r in here] == [r.pairs for r in mapped]

    def test_on_a_real_dask_cluster(self):
        distributed = pytest.importorskip("distributed")
        tasks, params = self._tasks(), Params()
        with distributed.Client(processes=False, n_workers=1, threads_per_worker=1,
                                dashboard_address=":0") as client:
            mapped = compare_cells(tasks, params, client)
        assert [r.pairs for r in mapped] == [r.pairs for r in compare_cells(tasks, params)]


def test_the_command_runs_on_a_dask_scheduler(report, tmp_path):
    distributed = pytest.importorskip("distributed")
    root, folder = report
    with distributed.LocalCluster(n_workers=1, processes=False, threads_per_worker=1,
                                  dashboard_address=":0") as cluster:
        assert main(["--course-root", str(root), "similarity", course.ASSIGNMENT,
                     "--scheduler", cluster.scheduler_address, "--out", str(tmp_path)]) == 0
    assert _rows(tmp_path / "similarity" / course.ASSIGNMENT) == _rows(folder)


class TestSettings:
    def test_the_course_config_sets_valid_thresholds(self):
        from traitlets.config.loader import PyFileConfigLoader

        config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
        params = Similarity(config=config).params()
        assert params.list_threshold < params.flag_threshold < params.cluster_threshold

    def test_bad_values_are_named(self):
        with pytest.raises(ValueError, match="flag_threshold must lie in"):
            Params(flag_threshold=1.5)
        with pytest.raises(ValueError, match=r"cluster_threshold \(0.2\) is below list_threshold"):
            Params(cluster_threshold=0.2)

    def test_unknown_assignment_is_a_clear_error(self, report, capsys):
        root, _ = report
        assert main(["--course-root", str(root), "similarity", "nope"]) == 2
        assert "has no release notebook" in capsys.readouterr().err

    @pytest.mark.parametrize("bad", ["../toy", "*", "a/b"])
    def test_an_assignment_id_that_is_a_path_is_refused(self, report, capsys, bad):
        root, _ = report
        assert main(["--course-root", str(root), "similarity", bad]) == 2
        assert "is not usable as a folder name" in capsys.readouterr().err

    def test_autograded_notebooks_can_be_compared_instead(self, report, tmp_path, capsys):
        import shutil

        root, _ = report
        args = ["--course-root", str(root), "similarity", course.ASSIGNMENT, "--from",
                "autograded", "--out", str(tmp_path)]
        assert main(args) == 2
        assert "grade first" in capsys.readouterr().err
        shutil.copytree(root / "grading" / "submitted", root / "autograded")
        try:
            assert main(args) == 0
        finally:
            shutil.rmtree(root / "autograded")
        assert _rows(tmp_path / "similarity" / course.ASSIGNMENT) == _rows(report[1])

    def test_out_option_moves_the_report(self, report, tmp_path):
        root, _ = report
        assert main(["--course-root", str(root), "similarity", course.ASSIGNMENT,
                     "--out", str(tmp_path)]) == 0
        assert (tmp_path / "similarity" / course.ASSIGNMENT / PAGE).is_file()


class TestCourseRelease:
    @pytest.mark.parametrize("notebook", sorted(ROOT.glob("assignments/*/*.ipynb")),
                             ids=lambda p: p.parent.name)
    def test_untouched_release_notebooks_never_match(self, notebook):
        import nbformat

        from autograder.similarity.notebooks import answer_cells

        cells = answer_cells(nbformat.read(notebook, as_version=4))
        assert cells, f"{notebook.name} has no answer cell"
        tasks = [CellTask(g, kind, src, {"a": src, "b": src, "c": src})
                 for g, (kind, src) in cells.items()]
        for result in compare_cells(tasks, Params()):
            assert result.pairs == [] and set(result.too_short) == {"a", "b", "c"}


def test_hostile_answers_and_ids_are_shown_as_text():
    from autograder.similarity import report as report_mod
    from autograder.similarity.compare import overall

    body = CONV_STUB.replace(
        "    # YOUR CODE HERE\n    raise NotImplementedError()\n",
        '    # </code></pre><script>alert(1)</script>\n'
        '    out = np.tanh(x @ w.reshape(w.shape[0], -1).T) + b  # "<img src=x onerror=y>"\n'
        "    cache = (x, w, b, conv_param)\n    out = out * 2 - out.mean(axis=0)\n")
    students = {"s<b>1": body, "s<b>2": body}
    task = CellTask("conv_forward", "code", CONV_STUB, students)
    params = Params()
    results = compare_cells([task], params)
    assert results[0].pairs and results[0].pairs[0].spans_a
    page = report_mod.page(report_mod.Report("toy", list(students), [task], results,
                                             overall(results, params.list_threshold), {}, params))
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;" in page and "s&lt;b&gt;1" in page and "<mark>" in page


_ALL_ANSWERS = [src for _, ind, _, planted in (CELLS[c] for c in CELLS if c not in KINDS)
                for src in (*ind.values(), *planted.values())]


def _rename(source: str, mapping: dict[str, str]) -> str:
    """``source`` with every name in ``mapping`` replaced, attributes left alone."""
    import io
    import tokenize

    lines = source.splitlines(keepends=True)
    previous = ""
    edits = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.NAME and tok.string in mapping and previous != ".":
            edits.append(tok)
        if tok.type not in (tokenize.NL, tokenize.COMMENT):
            previous = tok.string
    for tok in reversed(edits):  # from the end, so earlier columns stay valid
        row, col = tok.start
        line = lines[row - 1]
        lines[row - 1] = line[:col] + mapping[tok.string] + line[col + len(tok.string):]
    return "".join(lines)


@given(data=st.data())
@settings(max_examples=40, deadline=None)
def test_any_consistent_renaming_leaves_the_tokens_unchanged(data):
    import ast
    import builtins
    import keyword

    from autograder.similarity.normalize import _scan

    source = data.draw(st.sampled_from(_ALL_ANSWERS))
    bound = sorted(_scan(ast.parse(source))[0])
    # new names must not collide with any name already in the answer (keyword
    # arguments, attributes, globals), nor with builtins or keywords
    taken = set(dir(builtins)) | set(keyword.kwlist) | set(re.findall(r"\w+", source))
    names = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True).filter(lambda n: n not in taken)
    new = data.draw(st.lists(names, min_size=len(bound), max_size=len(bound), unique=True))
    renamed = _rename(source, dict(zip(bound, new, strict=True)))
    assert normalize_code(renamed).words == normalize_code(source).words
