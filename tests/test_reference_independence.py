"""The reference stands on its own: convref never imports the student kit.

What students receive (convkit) may change with the assignments; the reference
layers, the hidden tests' oracle, must not change with it.
"""

import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import convref

# Run in a fresh interpreter: an import hook refuses convkit, then every convref
# module is imported; any `import convkit` at import time raises.
BLOCKED_IMPORT = """
import importlib, importlib.abc, sys

class RefuseKit(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "convkit" or name.startswith("convkit."):
            raise ImportError(f"convref imported the student kit ({name})")
        return None

sys.meta_path.insert(0, RefuseKit())
for name in MODULES:
    importlib.import_module(name)
assert not [m for m in sys.modules if m.split(".")[0] == "convkit"], "convkit was loaded"
try:
    import convkit
except ImportError:
    pass
else:
    raise SystemExit("the hook did not refuse convkit")
"""


def _modules() -> list[str]:
    return ["convref"] + [f"convref.{m.name}" for m in pkgutil.iter_modules(convref.__path__)]


def test_every_reference_module_imports_with_convkit_refused():
    modules = _modules()
    assert "convref.backend" in modules and "convref.conv_fast" in modules
    code = f"MODULES = {modules!r}\n{BLOCKED_IMPORT}"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_no_reference_source_mentions_a_kit_import():
    """Catches imports inside functions too, which the import test would not run."""
    pattern = re.compile(r"^\s*(import|from)\s+convkit\b", re.MULTILINE)
    folder = Path(convref.__file__).parent
    offenders = [p.name for p in sorted(folder.glob("*.py")) if pattern.search(p.read_text())]
    assert offenders == []



def test_the_kit_no_longer_carries_a_backend():
    import convkit

    kit = [m.name for m in pkgutil.iter_modules(convkit.__path__)]
    assert "backend" not in kit
    assert not hasattr(convkit, "get_backend")
