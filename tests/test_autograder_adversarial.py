"""A class of determined cheaters and saboteurs, graded through the command line.

Each attacker's notebook is an honest baseline (the perfect answers, or the release
left untouched) plus an attack: rebinding the checks, patching NumPy and builtins,
walking the checker's stack frames, looking for the reference and the hidden tests in
the namespace, reading files outside its folder, leaving threads and processes behind,
printing 200 MB, a fork bomb, ``os._exit``, a loop that swallows every interruption,
and odd files (nbformat 3, a ``python2`` kernel, not JSON, the instructor's own source).
Each must score exactly what its baseline scores, the honest students must be
unaffected, no read outside the student's folder may succeed, no hidden-test line may
reach any feedback page in any encoding tried here, and no process may be left over.
"""

from __future__ import annotations

import base64
import codecs
import csv
import html
import json
import os
import sys
import urllib.parse
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from autograder import cells as C
from autograder.__main__ import main as cli
from autograder.demo import REPO, setup_course, synthetic
from autograder.grade.sandbox import bwrap_works

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not bwrap_works(), reason="the attacks need the sandbox")]

ASSIGNMENT = "ps1_convolution"
MARKER = "adv-marker-5c1e"
HOST_SECRET = Path("/tmp/autograder-host-secret.txt")

REBIND_CHECKS = """
check_output_sizes = check_param_counts = check_conv_forward = lambda *a, **k: None
check_im2col = check_stride_rejected = lambda *a, **k: None
def conv_output_size(W, F, S=1, P=0):
    return 0
"""

PATCH_NUMPY = """
import builtins
import numpy as np
np.allclose = lambda *a, **k: True
np.all = lambda *a, **k: True
np.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), bool)
np.testing.assert_allclose = lambda *a, **k: None
np.array_equal = lambda *a, **k: True
builtins.all = lambda *a, **k: True
builtins.isinstance = lambda *a, **k: True
def conv_output_size(W, F, S=1, P=0):
    return np.zeros(())
"""

FRAME_WALK = """
import sys, gc
def conv_output_size(W, F, S=1, P=0):
    found = None
    frame = sys._getframe(1)
    while frame is not None:
        for name in ("expected", "size_h", "answers", "sizes", "expected_h"):
            if name in frame.f_locals:
                found = frame.f_locals[name]
        frame = frame.f_back
    for obj in gc.get_objects():
        if isinstance(obj, dict) and (W, F, S, P) in obj:
            found = obj[(W, F, S, P)]
    try:
        raise RuntimeError
    except RuntimeError as err:
        tb = err.__traceback__
        while tb is not None:
            found = tb.tb_frame.f_locals.get("expected", found)
            tb = tb.tb_next
    return found if isinstance(found, int) else -1
"""

NAMESPACE_SNOOP = """
import sys, codecs
leak = []
for name in ("_ih", "In", "Out", "_oh", "get_ipython"):
    if name in globals():
        leak.append(repr(globals()[name]))
leak += [repr(m) for m in list(sys.modules) if "convref" in m or "solution" in m]
try:
    import convref
    leak.append(repr(convref))
except ImportError as err:
    leak.append("no convref: " + str(err))
for fn in (conv_output_size,):
    leak.append(repr(fn.__globals__.get("convref")))
print(codecs.encode("\\n".join(leak), "rot13"))
"""

TARGETS = [REPO / ".git" / "HEAD", REPO / "src" / "convref" / "__init__.py",
           REPO / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", REPO / "nbgrader_config.py",
           HOST_SECRET, Path("/etc/shadow"), Path("/root/.bashrc")]

READ_FILES = """
import json, os
tried = {}
def attempt(path):
    try:
        with open(path, "rb") as fh:
            fh.read(1)
        tried[path] = "read"
    except OSError as err:
        tried[path] = type(err).__name__
for path in TARGETS + [os.path.join(COURSE, p) for p in (
        "nbgrader_config.py", "grading/gradebook.db", "solutions",
        "grading/submitted/honest_b/ps1_convolution/ps1_convolution.ipynb",
        "grading/work/rosters/ps1_convolution.roster")]:
    attempt(path)
for root in ("/", "/home", "/tmp", ".."):
    try:
        tried["ls " + root] = sorted(os.listdir(root))
    except OSError as err:
        tried["ls " + root] = type(err).__name__
print("READS " + json.dumps(tried))
"""

