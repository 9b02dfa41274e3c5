"""The instructor notebooks run clean under nbval (``pytest --nbval-lax``).

nbval runs every cell of each source notebook in one kernel of this environment
and fails on any error; ``--nbval-lax`` compares no outputs (none are stored).
It runs in a child pytest so that the notebooks' cells do not mix with this
session's tests.
"""

from __future__ import annotations

import re

import pytest
from nbval_run import run_nbval
from test_assignments_support import ASSIGNMENTS, ROOT, load, source_notebook

pytestmark = pytest.mark.slow


def test_source_notebooks_pass_nbval():
    notebooks = [str(source_notebook(a).relative_to(ROOT)) for a in ASSIGNMENTS]
    done = run_nbval(notebooks, ROOT)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    passed = re.search(r"(\d+) passed", done.stdout)
    code_cells = sum(
        c["cell_type"] == "code" for a in ASSIGNMENTS for c in load(source_notebook(a))["cells"]
    )
    # nbval makes one test item per code cell: every cell ran
    assert passed and int(passed.group(1)) == code_cells, done.stdout[-2000:]
