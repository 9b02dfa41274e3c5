"""The host side of grading: the ``grade`` verb (``verb.py``, on the client), Dask
(``cluster.py``, ``task.py``), the trusted execution on a worker (``execute.py``,
``kernel.py``, ``sandbox.py``) and nbgrader's recording step (``record.py``). What runs
inside the sandbox is in :mod:`autograder.run`.
"""

# The verb's names are loaded on first use: a Dask worker imports this package for
# ``task`` alone, and must not pay for the client's imports (nbgrader, the LMS layer).
_VERB = ("GradeRun", "grade", "make_task", "mode_line", "sandbox_mode", "support_files",
         "UNSAFE_NOTE")
__all__ = list(_VERB)


def __getattr__(name: str):
    if name in _VERB:
        from autograder.grade import verb

        return getattr(verb, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
