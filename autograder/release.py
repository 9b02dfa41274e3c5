"""Generate the student release: nbgrader's student notebooks plus the student kit.

:func:`release` runs ``nbgrader generate_assignment <id> --force`` from the course
root for each assignment (nbgrader reads ``nbgrader_config.py`` there: sources in
``solutions/``, release in ``assignments/``), copies the student kit
``src/convkit`` into every release folder so that ``import convkit`` works next
to the notebook, and then checks that nothing secret reached the students:

- no nbgrader region marker (solution, hidden tests, mark scheme);
- no line of the instructor notebook that lies in a solution or hidden-test
  region, or in a solution cell nbgrader replaces whole;
- no import of the reference package ``convref``, and no outputs.

A failed check raises :class:`ReleaseError` naming the file and what leaked.
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

from tools.solution_scan import MARKERS, normalize, notebook_secrets

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIR = "solutions"
RELEASE_DIR = "assignments"
KIT = Path("src") / "convkit"
KIT_NAME = "convkit"

_REFERENCE_IMPORT = re.compile(r"^\s*(import|from)\s+convref\b", re.MULTILINE)
_SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")


class ReleaseError(RuntimeError):
    """nbgrader failed, or the release holds something students must not see."""


def find_assignments(course_root: Path = ROOT) -> list[str]:
    """The assignments of the course: folders of ``solutions/`` holding ``<id>.ipynb``."""
    source = Path(course_root) / SOURCE_DIR
    if not source.is_dir():
        return []
    return sorted(p.name for p in source.iterdir() if (p / f"{p.name}.ipynb").is_file())


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


def copy_kit(kit: Path, target: Path) -> None:
    """Replace ``target`` by a copy of the student kit (without caches)."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(kit, target, ignore=_SKIPPED)


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
