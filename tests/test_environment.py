"""environment.yml installs the same packages as pyproject.toml."""

import re

import tomllib
import yaml


def _split(requirement: str) -> tuple[str, str]:
    name, spec = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement).groups()
    # conda spells an exact pin with one '=', pip with '=='
    spec = spec.replace(" ", "").replace("==", "=")
    return name.lower().replace("_", "-"), spec


def test_pyproject_and_environment_yml_list_the_same_packages(repo_root):
    project = tomllib.loads((repo_root / "pyproject.toml").read_text())["project"]
    wanted = dict(_split(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"])
    env = yaml.safe_load((repo_root / "environment.yml").read_text())
    conda = [_split(d) for d in env["dependencies"] if isinstance(d, str) and not d.startswith(("python", "pip"))]
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip_section[-1] == "-e .", "the project itself is installed editable, like `make`"
    from_pip = [_split(d) for d in pip_section[:-1]]  # packages conda-forge lacks
    listed = conda + from_pip
    assert len(listed) == len(dict(listed)), "a package is listed twice"
    assert dict(listed) == wanted
    assert env["channels"] == ["conda-forge"]
