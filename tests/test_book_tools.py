"""The site tools (tools/): bundles, the solution scanner, the generated assignment
pages, MathJax vendoring and the build command, on small inputs made here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from book_helpers import ROOT

from tools.assignment_pages import fragment, summarize_notebook
from tools.build_site import (
    code_fingerprint,
    drop_stale_outputs,
    jupyter_book_command,
    record_fingerprint,
)
from tools.bundles import build_bundle, bundle_members, zip_bytes
from tools.mathjax import vendor_mathjax
from tools.solution_scan import (
    all_secrets,
    notebook_secrets,
    readable_text,
    reference_secrets,
    scan_text,
    scan_tree,
    scan_zip,
)


def notebook(cells: list[dict]) -> str:
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def code(source: str, **nbgrader) -> dict:
    meta = {"nbgrader": nbgrader} if nbgrader else {}
    return {
        "cell_type": "code",
        "source": source,
        "metadata": meta,
        "outputs": [],
        "execution_count": None,
    }


def markdown(source: str) -> dict:
    return {"cell_type": "markdown", "source": source, "metadata": {}}


SOLUTION = (
    "def conv_forward(x, w):\n"
    "    ### BEGIN SOLUTION\n"
    "    padded_input_for_the_filter = np.pad(x, 1)\n"
    "    ### END SOLUTION\n"
)
HIDDEN = (
    "assert conv_forward(1, 2) is not None\n"
    "### BEGIN HIDDEN TESTS\n"
    "assert conv_forward(secret_input_nobody_sees, 3) == 42\n"
    "### END HIDDEN TESTS\n"
)
RELEASED = "def conv_forward(x, w):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A miniature course: one source and one release notebook, and a student kit."""
    src = tmp_path / "solutions" / "ps9_demo"
    rel = tmp_path / "assignments" / "ps9_demo"
    kit = tmp_path / "kit" / "convkit"
    for folder in (src, rel, kit, rel / "__pycache__"):
        folder.mkdir(parents=True)
    src.joinpath("ps9_demo.ipynb").write_text(
        notebook(
            [
                markdown("# Demo assignment\n\nWrite a layer."),
                code(SOLUTION, solution=True, grade=False, grade_id="impl"),
                code(HIDDEN, grade=True, grade_id="test_forward", points=3),
            ]
        )
    )
    rel.joinpath("ps9_demo.ipynb").write_text(
        notebook(
            [
                markdown("# Demo assignment\n\nWrite a layer."),
                code(RELEASED, solution=True, grade=False, grade_id="impl"),
                code(
                    "assert conv_forward(1, 2) is not None\n",
                    grade=True,
                    grade_id="test_forward",
                    points=3,
                ),
                markdown("Explain."),
                code("", solution=True, grade=True, grade_id="written", points=1.5),
            ]
        )
    )
    rel.joinpath("data.txt").write_text("numbers\n")
    rel.joinpath("__pycache__", "junk.pyc").write_bytes(b"\0")
    kit.joinpath("__init__.py").write_text('"""kit"""\n')
    return tmp_path


def test_bundle_holds_release_and_kit_reproducibly(course: Path) -> None:
    release, kit = course / "assignments", course / "kit" / "convkit"
    names = [name for name, _ in bundle_members(release / "ps9_demo", kit)]
    assert names == ["ps9_demo/convkit/__init__.py", "ps9_demo/data.txt", "ps9_demo/ps9_demo.ipynb"]
    out = course / "out"
    first = build_bundle("ps9_demo", release, out, kit)
    assert first is not None and first.read_bytes() == zip_bytes(
        bundle_members(release / "ps9_demo", kit)
    )
    stamp = first.stat().st_mtime_ns
    os.utime(first, ns=(stamp - 10**9, stamp - 10**9))
    build_bundle("ps9_demo", release, out, kit)
    assert first.stat().st_mtime_ns == stamp - 10**9, "an unchanged bundle must not be rewritten"
    assert build_bundle("ps8_missing", release, out, kit) is None


def test_bundle_of_an_unreleased_assignment_is_removed(course: Path) -> None:
    out = course / "out"
    stale = out / "ps8_gone.zip"
    out.mkdir()
    stale.write_bytes(b"old")
    assert build_bundle("ps8_gone", course / "assignments", out, course / "kit" / "convkit") is None
    assert not stale.exists()
    with pytest.raises(FileNotFoundError, match="no notebook"):
        (course / "assignments" / "empty").mkdir()
        bundle_members(course / "assignments" / "empty")


def test_secrets_are_solution_and_hidden_test_lines(course: Path) -> None:
    secrets = notebook_secrets(course / "solutions" / "ps9_demo" / "ps9_demo.ipynb")
    assert secrets == {
        "padded_input_for_the_filter = np.pad(x, 1)",
        "assert conv_forward(secret_input_nobody_sees, 3) == 42",
    }


