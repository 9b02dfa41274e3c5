"""Shared machinery of the assignment tests (this module holds no tests itself).

A throw-away nbgrader course is built once per test session: the repository's
``nbgrader_config.py``, ``solutions/`` and student kit are copied to a temporary
folder, the release is regenerated there with :func:`autograder.release.release`,
and fake students are autograded in one ``nbgrader autograde`` run per
assignment (each nbgrader command costs seconds to start, so students are
batched):

- ``perfect``: the instructor's source notebook, handed in as is;
- ``untouched``: the release folder exactly as students receive it;
- ``graded-only``: the source notebook with every ungraded solution cell (such
  as problem set 3's Part 0, where students paste their earlier layers) left as
  released: the graded cells alone must earn full marks;
- ``wrong-<function>``: the source notebook with one function replaced by a
  deliberately wrong but well-formed version (see :data:`WRONG`).

The helpers cache their results, so the tests that share them pay once.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tools.paths import ASSIGNMENT_IDS

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = ASSIGNMENT_IDS  # the one list: the folders of solutions/
KIT_ONLY = ROOT / "tests" / "kit_only"

# One deliberately wrong but well-formed version of every graded function: it
# runs, returns values of the right kind, and is wrong in one classic way. The
# phrase is what the failing visible check's hint must say about it.
WRONG: dict[str, dict[str, tuple[str, str | None]]] = {
    "ps1_convolution": {
        "conv_output_size": (
            """
def conv_output_size(W, F, S=1, P=0):
    return (W - F) // S + 1  # forgets the padding and never refuses a stride
""",
            None,
        ),
        "conv_param_count": (
            """
def conv_param_count(depth, F, K, shared=True, out_size=1):
    neurons = K if shared else K * out_size * out_size
    return F * F * depth * neurons  # forgets the biases
""",
            "one bias",
        ),
        "conv_forward_naive": (
            """
def conv_forward_naive(x, w, b, conv_param):
    N, _, H, W = x.shape
    F, _, HH, WW = w.shape
    s, p = conv_param["stride"], conv_param["pad"]
    H_out, W_out = 1 + (H + 2 * p - HH) // s, 1 + (W + 2 * p - WW) // s
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    out = np.zeros((N, F, H_out, W_out), dtype=np.result_type(x, w, b))
    for n in range(N):
        for f in range(F):
            turned = w[f, :, ::-1, ::-1]  # a true convolution: the filter is flipped
            for r in range(H_out):
                for c in range(W_out):
                    out[n, f, r, c] = np.sum(xp[n, :, r * s:r * s + HH, c * s:c * s + WW] * turned) + b[f]
    return out, (x, w, b, conv_param)
""",
            "180 degrees",
        ),
        "im2col": (
            """
def im2col(x, field_height, field_width, stride=1, pad=0):
    N, C, H, W = x.shape
    H_out = 1 + (H + 2 * pad - field_height) // stride
    W_out = 1 + (W + 2 * pad - field_width) // stride
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    columns = []
    for r in range(H_out):
        for c in range(W_out):
            for n in range(N):  # the image index changes fastest: wrong column order
                window = xp[n, :, r * stride:r * stride + field_height, c * stride:c * stride + field_width]
                columns.append(window.ravel())
    return np.stack(columns, axis=1)
""",
            "image index changes fastest",
        ),
        "conv_forward_im2col": (
            """
def conv_forward_im2col(x, w, b, conv_param):
    N, _, H, W = x.shape
    F, _, HH, WW = w.shape
    s, p = conv_param["stride"], conv_param["pad"]
    H_out, W_out = 1 + (H + 2 * p - HH) // s, 1 + (W + 2 * p - WW) // s
    products = w.reshape(F, -1) @ im2col(x, HH, WW, s, p) + b.reshape(F, 1)
    return products.reshape(N, F, H_out, W_out), (x, w, b, conv_param)  # axes mixed up
""",
            "images and filters are mixed up",
        ),
    },
    "ps2_pooling": {
        "max_pool_forward_naive": (
            """
def max_pool_forward_naive(x, pool_param):
    N, C, H, W = x.shape
    HH, WW, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    H_out, W_out = 1 + (H - HH) // s, 1 + (W - WW) // s
    out = np.empty((N, C, H_out, W_out), dtype=x.dtype)
    switches = np.empty((N, C, H_out, W_out), dtype=np.int64)
    for n in range(N):
        for c in range(C):
            for r in range(H_out):
                for q in range(W_out):
                    flat = x[n, c, r * s:r * s + HH, q * s:q * s + WW].ravel()
                    last = flat.size - 1 - np.argmax(flat[::-1])  # the LAST maximum
                    switches[n, c, r, q], out[n, c, r, q] = last, flat[last]
    return out, (x, pool_param, switches)
