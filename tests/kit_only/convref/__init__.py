"""Stand-in for the reference package in the student-kit-only environment.

Putting ``tests/kit_only`` first on ``PYTHONPATH`` shadows the installed
``convref``: release notebooks are run that way in the tests, to prove they
need nothing but the student kit ``convkit``.
"""

raise ImportError("convref is the instructor's reference; students use convkit")
