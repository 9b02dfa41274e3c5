"""Generate the student release: nbgrader's student notebooks plus the student kit.

:func:`release` runs ``nbgrader generate_assignment <id> --force`` from the course
root for each assignment (nbgrader reads ``nbgrader_config.py`` there: sources in
``solutions/``, release in ``assignments/``), writes a ``README.md`` telling
students how to set up and open the notebook, copies the student kit
``src/convkit`` into every release folder so that ``import convkit`` works next
to the notebook, and then checks that nothing secret reached the students:

- no nbgrader region marker (solution, hidden tests, mark scheme);
- no line of the instructor notebook that lies in a solution or hidden-test
  region, or in a solution cell nbgrader replaces whole;
- no import of the reference package ``convref``, and no outputs.

A failed check raises :class:`ReleaseError` naming the file and what leaked.

The notebooks and READMEs of the release are committed; the kit copies are not
(``.gitignore``): :func:`copy_kit` writes them, here and wherever a fresh clone
needs a complete student folder (the tests, the site's download bundles use
:func:`kit_files`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from tools.paths import find_assignment_ids
from tools.solution_scan import MARKERS, normalize, notebook_secrets

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIR = "solutions"
RELEASE_DIR = "assignments"
KIT = Path("src") / "convkit"
KIT_NAME = "convkit"

_REFERENCE_IMPORT = re.compile(r"^\s*(import|from)\s+convref\b", re.MULTILINE)
_SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}
_SKIPPED_SUFFIXES = {".pyc", ".pyo"}
_TITLE = re.compile(r"^#\s+(.+?)\s*$", re.MULTILINE)

# What students read first in their folder; {title} and {notebook} are filled in.
README = """\
# {title}

This folder holds the notebook `{notebook}` and the student kit `convkit/`, which
the notebook imports (its checks, numerical gradients and plotting helpers).
Keep the two side by side.

## Set up (once)

You need Python 3.10 or later. In a terminal, make a virtual environment and
install NumPy, Matplotlib and JupyterLab into it:

```bash
python3 -m venv ~/convnets-env
~/convnets-env/bin/python -m pip install numpy matplotlib jupyterlab
```

(On Windows: `py -m venv %USERPROFILE%\\convnets-env`, then
`%USERPROFILE%\\convnets-env\\Scripts\\python -m pip install numpy matplotlib jupyterlab`.
With conda: `conda create -n convnets python numpy matplotlib jupyterlab`.)

## Open the notebook

From this folder, start JupyterLab; it opens in your browser:

```bash
cd path/to/{folder}
~/convnets-env/bin/jupyter lab {notebook}
```