LEFTOVERS = f"""
import subprocess, sys, threading, time, os
threading.Thread(target=lambda: [time.sleep(1) for _ in iter(int, 1)]).start()
subprocess.Popen([sys.executable, "-c", "import time\\nwhile True: time.sleep(1)", "{MARKER}"])
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(10**6)",
                                  "{MARKER}"])
    os._exit(0)
"""

HUGE_OUTPUT = """
for _ in range(200):
    print("x" * 1_000_000)
"""

FORK_BOMB = """
import os, time
children = 0
try:
    while True:
        if os.fork() == 0:
            while True:
                time.sleep(1)
        children += 1
except OSError:
    print("the process limit stopped the fork bomb after", children, "children")
"""

OS_EXIT = "import os\nos._exit(0)"

SWALLOW = """
while True:
    try:
        while True:
            pass
    except BaseException:
        pass
"""


def _with_cell(nb, code: str, where: str = "after_first"):
    nb = nbformat.reads(nbformat.writes(nb), as_version=4)
    first = synthetic.answer_cells(nb)[0]
    nb.cells.insert(nb.cells.index(first) + 1, new_code_cell(code))
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("adversarial")
    HOST_SECRET.write_text("host secret")
    course, assignment = setup_course(tmp, ASSIGNMENT, cell_timeout=4,
                                      extra_settings="c.Autograder.notebook_timeout = 120\n")
    release_path = course.release_notebooks(assignment)[0]
    release = C.read_notebook(release_path)
    source = C.read_notebook(course.source_dir(assignment) / release_path.name)
    perfect = synthetic.make_notebook("perfect", release, source)
    untouched = synthetic.make_notebook("untouched", release, source)
    read_code = READ_FILES.replace("TARGETS", repr([str(p) for p in TARGETS])).replace(
        "COURSE", repr(str(course.root)))
    notebooks = {
        "honest_a": (perfect, "perfect"), "honest_b": (perfect, "perfect"),
        "honest_c": (untouched, "untouched"),
        "rebind_checks": (_with_cell(untouched, REBIND_CHECKS), "untouched"),
        "patch_numpy": (_with_cell(untouched, PATCH_NUMPY), "untouched"),
        "frame_walk": (_with_cell(untouched, FRAME_WALK), "untouched"),
        "snoop": (_with_cell(untouched, NAMESPACE_SNOOP), "untouched"),
        "reads": (_with_cell(perfect, read_code), "perfect"),
        "leftovers": (_with_cell(perfect, LEFTOVERS), "perfect"),
        "huge_output": (_with_cell(perfect, HUGE_OUTPUT), "perfect"),
        "fork_bomb": (_with_cell(perfect, FORK_BOMB), "perfect"),
        "os_exit": (_with_cell(perfect, OS_EXIT), "perfect"),
        "swallow": (_with_cell(perfect, SWALLOW), "perfect"),
    }
    downloads = tmp / "downloads"
    downloads.mkdir()
    for student, (nb, _) in notebooks.items():
        nbformat.write(nb, downloads / f"{student}.ipynb")
    old = nbformat.reads(nbformat.writes(perfect), as_version=4)
    nbformat.write(nbformat.convert(old, 3), downloads / "nbformat3.ipynb")
    python2 = nbformat.reads(nbformat.writes(perfect), as_version=4)
    python2.metadata["kernelspec"] = {"name": "python2", "display_name": "Python 2",
                                      "language": "python"}
    nbformat.write(python2, downloads / "python2_kernel.ipynb")
    (downloads / "not_json.ipynb").write_text("this is not a notebook {")
    (downloads / "own_source.ipynb").write_bytes(
        (course.source_dir(assignment) / release_path.name).read_bytes())
    bases = {s: base for s, (_, base) in notebooks.items()}
    bases.update(nbformat3="perfect", python2_kernel="perfect", own_source="perfect")
    roster = tmp / "roster.csv"
    roster.write_text("student_id\n" + "\n".join([*bases, "not_json"]) + "\n")
    root = ["--course-root", str(course.root)]
    assert cli([*root, "collect", assignment, str(downloads), "--roster", str(roster)]) == 0
    assert cli([*root, "grade", assignment, "--workers", "2", "--no-progress"]) == 0
    scores_csv = tmp / "scores.csv"
    assert cli([*root, "export", assignment, "--out", str(scores_csv)]) == 0
    assert cli([*root, "feedback", assignment, "--no-progress"]) == 0
    with scores_csv.open(newline="") as fh:
        rows = {row["student_id"]: row for row in csv.DictReader(fh)}
    yield course, assignment, rows, bases, source
    HOST_SECRET.unlink(missing_ok=True)


