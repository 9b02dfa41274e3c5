"""The student kit stands on its own: convkit never imports the reference."""

import os
import pkgutil
import subprocess
import sys

import convkit


def test_every_kit_module_imports_with_convref_blocked(repo_root):
    modules = [f"convkit.{m.name}" for m in pkgutil.iter_modules(convkit.__path__)]
    assert "convkit.gradcheck" in modules and "convkit.layer_checks" in modules
    env = dict(os.environ, PYTHONPATH=str(repo_root / "tests" / "kit_only"))
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "assert 'convref' not in sys.modules, 'a kit module imported convref'\n"
        "try:\n    import convref\nexcept ImportError:\n    pass\n"
        "else:\n    raise SystemExit('the blocker did not block convref')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
