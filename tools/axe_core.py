"""Fetch axe-core, the accessibility checker the browser test runs on every page.

``python -m tools.axe_core`` (run by ``make test`` before the tests, so at install
time, never during a test) asks npm for the pinned release, ``npm pack
axe-core@4.14.1``, checks the tarball against the registry's published
integrity hash pinned here, and unpacks ``axe.min.js`` into
``.cache/axe-core/4.14.1/`` (ignored by git). Nothing of axe-core is committed.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from tools.paths import ROOT

VERSION = "4.14.1"
# `npm view axe-core@4.14.1 dist.integrity`
INTEGRITY = (
    "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)
CACHE = ROOT / ".cache" / "axe-core" / VERSION
SCRIPT = CACHE / "axe.min.js"


class AxeUnavailable(RuntimeError):
    """axe-core is not in the cache and cannot be fetched here."""


def integrity_of(data: bytes) -> str:
    """The npm ``dist.integrity`` string (SRI, sha512) of a tarball."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def unpack(tarball: bytes, target: Path = CACHE, integrity: str = INTEGRITY) -> Path:
    """Check ``tarball`` against ``integrity`` and write its ``axe.min.js`` and licence
    into ``target``; return the script's path."""
    found = integrity_of(tarball)
    if found != integrity:
        raise AxeUnavailable(f"axe-core tarball has integrity {found}, expected {integrity}")
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for name in ("axe.min.js", "LICENSE"):
            member = archive.extractfile(f"package/{name}")
            if member is None:
                raise AxeUnavailable(f"the axe-core tarball has no package/{name}")
            (target / name).write_bytes(member.read())
    return target / "axe.min.js"


def fetch(target: Path = CACHE, version: str = VERSION, integrity: str = INTEGRITY) -> Path:
    """The cached ``axe.min.js``; fetched with ``npm pack`` first if it is missing."""
    script = target / "axe.min.js"
    if script.is_file():
        return script
    npm = shutil.which("npm")
    if npm is None:
        raise AxeUnavailable("npm is not installed: it fetches axe-core for the browser test")
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [npm, "pack", f"axe-core@{version}", "--silent"],
            cwd=tmp,
            capture_output=True,
            text=True,
            check=False,
        )
        tarballs = list(Path(tmp).glob("axe-core-*.tgz"))
        if result.returncode != 0 or len(tarballs) != 1:
            raise AxeUnavailable(
                f"`npm pack axe-core@{version}` failed (exit {result.returncode}): "
                f"{result.stderr.strip()[-500:]}"
            )
        return unpack(tarballs[0].read_bytes(), target, integrity)


def cached() -> Path | None:
    """The cached script, without fetching anything (what the tests use)."""
    return SCRIPT if SCRIPT.is_file() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    try:
        script = fetch()
    except AxeUnavailable as err:
        print(f"axe-core {VERSION}: {err}", file=sys.stderr)
        return 1
    print(f"axe-core {VERSION}: {script.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
