"""A student's first session, in a real browser: JupyterLab on loopback, ps1 from their folder.

The student's folder is the release folder as the download bundle unpacks it:
the notebook, its README and the kit copy written by the release step
(:func:`autograder.release.equip`). JupyterLab runs on 127.0.0.1 on a free port
with a random token, from an environment where ``convref`` cannot be imported
(``tests/kit_only`` first on ``PYTHONPATH``), with its settings, data and
runtime folders inside the test's temporary directory. Chromium (Debian's
package, driven by Playwright) opens the notebook, runs every cell in turn and
reads what the visible checks printed: on the blank release each check fails on
the stub's ``NotImplementedError``; on a filled-in copy each one passes. Every
request to anything but the JupyterLab server fails (Chromium resolves only
127.0.0.1) and is reported.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from book_helpers import chromium, chromium_or_skip
from jupyter_helpers import jupyter_server
from test_assignments_support import KIT_ONLY, ROOT, cell_text, load, source_notebook

from autograder.release import equip

pytestmark = pytest.mark.slow

ASSIGNMENT = "ps1_convolution"
PROMPT_DONE = re.compile(r"\[\d+\]")
ARTIFACTS = ROOT / "test-artifacts"
# Chromium resolves no host name but loopback: requests elsewhere fail, and are
# recorded. (Playwright's request routing is not used: JupyterLab's settings
# request stalls under it.)
OFFLINE = ["--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]


def _nbgrader_id(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _visible_checks(notebook: dict) -> list[tuple[int, str]]:
    """(cell index, grade_id) of the graded cells of a release notebook that hold checks.

    The cells of hidden tests hold only a comment in the release.
    """
    return [
        (i, _nbgrader_id(c))
        for i, c in enumerate(notebook["cells"])
        if c.get("metadata", {}).get("nbgrader", {}).get("grade")
        and not c["metadata"]["nbgrader"].get("solution")
        and any(line.strip() and not line.lstrip().startswith("#")
                for line in cell_text(c).splitlines())
    ]


def filled_in(release: dict, source: dict) -> dict:
    """The release notebook with every solution cell answered as the instructor did."""
    answers = {_nbgrader_id(c): cell_text(c) for c in source["cells"]}
    copy = json.loads(json.dumps(release))
    for cell in copy["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell["cell_type"] == "code" and meta.get("solution"):
            lines = answers[meta["grade_id"]].splitlines()
            cell["source"] = "\n".join(line for line in lines if "### " not in line)
    return copy


@dataclass
class Lab:
    base: str
    token: str
    folder: Path
    blocked: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    pytest.importorskip("jupyterlab")
    pytest.importorskip("playwright")
    chromium_or_skip()
    root = tmp_path_factory.mktemp("student")
    settings = root / ".lab-settings"
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    # every cell stays in the page, so its outputs can be read wherever it is scrolled
    tracker.write_text(json.dumps({"windowingMode": "none"}), encoding="utf-8")
    news = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text(json.dumps({"fetchNews": "false"}), encoding="utf-8")
    env = dict(
        os.environ,
        PYTHONPATH=str(KIT_ONLY),
        JUPYTER_CONFIG_DIR=str(root / ".jupyter"),
        JUPYTER_RUNTIME_DIR=str(root / ".runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(root / ".workspaces"),
        IPYTHONDIR=str(root / ".ipython"),
    )
    command = [
        sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    with jupyter_server(
        command, cwd=root, env=env, log=root / "lab.log", name="JupyterLab"
    ) as server:
        yield Lab(server.base, server.token, root)


def _student_folder(lab: Lab, name: str, notebook: dict) -> str:
    """A student's unpacked folder ``name`` holding ``notebook``; its path for /lab/tree."""
    folder = lab.folder / name
    shutil.copytree(
        ROOT / "assignments" / ASSIGNMENT, folder, ignore=shutil.ignore_patterns("convkit")
    )
    equip(folder)
    (folder / f"{ASSIGNMENT}.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    return f"{name}/{ASSIGNMENT}.ipynb"


def _kernel_ready(lab: Lab, path: str, timeout: float = 60) -> None:
    """Wait until the notebook's kernel session exists and its kernel is idle."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{lab.base}/api/sessions?token={lab.token}") as answer:
            sessions = json.load(answer)
        states = [s["kernel"]["execution_state"] for s in sessions if s.get("path") == path]
        if states == ["idle"]:
            return
        time.sleep(0.2)
    pytest.fail(f"the kernel of {path} did not start: {sessions}")


def run_in_browser(lab: Lab, path: str, cells: int) -> list[str]:
    """Open ``path`` in JupyterLab, run its ``cells`` cells one by one; the text of each output."""
    with chromium(*OFFLINE) as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.on(
            "request",
            lambda r: r.url.startswith((lab.base, "data:", "blob:")) or lab.blocked.append(r.url),
        )
        page.set_default_timeout(30_000)
        page.goto(f"{lab.base}/lab/tree/{path}?token={lab.token}")
        notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
        cell_nodes = notebook.locator(".jp-Cell")
        cell_nodes.nth(cells - 1).wait_for()
        _kernel_ready(lab, path)
        cell_nodes.first.locator(".jp-InputPrompt").click()
        page.keyboard.press("Escape")  # command mode: Shift+Enter runs and moves on
        for index in range(cells):
            page.keyboard.press("Shift+Enter")
            cell = cell_nodes.nth(index)
            if "jp-CodeCell" in (cell.get_attribute("class") or ""):
                prompt = cell.locator(".jp-InputPrompt")
                deadline = time.monotonic() + 60
                while not PROMPT_DONE.search(prompt.inner_text()):
                    if time.monotonic() > deadline:
                        ARTIFACTS.mkdir(exist_ok=True)
                        page.screenshot(path=str(ARTIFACTS / "jupyterlab-stuck.png"))
                        pytest.fail(f"cell {index} did not finish: {prompt.inner_text()!r}")
                    time.sleep(0.05)
        outputs = [cell_nodes.nth(i).locator(".jp-OutputArea").all_inner_texts() for i in
                   range(cells)]
    return ["\n".join(texts) for texts in outputs]


@pytest.fixture(scope="module")
def release() -> dict:
    return load(ROOT / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")


def test_blank_release_runs_in_jupyterlab_and_every_check_fails_on_its_stub(lab, release):
    path = _student_folder(lab, "blank", release)
    outputs = run_in_browser(lab, path, len(release["cells"]))
    checks = _visible_checks(release)
    assert [g for _, g in checks] == [
        "test_conv_output_size",
        "test_conv_param_count",
        "test_conv_forward_naive_visible",
        "test_im2col_visible",
        "test_conv_forward_im2col_visible",
    ]
    for index, grade_id in checks:
        assert "NotImplementedError" in outputs[index], (grade_id, outputs[index])
        assert "passes" not in outputs[index]
    setup = next(i for i, c in enumerate(release["cells"]) if _nbgrader_id(c) == "setup")
    assert "Error" not in outputs[setup], outputs[setup]  # the kit imports without convref
    assert not lab.blocked, f"JupyterLab asked for outside addresses: {lab.blocked}"


def test_filled_in_notebook_passes_every_visible_check_in_jupyterlab(lab, release):
    notebook = filled_in(release, load(source_notebook(ASSIGNMENT)))
    outputs = run_in_browser(lab, _student_folder(lab, "filled", notebook), len(release["cells"]))
    for index, grade_id in _visible_checks(release):
        assert "passes the visible check" in outputs[index], (grade_id, outputs[index])
        assert "Error" not in outputs[index] and "Hint" not in outputs[index], outputs[index]
    assert not any("Traceback" in text or "Error:" in text for text in outputs), outputs
    assert not lab.blocked, f"JupyterLab asked for outside addresses: {lab.blocked}"