""",
            "FIRST maximum",
        ),
        "max_pool_backward_naive": (
            """
def max_pool_backward_naive(dout, cache):
    x, pool_param, _ = cache
    HH, WW, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    N, C, H_out, W_out = dout.shape
    for n in range(N):
        for c in range(C):
            for r in range(H_out):
                for q in range(W_out):
                    window = x[n, c, r * s:r * s + HH, q * s:q * s + WW]
                    winners = window == window.max()  # every tied maximum
                    dx[n, c, r * s:r * s + HH, q * s:q * s + WW] += winners * dout[n, c, r, q]
    return dx
""",
            "every one",
        ),
    },
    "ps3_fc_to_conv": {
        "fc_to_conv": (
            """
def fc_to_conv(w, b, in_shape):
    C, H, W = in_shape
    return w.reshape(w.shape[1], C, H, W), b.copy()  # no transpose
""",
            "without transposing",
        ),
        "convolutionalize": (
            """
def convolutionalize(net, in_shape):
    return [(kind, dict(params)) for kind, params in net]  # the FC layers stay FC layers
""",
            None,
        ),
        "crop_scores": (
            """
def crop_scores(net, x, in_shape, stride):
    _, h, w = in_shape
    rows, cols = x.shape[2] - h + 1, x.shape[3] - w + 1  # a crop at every pixel
    maps = [[net_forward(net, x[:, :, i:i + h, j:j + w]).reshape(len(x), -1) for j in range(cols)]
            for i in range(rows)]
    return np.stack([np.stack(row, axis=-1) for row in maps], axis=-2)
""",
            "every pixel",
        ),
        "shifted_score_map": (
            """