Write your code where a cell says `YOUR CODE HERE` and run the check cell after
each function. Before you hand in `{notebook}` (only that file), run
*Kernel -> Restart Kernel and Run All Cells* and make sure every check passes.
"""


class ReleaseError(RuntimeError):
    """nbgrader failed, or the release holds something students must not see."""


def find_assignments(course_root: Path = ROOT) -> list[str]:
    """The assignments of the course: folders of ``solutions/`` holding ``<id>.ipynb``."""
    return list(find_assignment_ids(Path(course_root) / SOURCE_DIR))


def release(assignment_ids: list[str] | None = None, course_root: Path = ROOT) -> list[Path]:
    """Generate, equip and verify the student release of some or all assignments.

    Parameters
    ----------
    assignment_ids : list of str, optional
        Which assignments; all of them (see :func:`find_assignments`) when None.
    course_root : Path
        The folder holding ``nbgrader_config.py``, ``solutions/`` and ``src/convkit``.

    Returns
    -------
    list of Path
        The release notebooks, ``assignments/<id>/<id>.ipynb``, in the order given.

    Raises
    ------
    ValueError
        If an assignment id has no source notebook.
    ReleaseError
        If nbgrader fails or the result leaks solutions or hidden tests.
    """
    course_root = Path(course_root).resolve()
    known = find_assignments(course_root)
    wanted = known if assignment_ids is None else list(assignment_ids)
    unknown = [a for a in wanted if a not in known]
    if unknown:
        raise ValueError(
            f"no source notebook for {unknown} under {course_root / SOURCE_DIR}; "
            f"known assignments: {known}"
        )
    kit = course_root / KIT
    if not (kit / "__init__.py").is_file():
        raise ReleaseError(f"the student kit is missing: {kit}/__init__.py not found")
    released = []
    for assignment_id in wanted:
        generate(assignment_id, course_root)
        folder = course_root / RELEASE_DIR / assignment_id
        write_readme(folder, assignment_id)
        copy_kit(kit, folder / KIT_NAME)
        verify(course_root / SOURCE_DIR / assignment_id, folder)
        released.append(folder / f"{assignment_id}.ipynb")
    return released


def generate(assignment_id: str, course_root: Path) -> None:
    """Run ``nbgrader generate_assignment <id> --force`` from ``course_root``."""
    command = [sys.executable, "-m", "nbgrader", "generate_assignment", assignment_id, "--force"]
    # nbgrader runs the `alembic` script of its own environment, found through PATH
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    done = subprocess.run(command, cwd=course_root, env=env, capture_output=True, text=True)
    notebook = course_root / RELEASE_DIR / assignment_id / f"{assignment_id}.ipynb"
    # nbgrader can log an error and still exit 0; a missing notebook tells the truth.
    if done.returncode != 0 or "] ERROR" in done.stderr or not notebook.is_file():
        raise ReleaseError(
            f"nbgrader generate_assignment {assignment_id} failed (exit {done.returncode}):\n"
            + "\n".join(done.stderr.splitlines()[-20:])
        )


def kit_files(kit: Path = ROOT / KIT) -> list[tuple[str, Path]]:
    """The files of the student kit students receive: ``(path inside the kit, file)``, sorted.

    Caches and checkpoints are left out.
    """
    kit = Path(kit)
    if not (kit / "__init__.py").is_file():
        raise ReleaseError(f"the student kit is missing: {kit}/__init__.py not found")
    found = []
    for path in kit.rglob("*"):
        rel = path.relative_to(kit)
        if (
            path.is_file()
            and not _SKIPPED_PARTS.intersection(rel.parts)
            and path.suffix not in _SKIPPED_SUFFIXES
        ):
            found.append((rel.as_posix(), path))
    return sorted(found)


def copy_kit(kit: Path, target: Path) -> None:
    """Replace ``target`` by a copy of the student kit (without caches)."""
    files = kit_files(kit)
    if target.exists():
        shutil.rmtree(target)
    for name, path in files:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target / name)


def equip(folder: Path, course_root: Path = ROOT) -> Path:
    """Make a release folder complete for a student: write its kit copy; return the folder.

    A fresh clone holds the release notebooks but not the kit copies (they are
    generated); whatever hands a release folder to a kernel calls this first.
    """
    copy_kit(Path(course_root) / KIT, Path(folder) / KIT_NAME)
    return Path(folder)


def notebook_title(notebook: Path) -> str:
    """The first ``# heading`` of a notebook's markdown cells, or its file name."""
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            match = _TITLE.search(_source(cell))
            if match:
                return match.group(1)
    return notebook.stem


def write_readme(folder: Path, assignment_id: str) -> Path:
    """Write ``folder/README.md``: how students set up and open ``<assignment_id>.ipynb``."""
    notebook = folder / f"{assignment_id}.ipynb"
    text = README.format(
        title=notebook_title(notebook), notebook=notebook.name, folder=assignment_id
    )
    target = folder / "README.md"
    target.write_text(text, encoding="utf-8")
    return target


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def secret_lines(notebooks: Iterable[Path]) -> set[str]:
    """Lines of instructor notebooks that students must never see, whitespace-normalized.

    The same lines the site's leak scan looks for (:mod:`tools.solution_scan`).
    """
    secrets: set[str] = set()
    for path in notebooks:
        secrets |= notebook_secrets(path)
    return secrets


def leaks(folder: Path, secrets: set[str]) -> list[str]:
    """What in ``folder`` students must not see, one description per finding."""
    found = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix not in {".ipynb", ".py", ".md", ".txt", ".json"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        where = path.relative_to(folder)
        found += [f"{where}: marker {m!r}" for m in MARKERS if m in text]
        if path.suffix == ".ipynb":
            cells = json.loads(text).get("cells", [])
            code = "\n".join(_source(c) for c in cells)
            if any(c.get("outputs") for c in cells):
                found.append(f"{where}: the notebook holds outputs")
        else:
            code = text
        flat = normalize(code)
        found += [f"{where}: solution or hidden-test line {s!r}" for s in secrets if s in flat]
        if _REFERENCE_IMPORT.search(code):
            found.append(f"{where}: imports the reference package convref")
    return found


def verify(source_folder: Path, release_folder: Path) -> None:
    """Raise :class:`ReleaseError` if the release folder leaks anything of its source."""
    secrets = secret_lines(sorted(source_folder.glob("*.ipynb")))
    found = leaks(release_folder, secrets)
    if found:
        raise ReleaseError(
            f"the release {release_folder} is not fit for students:\n  " + "\n  ".join(found)
        )