def _outputs(course, assignment, student) -> str:
    path = course.autograded_dir(student, assignment) / f"{assignment}.ipynb"
    nb = C.read_notebook(path)
    return "\n".join(o.get("text", "") + o.get("evalue", "") for cell in nb.cells
                     if cell.cell_type == "code" for o in cell.outputs)


def test_every_attacker_scores_what_its_honest_work_is_worth(graded):
    course, assignment, rows, bases, source = graded
    top = sum(float(C.meta(c)["points"]) for c in source.cells if C.is_test(c))
    assert rows["honest_a"]["status"] == "graded" and float(rows["honest_a"]["score"]) == top
    worth = {"perfect": top, "untouched": float(rows["honest_c"]["score"])}
    assert worth["untouched"] < top
    for student, base in bases.items():
        row = rows[student]
        assert float(row["score"]) == worth[base], (student, row)
    assert rows["own_source"]["status"] in ("graded", "tampered")
    for student in bases:
        if student not in ("own_source",):
            assert rows[student]["status"] in ("graded", "flagged"), (student, rows[student])
    assert rows["not_json"]["status"] == "failed" and rows["not_json"]["score"] == ""
    assert "not valid JSON" in rows["not_json"]["reason"]


def test_no_read_outside_the_students_folder_succeeds(graded):
    course, assignment, _, _, _ = graded
    text = _outputs(course, assignment, "reads")
    line = next(ln for ln in text.splitlines() if ln.startswith("READS "))
    tried = json.loads(line[len("READS "):])
    reads = {k: v for k, v in tried.items() if not k.startswith("ls ")}
    assert len(reads) >= len(TARGETS) + 5
    assert all(v != "read" for v in reads.values()), reads
    # the host's /tmp is not there, and the only home is this student's
    # (but for the folders leading to the Python environment, read-only, when that
    # lives under the host's /tmp, as a CI checkout may)
    env_dirs = sorted({Path(p).resolve().relative_to("/tmp").parts[0]
                       for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)
                       if Path(p).resolve().is_relative_to("/tmp")})
    assert tried["ls /tmp"] == env_dirs and tried["ls /home"] == tried["ls .."] == ["student"]
    snoop = codecs.decode(_outputs(course, assignment, "snoop"), "rot13")
    assert "no convref" in snoop and "BEGIN HIDDEN" not in snoop


def test_fork_bomb_meets_the_process_limit_and_big_output_is_cut(graded):
    course, assignment, rows, _, _ = graded
    assert "the process limit stopped the fork bomb" in _outputs(course, assignment, "fork_bomb")
    assert len(_outputs(course, assignment, "huge_output")) < 100_000
    assert "output cut to" in rows["huge_output"]["notes"]
    assert "did not stop" in rows["swallow"]["notes"]


def test_nothing_the_students_started_is_left(graded):
    left = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            status = (proc / "status").read_text()
        except OSError:
            continue
        uid = int(next(ln for ln in status.splitlines() if ln.startswith("Uid:")).split()[1])
        if MARKER.encode() in cmdline or (os.getuid() == 0 and uid >= 200_000):
            left.append((proc.name, cmdline[:80]))
    assert left == []


def _encodings(line: str) -> set[str]:
    raw = line.encode()
    return {line, html.escape(line), html.escape(line, quote=False),
            codecs.encode(line, "rot13"), base64.b64encode(raw).decode(), raw.hex(),
            line[::-1], urllib.parse.quote(line), json.dumps(line)[1:-1],
            line.encode("unicode_escape").decode()}


def test_no_hidden_test_line_reaches_any_feedback_page(graded):
    course, assignment, rows, _, source = graded
    hidden = set()
    for cell in source.cells:
        if C.is_test(cell):
            inside = False
            for line in cell.source.splitlines():
                if "BEGIN HIDDEN TESTS" in line:
                    inside = True
                elif "END HIDDEN TESTS" in line:
                    inside = False
                elif inside and len(line.strip()) >= 16:
                    hidden.add(line.strip())
    assert len(hidden) > 10
    pages = sorted(course.step_root(course.coursedir.feedback_directory).rglob("*.html"))
    graded_students = {s for s, r in rows.items() if r["score"] != ""}
    assert {p.parts[-3] for p in pages} >= graded_students  # no page was withheld
    for page in pages:
        text = page.read_text(errors="replace")
        for line in hidden:
            for form in _encodings(line):
                assert form not in text, (page, line, form)