def shifted_score_map(net, x, in_shape, shifts=2):
    stride = net_stride(net)
    step = stride // shifts
    _, h, w = in_shape
    dense = np.zeros((len(x), 0, (x.shape[2] - h) // step + 1, (x.shape[3] - w) // step + 1))
    for a in range(shifts):  # the notes' passes only: shifted along both axes at once
        part = x[:, :, a * step:, a * step:]
        height = h + (part.shape[2] - h) // stride * stride
        width = w + (part.shape[3] - w) // stride * stride
        scores = score_map(net, part[:, :, :height, :width], in_shape)
        if dense.shape[1] == 0:
            dense = np.zeros((len(x), scores.shape[1], *dense.shape[2:]))
        dense[:, :, a::shifts, a::shifts] = scores
    return dense
""",
            "only one axis",
        ),
    },
}


# Problem set 3's ungraded Part 0 with a classic slip: the conv layer drops its bias.
# It must cost no points; the demonstrations that run it must point at Part 0.
BROKEN_PART0 = {
    "ps3_fc_to_conv": (
        "your_layers",
        """
def conv_forward(x, w, b, conv_param):
    import convref
    out, cache = convref.conv_forward_im2col(x, w, b, conv_param)
    return out - b.reshape(1, -1, 1, 1), cache  # the bias is dropped


def max_pool_forward(x, pool_param):
    import convref
    return convref.max_pool_forward_fast(x, pool_param)
""",
    )
}


def run(
    command: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run a command of this environment (its bin folder first on PATH)."""
    env = dict(env or os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source_notebook(assignment_id: str, root: Path = ROOT) -> Path:
    return root / "solutions" / assignment_id / f"{assignment_id}.ipynb"


def release_notebook(assignment_id: str, root: Path = ROOT) -> Path:
    return root / "assignments" / assignment_id / f"{assignment_id}.ipynb"


def cell_text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def graded_cells(notebook: dict) -> dict[str, float]:
    """grade_id -> points of every graded cell."""
    cells = {}
    for cell in notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            cells[meta["grade_id"]] = float(meta["points"])
    return cells


def function_cells(notebook: dict, function: str) -> list[str]:
    """The graded cells that test ``function``: ``test_<function>`` and ``test_<function>_*``."""
    prefix = f"test_{function}"
    return [g for g in graded_cells(notebook) if g == prefix or g.startswith(prefix + "_")]


def ungraded_solution_cells(notebook: dict) -> list[str]:
    """Solution cells that earn no points and that no graded cell tests by name."""
    graded = graded_cells(notebook)
    found = []
    for cell in notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell["cell_type"] != "code" or not meta.get("solution") or meta.get("grade"):
            continue
        if not function_cells(notebook, meta["grade_id"]) and meta["grade_id"] not in graded:
            found.append(meta["grade_id"])
    return found


def graded_only(source: dict, released: dict) -> dict:
    """``source`` with its ungraded solution cells as in ``released`` (the stubs)."""
    copy = json.loads(json.dumps(source))
    stubs = {
        c["metadata"]["nbgrader"]["grade_id"]: c["source"]
        for c in released["cells"]
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    }
    ungraded = set(ungraded_solution_cells(source))
    for cell in copy["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in ungraded:
            cell["source"] = stubs[grade_id]
    return copy


def with_solution(notebook: dict, grade_id: str, code: str) -> dict:
    """A copy of ``notebook`` whose solution cell ``grade_id`` holds ``code``."""
    copy = json.loads(json.dumps(notebook))
    for cell in copy["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            cell["source"] = code.strip("\n")
            return copy
    raise KeyError(f"no cell {grade_id!r} in the notebook")


@dataclass
class Course:
    """The temporary course and what the autograder made of each student."""

    root: Path
    released: list[Path]
    scores: dict[tuple[str, str], dict[str, tuple[float, float]]] = field(default_factory=dict)
    autograde_log: dict[str, str] = field(default_factory=dict)

    def autograded(self, assignment_id: str, student: str) -> dict:
        return load(
            self.root
            / "grading"
            / "autograded"
            / student
            / assignment_id
            / f"{assignment_id}.ipynb"
        )


def _copy_course(target: Path) -> None:
    shutil.copy2(ROOT / "nbgrader_config.py", target / "nbgrader_config.py")
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    shutil.copytree(ROOT / "solutions", target / "solutions", ignore=skip)
    shutil.copytree(ROOT / "src" / "convkit", target / "src" / "convkit", ignore=skip)
    # the grading pipeline's package, in case nbgrader_config.py refers to it
    shutil.copytree(
        ROOT / "autograder",
        target / "autograder",
        ignore=shutil.ignore_patterns(
            "__pycache__",
            "*.pyc",
            "gradebook.db*",
            "submitted",
            "autograded",
            "feedback",
            "exports",
            "work",
        ),
    )


@functools.cache
def released_course() -> Course:
    """A temporary course with the release regenerated from the sources."""
    from autograder.release import release

    root = Path(tempfile.mkdtemp(prefix="convnets-course-"))
    atexit.register(shutil.rmtree, root, True)
    _copy_course(root)
    return Course(root, release(course_root=root))


def _submit(course: Course, assignment_id: str) -> list[str]:
    """Hand in the fake students' versions of one assignment; return their ids."""
    submitted = course.root / "grading" / "submitted"
    source = load(source_notebook(assignment_id, course.root))
    released = load(release_notebook(assignment_id, course.root))
    versions = {"perfect": source, "graded-only": graded_only(source, released)}
    for function, (code, _) in WRONG[assignment_id].items():
        versions[f"wrong-{function}"] = with_solution(source, function, code)
    if assignment_id in BROKEN_PART0:
        cell, code = BROKEN_PART0[assignment_id]
        versions["broken-part0"] = with_solution(source, cell, code)
    for student, notebook in versions.items():
        folder = submitted / student / assignment_id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{assignment_id}.ipynb").write_text(
            json.dumps(notebook, indent=1), encoding="utf-8"
        )
    shutil.copytree(
        course.root / "assignments" / assignment_id, submitted / "untouched" / assignment_id
    )
    return [*versions, "untouched"]


@functools.cache
def graded_course() -> Course:
    """The released course with every fake student autograded; scores per graded cell."""
    from nbgrader.api import Gradebook

    course = released_course()
    db_url = "sqlite:///" + str(course.root / "grading" / "gradebook.db")
    for assignment_id in ASSIGNMENTS:
        students = _submit(course, assignment_id)
        done = run(
            [sys.executable, "-m", "nbgrader", "autograde", assignment_id, "--force"], course.root
        )
        course.autograde_log[assignment_id] = done.stdout + done.stderr
        with Gradebook(db_url) as gradebook:
            for student in students:
                notebook = gradebook.find_submission_notebook(assignment_id, assignment_id, student)
                course.scores[(assignment_id, student)] = {
                    grade.name: (grade.auto_score, grade.max_score) for grade in notebook.grades
                }
    return course


def error_outputs(notebook: dict) -> list[tuple[str | None, dict]]:
    """(grade_id, error output) of every cell that raised."""
    found = []
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append((cell.get("metadata", {}).get("nbgrader", {}).get("grade_id"), output))
    return found
