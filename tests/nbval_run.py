"""Run notebooks under nbval in a child pytest, so their cells stay out of this session."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path


def run_nbval(
    notebooks: Sequence[str | Path], cwd: Path, env: dict[str, str] | None = None,
    extra: Sequence[str] = (),
) -> subprocess.CompletedProcess:
    """``pytest --nbval-lax`` on ``notebooks`` in this environment's kernel.

    ``--nbval-lax`` compares no outputs; nbval still makes one test item per
    code cell and fails on any error. This environment's bin folder goes first
    on PATH, as the notebooks' tools expect.
    """
    env = dict(env or os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    command = [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env",
               "-p", "no:cacheprovider", "-q", *extra, *map(str, notebooks)]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
