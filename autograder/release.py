"""The student release: nbgrader's student notebooks, a README and the student kit,
checked for leaks. The notebooks and READMEs are committed, the kit copies are not:
:func:`equip` writes them wherever a student folder must be complete."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable
from fnmatch import fnmatch
from pathlib import Path

import nbformat
from nbgrader.apps import NbGraderAPI
from traitlets.config import Config

from autograder.course import Course, CourseError
from tools.paths import find_assignment_ids
from tools.solution_scan import MARKERS, notebook_secrets, readable_text, scan_tree

ROOT = Path(__file__).resolve().parents[1]
KIT = Path("src") / "convkit"
KIT_NAME = "convkit"

_REFERENCE_IMPORT = re.compile(r"^\s*(import|from)\s+convref\b", re.MULTILINE)
_SKIPPED = ("__pycache__", ".ipynb_checkpoints", ".pytest_cache", "*.pyc", "*.pyo")
_TITLE = re.compile(r"^#\s+(.+?)\s*$", re.MULTILINE)

# What students read first in their folder; {title}, {notebook} and {folder} are filled in.
README = Path(__file__).with_name("release_readme.md")


class ReleaseError(CourseError):
    """nbgrader failed, or the release holds something students must not see."""


def release(assignment_ids: list[str] | None = None, course_root: Path = ROOT) -> list[Path]:
    """Generate, equip and verify the release of some or all assignments; returns the
    release notebooks (``assignments/<id>/<id>.ipynb``) in the order given. Raises
    ValueError for an id without a source notebook, :class:`ReleaseError` when nbgrader
    fails or the result leaks solutions or hidden tests."""
    course = Course.load(course_root)
    sources = course.step_root(course.coursedir.source_directory)
    known = list(find_assignment_ids(sources))
    wanted = known if assignment_ids is None else list(assignment_ids)
    unknown = [a for a in wanted if a not in known]
    if unknown:
        raise ValueError(
            f"no source notebook for {unknown} under {sources}; known assignments: {known}")
    kit_files(course.root / KIT)  # fails before nbgrader runs when the kit is missing
    released = []
    for assignment_id in wanted:
        generate(course, assignment_id)
        folder = course.release_dir(assignment_id)
        notebook = folder / f"{assignment_id}.ipynb"
        readme = README.read_text(encoding="utf-8").format(
            title=_title(notebook), notebook=notebook.name, folder=assignment_id)
        (folder / "README.md").write_text(readme, encoding="utf-8")
        equip(folder, course.root)
        verify(course.source_dir(assignment_id), folder)
        released.append(notebook)
    return released


def generate(course: Course, assignment_id: str) -> None:
    """Run nbgrader's ``generate_assignment`` (forced) in-process; raise on failure."""
    api = NbGraderAPI(config=Config(course.config))
    api.coursedir.root = str(course.root)
    result = api.generate_assignment(assignment_id, force=True)
    # nbgrader can log an error and still succeed; a missing notebook tells the truth
    notebook = course.release_dir(assignment_id) / f"{assignment_id}.ipynb"
    if not result["success"] or not notebook.is_file():
        log = result.get("log") or result.get("error", "")
        raise ReleaseError(f"nbgrader generate_assignment {assignment_id} failed:\n"
                           + "\n".join(log.splitlines()[-20:]))


def kit_files(kit: Path = ROOT / KIT) -> list[tuple[str, Path]]:
    """The student kit's files, ``(path inside the kit, file)``, sorted; caches left out."""
    kit = Path(kit)
    if not (kit / "__init__.py").is_file():
        raise ReleaseError(f"the student kit is missing: {kit}/__init__.py not found")
    found = [(path.relative_to(kit), path) for path in kit.rglob("*") if path.is_file()]
    return sorted((rel.as_posix(), path) for rel, path in found
                  if not any(fnmatch(part, pattern) for part in rel.parts for pattern in _SKIPPED))


def equip(folder: Path, course_root: Path = ROOT) -> None:
    """Replace ``folder``'s kit copy by a fresh one (a fresh clone has none): whatever
    hands a release folder to a kernel calls this first."""
    target = Path(folder) / KIT_NAME
    kit_files(Path(course_root) / KIT)
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(Path(course_root) / KIT, target, ignore=shutil.ignore_patterns(*_SKIPPED))


def _title(notebook: Path) -> str:
    """The first ``# heading`` of a notebook's markdown cells, or its file name."""
    cells = nbformat.read(notebook, as_version=4).cells
    found = (_TITLE.search(cell.source) for cell in cells if cell.cell_type == "markdown")
    return next((match.group(1) for match in found if match), notebook.stem)


def secret_lines(notebooks: Iterable[Path]) -> set[str]:
    """Lines of instructor notebooks students must never see, as the site's scan finds them."""
    return set().union(*map(notebook_secrets, notebooks))


def leaks(folder: Path, secrets: set[str]) -> list[str]:
    """What in ``folder`` students must not see, one description per finding."""
    found = []
    for leak in scan_tree(folder, secrets):  # markers and secret lines, as on the site
        kind = "marker" if leak.what in MARKERS else "solution or hidden-test line"
        found.append(f"{Path(leak.where).relative_to(folder)}: {kind} {leak.what!r}")
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix not in {".ipynb", ".py", ".md", ".txt", ".json"}:
            continue
        raw = path.read_bytes()
        if path.suffix == ".ipynb" and any(c.get("outputs") for c in json.loads(raw)["cells"]):
            found.append(f"{path.relative_to(folder)}: the notebook holds outputs")
        if _REFERENCE_IMPORT.search(readable_text(path.name, raw)):  # a notebook: its cells
            found.append(f"{path.relative_to(folder)}: imports the reference package convref")
    return found


def verify(source_folder: Path, release_folder: Path) -> None:
    """Raise :class:`ReleaseError` if the release folder leaks anything of its source."""
    found = leaks(release_folder, secret_lines(sorted(source_folder.glob("*.ipynb"))))
    if found:
        raise ReleaseError(f"the release {release_folder} is not fit for students:\n  "
                           + "\n  ".join(found))
