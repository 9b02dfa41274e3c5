"""The built site (``make site``): it builds with warnings as errors, rebuilds
warm in under 20 s, shows the notes' numbers as computed by the chapters,
serves MathJax itself, offers each released assignment as a clean zip, holds
no solution code or hidden tests anywhere, and publishes to a gh-pages branch.
Every page has its title, a description for link previews and real alt texts;
the site has a 404 page, no empty index and no source maps."""

from __future__ import annotations

import html
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from book_helpers import BOOK, HTML, ROOT, built_site, first_build, run_build, toc_sources

from tools.paths import ASSIGNMENT_IDS, RELEASE
from tools.solution_scan import all_secrets, scan_tree

pytestmark = pytest.mark.slow

WARM_REBUILD_LIMIT_S = 20.0


def page_text(name: str) -> str:
    """The visible text of a built page, tags dropped and whitespace collapsed."""
    raw = (built_site() / name).read_text(encoding="utf-8")
    body = re.sub(r"<script.*?</script>|<style.*?</style>", " ", raw, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def test_make_site_builds_and_says_where() -> None:
    build = first_build()
    assert build.returncode == 0, build.output[-6000:]
    assert "The site is built" in build.output and str(HTML) in build.output
    for page in ["index.html", "02_conv_layer.html", "assignments/index.html", "search.html"]:
        assert (HTML / page).is_file(), page


def test_warm_rebuild_is_fast() -> None:
    built_site()
    again = run_build()
    assert again.returncode == 0, again.output[-4000:]
    assert "every chapter runs again" not in again.output
    assert again.seconds < WARM_REBUILD_LIMIT_S, f"warm rebuild took {again.seconds:.1f} s"


# Numbers the notes state, as they must appear on the pages (computed there by code).
NOTES_NUMBERS = {
    "01_overview.html": ["3,072", "120,000", "[32x32x12]", "[16x16x12]"],
    "02_conv_layer.html": [
        "75 weights",
        "180 connections",
        "290,400 neurons",
        "105,705,600 parameters",
        "34,848 weights",
        "34,944 parameters",
        "760",
        "[363 x 3025]",
        "[96 x 363]",
        "[96 x 3025]",
        "55x55x96",
        "output shape: (1, 2, 4, 4)",
        "7x7 input, 3x3 filter, pad 0, stride 1: 5",
        "stride 2: 3",
        "same as the notes' output: True",
        "15x15",
        "5x5",
    ],
    "03_pooling.html": ["112x112x64", "75%"],
    "04_norm_fc.html": ["102,760,448"],
    "05_fc_to_conv.html": [
        "12x12x512",
        "6x6x1000",
        "36 separate",
        "position (3, 5) = crop at pixel (6, 10): True",
        "equals the net on every crop: True",
    ],
    "06_architectures.html": [
        "138,357,544",
        "138M",
        "138,344,128",
        "15,237,608",
        "27 C^2",
        "49 C^2",
    ],
}


@pytest.mark.parametrize("page", sorted(NOTES_NUMBERS))
def test_pages_show_the_notes_numbers(page: str) -> None:
    text = page_text(page)
    missing = [n for n in NOTES_NUMBERS[page] if n not in text]
    assert not missing, f"{page} lacks {missing}"


def test_demo_output_on_the_page_is_the_notes_output() -> None:
    text = page_text("02_conv_layer.html")
    # numpy prints the two output slices of the notes' demo
    assert "[[-2 11 7] [ 5 9 15] [ 5 8 9]]" in text
    assert "[[-4 -4 -1] [-7 -9 -3] [-5 -7 1]]" in text


def test_vgg_table_is_rendered_as_a_table() -> None:
    raw = (built_site() / "06_architectures.html").read_text(encoding="utf-8")
    tables = re.findall(r"<table.*?</table>", raw, flags=re.S)
    vgg = [t for t in tables if "CONV3-64" in t]
    assert len(vgg) == 1
    assert vgg[0].count("<tr") == 1 + 1 + 21 + 1  # header, input, 21 layers, total


SITE_TITLE = "Convolutional networks"


def toc_pages() -> dict[str, str]:
    """Every page of ``_toc.yml`` (built path) and the title of its source."""
    pages = {}
    for source in toc_sources():
        text = source.read_text(encoding="utf-8")
        title = re.search(r"^# (.+)$", re.sub(r"```.*?```", "", text, flags=re.S), re.M)
        # MyST inline code in a title is plain text in the HTML <title>
        pages[source.relative_to(BOOK).with_suffix(".html").as_posix()] = title.group(1).replace("`", "")
    return pages


def test_every_page_is_a_toc_entry_with_its_title() -> None:
    for page, title in toc_pages().items():
        head = (built_site() / page).read_text(encoding="utf-8")
        expected = title if title == SITE_TITLE else f"{title} \u2014 {SITE_TITLE}"
        found = html.unescape(re.search(r"<title>(.*?)</title>", head).group(1))
        assert found == expected, page


def meta(page: str) -> dict[str, str]:
    head = (built_site() / page).read_text(encoding="utf-8").split("</head>")[0]
    return {
        html.unescape(m[0] or m[1]): html.unescape(m[2])
        for m in re.findall(r'<meta (?:name="([^"]+)"|property="([^"]+)") content="([^"]*)"', head)
    }


def test_every_page_has_a_description_for_link_previews() -> None:
    for page, title in toc_pages().items():
        tags = meta(page)
        description = tags.get("description", "")
        assert len(description.split()) >= 10, (page, description)
        assert tags.get("og:description") == description, page
        assert tags.get("og:title") == title, page
        assert "\\" not in description and "$" not in description, (page, description)
        remote = [v for k, v in tags.items() if k.startswith("og:image")]
        assert not remote, f"{page}: link previews must not point to images: {remote}"


def test_every_image_has_a_real_alt_text() -> None:
    problems = []
    for page in toc_pages():
        raw = (built_site() / page).read_text(encoding="utf-8")
        article = raw[raw.find("<article"):raw.find("</article>")]
        for tag in re.findall(r"<img\b[^>]*>", article):
            alt = html.unescape((re.search(r'\balt="([^"]*)"', tag) or [None, ""])[1])
            if len(alt.split()) < 4 or re.search(r"\.(png|svg|jpe?g)\b", alt):
                problems.append(f"{page}: {tag[:120]}")
    assert not problems, "images without a real alt text:\n" + "\n".join(problems)


def test_the_site_has_a_404_page_and_no_empty_index() -> None:
    site = built_site()
    page = (site / "404.html").read_text(encoding="utf-8")
    assert "Page not found" in page and 'href="intro.html"' in page
    assert not (site / "genindex.html").exists()
    for path in site.rglob("*.html"):
        assert "genindex.html" not in path.read_text(encoding="utf-8"), path


def test_the_site_ships_no_source_maps() -> None:
    site = built_site()
    maps = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.map"))
    assert not maps, maps
    for path in [*site.rglob("*.js"), *site.rglob("*.css")]:
        assert b"sourceMappingURL=" not in path.read_bytes(), path


def test_dark_mode_follows_the_system_by_default() -> None:
    """The theme starts in "auto" (the system's setting) unless the reader's choice is stored;
    the browser test checks what a reader sees."""
    page = (built_site() / "intro.html").read_text(encoding="utf-8")
    assert '<body data-default-mode="auto">' in page
    assert 'localStorage.getItem("mode") || "auto"' in page


def test_mathjax_is_served_by_the_site() -> None:
    site = built_site()
    chapter = (site / "02_conv_layer.html").read_text(encoding="utf-8")
    sources = re.findall(r'<script[^>]*src="([^"]+)"', chapter)
    mathjax = [s.split("?")[0] for s in sources if "mathjax" in s.lower()]
    assert mathjax == ["_static/mathjax/tex-chtml.js"], mathjax
    assert (site / "_static" / "mathjax" / "tex-chtml.js").stat().st_size > 500_000
    assert (site / "_static" / "mathjax" / "LICENSE").is_file()
    for page in site.rglob("*.html"):
        remote = re.findall(
            r'<(?:script|link|img)[^>]+(?:src|href)="(https?://[^"]+)"',
            page.read_text(encoding="utf-8"),
        )
        assert not remote, f"{page.relative_to(site)} loads {remote}"


def released() -> list[str]:
    return [a for a in ASSIGNMENT_IDS if (RELEASE / a).is_dir()]


def site_bundle(assignment_id: str) -> Path:
    zips = list((built_site() / "_downloads").rglob(f"{assignment_id}.zip"))
    assert len(zips) == 1, f"expected one download of {assignment_id}.zip, found {zips}"
    return zips[0]


def test_assignment_pages_offer_their_bundles() -> None:
    for assignment_id in ASSIGNMENT_IDS:
        text = page_text(f"assignments/{assignment_id}.html")
        if assignment_id in released():
            assert f"{assignment_id}.zip" in text and "Points" in text, assignment_id
            site_bundle(assignment_id)
        else:
            assert "not been released yet" in text


@pytest.mark.parametrize("assignment_id", ASSIGNMENT_IDS)
def test_bundle_is_the_release_plus_the_student_kit(assignment_id: str) -> None:
    if assignment_id not in released():
        pytest.skip(f"{assignment_id} is not released yet (no assignments/{assignment_id}/)")
    with zipfile.ZipFile(site_bundle(assignment_id)) as archive:
        names = archive.namelist()
        notebooks = sorted((RELEASE / assignment_id).glob("*.ipynb"))
        assert notebooks
        for nb in notebooks:
            assert archive.read(f"{assignment_id}/{nb.name}") == nb.read_bytes()
        assert f"{assignment_id}/convkit/__init__.py" in names
        assert not [n for n in names if "convref" in n or "__pycache__" in n]


def test_no_solutions_or_hidden_tests_in_the_site_or_bundles() -> None:
    secrets = all_secrets(ROOT / "solutions", ROOT / "src" / "convref")
    site = built_site()
    findings = scan_tree(site, secrets, skip=[site / "_static" / "mathjax"])
    assert not findings, "\n".join(str(f) for f in findings[:20])


def test_publish_pushes_the_site_to_a_gh_pages_branch(tmp_path: Path) -> None:
    site = built_site()
    remote = tmp_path / "remote.git"
    repo = tmp_path / "repo"

    def git(*args: str, cwd: Path = repo) -> str:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout

    git("init", "--bare", "-q", str(remote), cwd=tmp_path)
    git("init", "-q", str(repo), cwd=tmp_path)
    git("config", "user.name", "Course Publisher")
    git("config", "user.email", "publisher@example.invalid")
    git("remote", "add", "origin", str(remote))
    result = subprocess.run(
        [sys.executable, "-m", "tools.publish", "--site", str(site), "--repo", str(repo)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    files = git("ls-tree", "-r", "--name-only", "gh-pages", cwd=remote).split()
    assert "index.html" in files and ".nojekyll" in files
    assert "02_conv_layer.html" in files and "_static/mathjax/tex-chtml.js" in files
    published = git("show", "gh-pages:index.html", cwd=remote)
    assert published == (site / "index.html").read_text(encoding="utf-8")
