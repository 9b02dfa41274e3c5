"""Inside a grading kernel: only the instructor's cells may import the reference package.

Hidden tests compare the student's layers with ``convref``; student code must not
reach it. An import finder placed first on ``sys.meta_path`` looks at the call stack:
when the innermost notebook cell on it is not one of the instructor's cells (known by
the hash of their source), importing a protected package raises ImportError. After
every cell the protected modules are dropped from ``sys.modules``, so a later
``import`` from student code goes through the finder again.

This module is loaded by the kernel entry point before the kernel starts; it imports
nothing from the autograder package.
"""

from __future__ import annotations

import hashlib
import linecache
import os
import sys

PROTECTED = ("convref",)


def cell_hash(source: str) -> str:
    """Hash of a cell's (IPython-translated) source, insensitive to outer whitespace."""
    return hashlib.sha256(source.strip().encode("utf-8")).hexdigest()


def _is_cell_file(filename: str) -> bool:
    folder = os.path.basename(os.path.dirname(filename))
    return folder.startswith("ipykernel_") or filename.startswith("<ipython-input-")


def _protected(fullname: str) -> bool:
    return any(fullname == p or fullname.startswith(p + ".") for p in PROTECTED)


class ReferenceGuard:
    """A ``sys.meta_path`` finder that refuses protected imports from student cells."""

    def __init__(self, allowed: set[str]):
        self.allowed = set(allowed)

    def find_spec(self, fullname, path=None, target=None):
        if not _protected(fullname):
            return None
        frame = sys._getframe(1)
        while frame is not None:
            filename = frame.f_code.co_filename
            if _is_cell_file(filename):
                source = "".join(linecache.getlines(filename))
                if cell_hash(source) in self.allowed:
                    return None  # the instructor's cell: let the normal finders work
                raise ImportError(
                    f"{fullname} holds the reference solutions and cannot be used by "
                    "student code during grading",
                    name=fullname,
                )
            frame = frame.f_back
        return None  # not started from a notebook cell (kernel start-up)

    def purge(self, *_args) -> None:
        """Forget the protected modules so the next import is checked again."""
        for name in [n for n in sys.modules if _protected(n)]:
            del sys.modules[name]


def install(allowed: set[str]) -> ReferenceGuard:
    """Put a guard first on ``sys.meta_path`` and return it."""
    guard = ReferenceGuard(allowed)
    sys.meta_path.insert(0, guard)
    return guard
