"""Release bundles: one zip per assignment for students to download from the book.

A bundle holds the student version of an assignment (``assignments/<id>/``,
nbgrader's release folder: the notebook and its README) plus the student kit
``convkit`` next to the notebooks, so ``import convkit`` works after unzipping.
The kit is always taken from ``src/convkit`` (the release step's own file list,
:func:`autograder.release.kit_files`), never from a kit copy that an earlier
release left in the release folder: those copies are generated and not in git,
so a fresh clone has none and an old one may be stale. Zips are built
byte-for-byte reproducibly (sorted names, fixed timestamps) and rewritten only
when their content changes, which keeps warm rebuilds of the site incremental.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from pathlib import Path

from autograder.release import KIT_NAME, kit_files
from tools.paths import BUNDLES, RELEASE, STUDENT_KIT

SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}
SKIPPED_SUFFIXES = {".pyc", ".pyo", ".db"}
# A fixed timestamp: zips must not change when nothing in them did.
EPOCH = (1980, 1, 1, 0, 0, 0)


def _wanted(path: Path, root: Path) -> bool:
    rel = path.relative_to(root)
    return (
        path.is_file()
        and not SKIPPED_PARTS.intersection(rel.parts)
        and path.suffix not in SKIPPED_SUFFIXES
        and not rel.name.startswith(".")
    )


def bundle_members(assignment_dir: Path, kit_dir: Path = STUDENT_KIT) -> list[tuple[str, Path]]:
    """The ``(name in zip, file on disk)`` pairs of one assignment's bundle, sorted by name.

    Raises
    ------
    FileNotFoundError
        If ``assignment_dir`` does not exist or holds no notebook.
    """
    if not assignment_dir.is_dir():
        raise FileNotFoundError(f"no release folder {assignment_dir}")
    top = assignment_dir.name
    members = {
        f"{top}/{p.relative_to(assignment_dir).as_posix()}": p
        for p in assignment_dir.rglob("*")
        if _wanted(p, assignment_dir)
        and p.relative_to(assignment_dir).parts[0] != KIT_NAME
    }
    if not any(name.endswith(".ipynb") for name in members):
        raise FileNotFoundError(f"the release folder {assignment_dir} holds no notebook")
    for name, p in kit_files(kit_dir):
        members[f"{top}/{KIT_NAME}/{name}"] = p
    return sorted(members.items())


def zip_bytes(members: Iterable[tuple[str, Path]]) -> bytes:
    """A reproducible zip of ``members``: same files in, same bytes out."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, path in members:
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` unless it already holds exactly that; return whether it wrote."""
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def build_bundle(
    assignment_id: str,
    release_root: Path = RELEASE,
    out_dir: Path = BUNDLES,
    kit_dir: Path = STUDENT_KIT,
) -> Path | None:
    """Write ``out_dir/<assignment_id>.zip``; return its path, or ``None`` if not released yet.

    A stale zip of an assignment that has no release folder any more is removed.
    """
    target = out_dir / f"{assignment_id}.zip"
    assignment_dir = release_root / assignment_id
    if not assignment_dir.is_dir():
        target.unlink(missing_ok=True)
        return None
    write_if_changed(target, zip_bytes(bundle_members(assignment_dir, kit_dir)))
    return target
