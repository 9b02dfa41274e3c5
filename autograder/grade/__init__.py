"""The host side of grading: the ``grade`` verb, the Dask tasks, the trusted execution.

- :mod:`~autograder.grade.verb`: the verb (check, submit, record, report), on the client;
- :mod:`~autograder.grade.cluster`: Dask (a LocalCluster or a running scheduler);
- :mod:`~autograder.grade.task`: one student's grading, on a worker, with
  :mod:`~autograder.grade.execute` (TrustedExecute), :mod:`~autograder.grade.kernel`
  (the grader's end of the sandboxed kernel) and :mod:`~autograder.grade.sandbox`;
- :mod:`~autograder.grade.record`: the client's nbgrader step that writes the gradebook.

What runs inside the sandbox is in :mod:`autograder.run`.
"""

from __future__ import annotations

# The verb's names are loaded on first use: a Dask worker imports this package for
# ``task`` alone, and must not pay for the client's imports (nbgrader, the LMS layer).
_VERB = ("GradeRun", "grade", "make_task", "mode_line", "sandbox_mode", "submitted_students",
         "support_files", "UNSAFE_NOTE")
__all__ = list(_VERB)


def __getattr__(name: str):
    if name in _VERB:
        from autograder.grade import verb

        return getattr(verb, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
