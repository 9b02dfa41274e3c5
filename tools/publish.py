"""Publish the built site to a ``gh-pages`` branch: what ``make publish`` runs.

It is the command Jupyter Book's documentation recommends,
``ghp-import -n -p -f book/_build/html``: commit the site as the whole content
of the ``gh-pages`` branch (with a ``.nojekyll`` file, so GitHub Pages serves
the ``_static`` folders as they are), and force-push that branch to the remote.
GitHub Pages then serves it once the repository's Pages source is set to
``gh-pages``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from tools.paths import HTML, ROOT


def ghp_import_command(
    site: Path, remote: str = "origin", branch: str = "gh-pages", message: str | None = None
) -> list[str]:
    """The ``ghp-import`` call: ``.nojekyll``, push, force (the branch holds only the site)."""
    script = Path(sys.executable).with_name("ghp-import")
    runner = [str(script)] if script.exists() else [sys.executable, "-m", "ghp_import"]
    msg = message or "Publish the course site"
    return [*runner, "-n", "-p", "-f", "-r", remote, "-b", branch, "-m", msg, str(site)]


def publish(
    site: Path = HTML,
    repo: Path = ROOT,
    remote: str = "origin",
    branch: str = "gh-pages",
    message: str | None = None,
) -> None:
    """Commit ``site`` to ``branch`` of the git repository ``repo`` and push it to ``remote``.

    Raises
    ------
    FileNotFoundError
        If ``site`` holds no ``index.html`` (build it with ``make site`` first).
    RuntimeError
        If ``ghp-import`` fails (no such remote, push refused, ...).
    """
    if not (site / "index.html").is_file():
        raise FileNotFoundError(f"no built site in {site}: run `make site` first")
    result = subprocess.run(
        ghp_import_command(site.resolve(), remote, branch, message), cwd=repo, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"ghp-import could not publish {site} to {remote}/{branch} from {repo} "
            f"(exit {result.returncode})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Push the built course site to gh-pages.")
    parser.add_argument("--site", type=Path, default=HTML, help="built site (book/_build/html)")
    parser.add_argument("--repo", type=Path, default=ROOT, help="git repository to publish from")
    parser.add_argument("--remote", default="origin")
    parser.add_argument("--branch", default="gh-pages")
    parser.add_argument("--message", default=None)
    args = parser.parse_args(argv)
    try:
        publish(args.site, args.repo, args.remote, args.branch, args.message)
    except (FileNotFoundError, RuntimeError) as err:
        print(f"make publish: {err}", file=sys.stderr)
        return 1
    print(f"Published {args.site} to {args.remote}/{args.branch}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