def test_scanner_sees_through_syntax_highlighting(course: Path) -> None:
    secrets = notebook_secrets(course / "solutions" / "ps9_demo" / "ps9_demo.ipynb")
    highlighted = (
        '<span class="n">padded_input_for_the_filter</span> <span class="o">=</span> '
        '<span class="n">np</span><span class="o">.</span><span class="n">pad</span>'
        '<span class="p">(</span><span class="n">x</span><span class="p">,</span> '
        '<span class="mi">1</span><span class="p">)</span>'
    )
    found = scan_text("page.html", readable_text("page.html", highlighted.encode()), secrets)
    assert [f.what for f in found] == ["padded_input_for_the_filter = np.pad(x, 1)"]
    assert [f.what for f in scan_text("x.md", "### BEGIN SOLUTION", ())] == ["BEGIN SOLUTION"]
    assert scan_text("clean.html", "nothing to see", secrets) == []


def test_scanner_flags_leaky_zips_and_trees(course: Path) -> None:
    secrets = all_secrets(course / "solutions", course / "nowhere")
    release = course / "assignments"
    assert scan_tree(release, secrets) == []  # the release is clean
    leaky = course / "leaky.zip"
    with zipfile.ZipFile(leaky, "w") as archive:
        archive.write(course / "solutions" / "ps9_demo" / "ps9_demo.ipynb", "ps9/ps9_demo.ipynb")
        archive.writestr("ps9/convref/__init__.py", "")
    found = {f.what for f in scan_zip(leaky, secrets)}
    assert {"BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "the reference package convref"} <= found
    assert "assert conv_forward(secret_input_nobody_sees, 3) == 42" in found


def test_reference_secrets_are_code_not_docstrings() -> None:
    secrets = reference_secrets(ROOT / "src" / "convref")
    assert len(secrets) > 50
    assert all(len(s) >= 28 for s in secrets)
    assert not any(s.startswith(('"""', "Parameters", "Returns")) for s in secrets)


def test_generated_page_lists_functions_points_and_download(course: Path) -> None:
    summary = summarize_notebook(course / "assignments" / "ps9_demo" / "ps9_demo.ipynb")
    assert summary.title == "Demo assignment"
    assert summary.functions == ["conv_forward"]
    assert [(p.cell_id, p.points, p.kind) for p in summary.parts] == [
        ("test_forward", 3.0, "autograded test"),
        ("written", 1.5, "written answer, graded by hand"),
    ]
    book_bundle = course / "book" / "_generated" / "bundles" / "ps9_demo.zip"
    book_bundle.parent.mkdir(parents=True)
    book_bundle.write_bytes(b"zip")
    text = fragment("ps9_demo", course / "assignments", book_bundle, book=course / "book")
    assert "`conv_forward`" in text
    assert "| **total** | | | **4.5** |" in text
    assert "{download}`ps9_demo.zip </_generated/bundles/ps9_demo.zip>`" in text
    assert "not been released" in fragment("ps7_later", course / "assignments", None)


def test_mathjax_is_vendored_once(tmp_path: Path) -> None:
    entry = vendor_mathjax(tmp_path / "mathjax")
    assert entry.name == "tex-chtml.js" and entry.stat().st_size > 500_000
    assert (tmp_path / "mathjax" / "LICENSE").is_file()
    fonts = list((tmp_path / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert len(fonts) > 10
    stamp = entry.stat().st_mtime_ns
    vendor_mathjax(tmp_path / "mathjax")
    assert entry.stat().st_mtime_ns == stamp


def test_build_command_fails_on_warnings_and_checks_references() -> None:
    command = jupyter_book_command()
    assert "--warningiserror" in command and "--nitpick" in command


def test_build_fails_on_a_broken_reference(tmp_path: Path) -> None:
    """A one-page book with a reference to a missing page must not build."""
    book = tmp_path / "book"
    book.mkdir()
    book.joinpath("_config.yml").write_text("title: t\nexecute:\n  execute_notebooks: 'off'\n")
    book.joinpath("_toc.yml").write_text("format: jb-book\nroot: intro\n")
    book.joinpath("intro.md").write_text("# Intro\n\nSee {doc}`missing_page`.\n")
    result = subprocess.run(jupyter_book_command(book), capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "missing_page" in result.stdout + result.stderr
    book.joinpath("intro.md").write_text("# Intro\n\nNo references.\n")
    ok = subprocess.run(jupyter_book_command(book), capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stdout[-3000:] + ok.stderr[-3000:]


def test_code_fingerprint_follows_the_chapters_code(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    pkg.joinpath("a.py").write_text("x = 1\n")
    before = code_fingerprint((pkg,))
    assert code_fingerprint((pkg,)) == before
    pkg.joinpath("a.py").write_text("x = 2\n")
    assert code_fingerprint((pkg,)) != before


def test_publish_refuses_an_unbuilt_site(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tools.publish", "--site", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "run `make site` first" in result.stderr


def test_cached_outputs_are_dropped_when_the_code_changes(tmp_path: Path) -> None:
    cache = tmp_path / ".jupyter_cache"
    cache.mkdir()
    assert drop_stale_outputs("v1", tmp_path) is True  # no record yet: first build
    assert not cache.exists()
    record_fingerprint("v1", tmp_path)
    cache.mkdir()
    assert drop_stale_outputs("v1", tmp_path) is False
    assert cache.exists(), "outputs made with the same code are kept"
    assert drop_stale_outputs("v2", tmp_path) is True
    assert not cache.exists()


# --- the site's own Sphinx extension (book/_ext/course_site.py) -----------------------

sys.path.insert(0, str(ROOT / "book" / "_ext"))
import course_site  # noqa: E402


def test_sidebar_expanders_get_a_name_from_their_chapter() -> None:
    toc = (
        '<ul><li class="toctree-l1 has-children"><a href="a/index.html">Assign<code>ments</code>'
        '</a><details><summary><span class="toctree-toggle" role="presentation">'
        '<i class="fa-solid fa-chevron-down"></i></span></summary><ul><li>x</li></ul>'
        "</details></li></ul>"
    )
    named = course_site.name_sidebar_expanders(toc)
    assert '<summary aria-label="Sections of Assign ments">' in named
    assert course_site.name_sidebar_expanders(named) == named  # already named: left alone
    assert course_site.name_sidebar_expanders("<ul></ul>") == "<ul></ul>"


def test_source_maps_and_their_comments_are_dropped(tmp_path: Path) -> None:
    static = tmp_path / "_static"
    (static / "scripts").mkdir(parents=True)
    (static / "scripts" / "theme.js.map").write_text("{}")
    (static / "scripts" / "theme.js").write_text("var a = 1;\n//# sourceMappingURL=theme.js.map\n")
    (static / "theme.css").write_text("a{}\n/*# sourceMappingURL=theme.css.map */\n")
    (static / "plain.js").write_text("var b = 2; // mentions nothing\n")
    removed = course_site.drop_source_maps(static)
    assert [p.name for p in removed] == ["theme.js.map"]
    assert (static / "scripts" / "theme.js").read_text() == "var a = 1;\n"
    assert (static / "theme.css").read_text() == "a{}\n"
    assert (static / "plain.js").read_text() == "var b = 2; // mentions nothing\n"


def test_page_description_is_the_first_prose_paragraph_with_its_lines_joined() -> None:
    from docutils import nodes
    from docutils.utils import new_document

    doc = new_document("page")
    doc += nodes.title(text="Convolutional networks")
    with_math = nodes.paragraph()
    with_math += [nodes.Text("a volume of size "), nodes.math(text="W \\times H")]
    doc += with_math
    prose = nodes.paragraph()
    prose += [nodes.Text("a course on convolutional networks"), nodes.Text("\n"),
              nodes.Text("(ConvNets): the networks that made vision work")]
    doc += prose
    text = course_site.first_paragraph(doc, 200)
    assert text == "a course on convolutional networks (ConvNets): the networks that made vision work"
    assert course_site.first_paragraph(doc, 40) == "a course on convolutional networks ..."


# --- axe-core for the browser test (tools/axe_core.py) --------------------------------


def fake_axe_tarball() -> bytes:
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in [("package/axe.min.js", b"window.axe = {};"), ("package/LICENSE", b"MPL")]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_axe_core_is_unpacked_only_when_its_integrity_matches(tmp_path: Path) -> None:
    from tools import axe_core

    tarball = fake_axe_tarball()
    with pytest.raises(axe_core.AxeUnavailable, match="integrity"):
        axe_core.unpack(tarball, tmp_path / "bad")
    assert not (tmp_path / "bad" / "axe.min.js").exists()
    script = axe_core.unpack(tarball, tmp_path / "ok", axe_core.integrity_of(tarball))
    assert script.read_bytes() == b"window.axe = {};"
    assert (tmp_path / "ok" / "LICENSE").read_bytes() == b"MPL"
    # a cached copy is used as it is: no npm, no network
    assert axe_core.fetch(tmp_path / "ok", integrity="sha512-unused") == script


# --- the local server (tools/serve.py) ------------------------------------------------


def test_the_local_server_answers_a_missing_page_with_the_404_page(tmp_path: Path) -> None:
    from urllib.error import HTTPError
    from urllib.request import urlopen

    from tools.serve import serving

    (tmp_path / "index.html").write_text("home")
    (tmp_path / "404.html").write_text("<h1>Page not found</h1>")
    with serving(tmp_path) as base:
        assert urlopen(base + "index.html").read() == b"home"
        with pytest.raises(HTTPError) as missing:
            urlopen(base + "no-such-page.html")
        assert missing.value.code == 404
        assert missing.value.read() == b"<h1>Page not found</h1>"


def test_site_machinery_fingerprint_sees_templates(tmp_path: Path) -> None:
    from tools.build_site import site_machinery_changed

    templates = tmp_path / "_templates"
    (templates / "sections").mkdir(parents=True)
    (templates / "layout.html").write_text("{% extends '!layout.html' %}")
    before = code_fingerprint((templates,), suffixes=None)
    assert site_machinery_changed(before, tmp_path)
    record_fingerprint(before, tmp_path, name=".site-machinery.sha256")
    assert not site_machinery_changed(before, tmp_path)
    (templates / "sections" / "header.html").write_text("")
    assert code_fingerprint((templates,), suffixes=None) != before
