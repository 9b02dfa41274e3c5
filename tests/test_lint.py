"""The code base is ruff clean."""

import subprocess
import sys
from pathlib import Path


def test_ruff_clean(repo_root):
    ruff = Path(sys.executable).with_name("ruff")  # installed by the dev extra
    assert ruff.exists(), "ruff is missing from the environment: install the dev extra"
    result = subprocess.run([ruff, "check", "."], cwd=repo_root, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
