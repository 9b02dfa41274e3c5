"""Write the similarity report: one self-contained HTML page and two CSV files.

The page works offline (inline style, no script, no outside asset): the pairs ranked
over the whole assignment and per cell, each listed pair's two answers side by side
with the matched spans marked, the clusters, and what could not be compared.
"""

from __future__ import annotations

import csv
import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from copydetect.utils import highlight_overlap

from autograder.similarity.compare import CellResult, CellTask, Pair
from autograder.similarity.settings import Params

PAGE = "report.html"
PAIRS_CSV = "pairs.csv"
CLUSTERS_CSV = "clusters.csv"
OVERALL = "(overall)"


@dataclass
class Report:
    """Everything the page and the CSV files show."""

    assignment: str
    students: list[str]
    tasks: list[CellTask]
    results: list[CellResult]
    overall: list[Pair]
    problems: dict[str, list[str]]
    params: Params
    seconds: float = 0.0


def write(report: Report, folder: Path) -> list[Path]:
    """Write the page and the CSV files into ``folder`` (created); returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / PAGE, folder / PAIRS_CSV, folder / CLUSTERS_CSV]
    paths[0].write_text(page(report), encoding="utf-8")
    _write_pairs_csv(report, paths[1])
    _write_clusters_csv(report, paths[2])
    return paths


def _write_pairs_csv(report: Report, path: Path) -> None:
    flag = report.params.flag_threshold
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["cell", "rank", "student_a", "student_b", "similarity", "flagged",
                      "shared_fingerprints", "fingerprints_a", "fingerprints_b"])
        for rank, p in enumerate(report.overall, 1):
            out.writerow([OVERALL, rank, p.a, p.b, f"{p.similarity:.4f}",
                          int(p.similarity >= flag), p.shared, "", ""])
        for r in report.results:
            for rank, p in enumerate(r.pairs, 1):
                out.writerow([r.grade_id, rank, p.a, p.b, f"{p.similarity:.4f}",
                              int(p.similarity >= flag), p.shared, p.size_a, p.size_b])


def _write_clusters_csv(report: Report, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["cell", "cluster", "size", "weakest_link", "students"])
        for r in report.results:
            for n, c in enumerate(r.clusters, 1):
                out.writerow([r.grade_id, n, len(c.students), f"{c.weakest_link:.4f}",
                              " ".join(c.students)])


# --- the page ------------------------------------------------------------------------

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 90rem;
       padding: 1rem; color: #1b1b1b; background: #fff; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.25rem; margin-top: 2.5rem;
     border-bottom: 1px solid #ccc; } h3 { font-size: 1.05rem; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #ccc; padding: .2rem .5rem; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.flagged td { background: #fde8e8; }
.note { background: #f3f6fa; border-left: 4px solid #4a6fa5; padding: .5rem 1rem; }
.sides { display: grid; grid-template-columns: 1fr 1fr; gap: .75rem; }
.sides > div { min-width: 0; }
pre { background: #f7f7f7; border: 1px solid #ddd; padding: .5rem; overflow-x: auto;
      font-size: 13px; line-height: 1.35; margin: .25rem 0; }
mark { background: #ffd54f; color: inherit; }
details { margin: .4rem 0; } summary { cursor: pointer; overflow-wrap: anywhere; }
li, p { overflow-wrap: anywhere; }
nav ul { columns: 2; }
@media (max-width: 50rem) { .sides { grid-template-columns: 1fr; } nav ul { columns: 1; } }
"""


def page(report: Report) -> str:
    """The whole report as one HTML document."""
    e = html.escape
    cells = [r.grade_id for r in report.results]
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Similarity: {e(report.assignment)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Similarity of answers: {e(report.assignment)}</h1>",
        '<p class="note">Evidence for a person to read, not a verdict: a high score says '
        "two answers share long runs of code once comments, docstrings, blank lines, names "
        "and string literals are set aside and the released code is removed. Nothing here "
        "changes a grade, and students never see this page.</p>",
        _summary(report, when),
        "<nav><h2>Contents</h2><ul>",
        '<li><a href="#overall">Whole assignment</a></li>',
        '<li><a href="#clusters">Clusters</a></li>',
        *[f'<li><a href="#{_anchor(c)}">Cell {e(c)}</a></li>' for c in cells],
        '<li><a href="#problems">Submissions not read, and notes</a></li>',
        "</ul></nav>",
        _overall_section(report),
        _clusters_section(report),
        *[_cell_section(report, task, result)
          for task, result in zip(report.tasks, report.results, strict=True)],
        _problems_section(report),
        "</body></html>",
    ]
    return "\n".join(parts)


def _summary(report: Report, when: str) -> str:
    p = report.params
    return (
        f"<p>{len(report.students)} students, {len(report.results)} answer cells; "
        f"generated {when} in {report.seconds:.1f} s. Similarity of a pair: the share of "
        "the shorter answer's fingerprints that the other answer also has. Listed from "
        f"{p.list_threshold:g}, flagged (red rows) from {p.flag_threshold:g}, clusters "
        f"of {p.min_cluster_size} or more students linked at {p.cluster_threshold:g} or "
        f"more. Fingerprints: {p.kgram} tokens, winnowing window {p.window}. "
        f"The CSV files <code>{PAIRS_CSV}</code> and <code>{CLUSTERS_CSV}</code> next to "
        "this page hold every listed pair and cluster.</p>"
    )


def _overall_section(report: Report) -> str:
    e = html.escape
    flag = report.params.flag_threshold
    by_cell = {r.grade_id: {_key(p): p for p in r.pairs} for r in report.results}
    shown = {r.grade_id: {_key(p) for p in r.pairs[: report.params.pairs_shown]}
             for r in report.results}
    head = "".join(f"<th>{e(c)}</th>" for c in by_cell)
    rows = []
    for rank, p in enumerate(report.overall[: report.params.pairs_shown], 1):
        cells = []
        for cell, pairs in by_cell.items():
            q = pairs.get(_key(p))
            if q is None:
                cells.append('<td class="num">-</td>')
            elif _key(p) in shown[cell]:
                cells.append(f'<td class="num"><a href="#{_pair_anchor(cell, q)}">'
                             f"{q.similarity:.2f}</a></td>")
            else:
                cells.append(f'<td class="num">{q.similarity:.2f}</td>')
        flagged = sum(1 for pairs in by_cell.values()
                      if _key(p) in pairs and pairs[_key(p)].similarity >= flag)
        rows.append(
            f'<tr class="{"flagged" if p.similarity >= flag else ""}"><td class="num">{rank}'
            f"</td><td>{e(p.a)}</td><td>{e(p.b)}</td><td class=\"num\">{p.similarity:.2f} "
            f"{_flag(p.similarity >= flag)}</td>"
            f'<td class="num">{flagged}</td>{"".join(cells)}</tr>'
        )
    body = (
        '<div class="scroll"><table><thead><tr><th>#</th><th>student</th><th>student</th>'
        f"<th>overall</th><th>cells flagged</th>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
        if rows else "<p>No pair reaches the listing threshold over the whole assignment.</p>"
    )
    more = len(report.overall) - report.params.pairs_shown
    tail = f"<p>{more} more pairs in {PAIRS_CSV}.</p>" if more > 0 else ""
    return (
        '<section id="overall"><h2>Whole assignment</h2><p>Shared fingerprints over all '
        "cells divided by the shorter answers' fingerprints over the cells both answered. "
        "A dash: below the listing threshold in that cell.</p>"
        f"{body}{tail}</section>"
    )


def _clusters_section(report: Report) -> str:
    e = html.escape
    items = [
        f'<li><a href="#{_anchor(r.grade_id)}">{e(r.grade_id)}</a>: {len(c.students)} students '
        f"({', '.join(e(s) for s in c.students)}), weakest link {c.weakest_link:.2f}</li>"
        for r in report.results for c in r.clusters
    ]
    body = f"<ul>{''.join(items)}</ul>" if items else "<p>No cluster.</p>"
    return (
        '<section id="clusters"><h2>Clusters</h2><p>Students joined by a chain of pairs at '
        f"or above {report.params.cluster_threshold:g} on one cell: one answer shared by "
        f"{report.params.min_cluster_size} or more students.</p>{body}</section>"
    )


def _cell_section(report: Report, task: CellTask, result: CellResult) -> str:
    e = html.escape
    flag = report.params.flag_threshold
    shown = result.pairs[: report.params.pairs_shown]
    rows = "".join(
        f'<tr class="{"flagged" if p.similarity >= flag else ""}"><td class="num">{n}</td>'
        f'<td><a href="#{_pair_anchor(result.grade_id, p)}">{e(p.a)}</a></td><td>{e(p.b)}</td>'
        f'<td class="num">{p.similarity:.2f}</td><td>{_flag(p.similarity >= flag)}</td>'
        f'<td class="num">{p.shared}</td><td class="num">{p.size_a}</td>'
        f'<td class="num">{p.size_b}</td></tr>'
        for n, p in enumerate(shown, 1)
    )
    table = (
        '<div class="scroll"><table><thead><tr><th>#</th><th>student</th><th>student</th>'
        "<th>similarity</th><th>flagged</th><th>shared</th><th>fingerprints</th>"
        "<th>fingerprints</th></tr>"
        f"</thead><tbody>{rows}</tbody></table></div>"
        if shown else "<p>No pair reaches the listing threshold.</p>"
    )
    more = len(result.pairs) - len(shown)
    tail = f"<p>{more} more pairs in {PAIRS_CSV}.</p>" if more > 0 else ""
    sides = "".join(_side_by_side(result.grade_id, task, p, flag) for p in shown)
    short = (
        f"<p>Not compared (too little beyond the released code): {len(result.too_short)} "
        f"answer(s): {', '.join(e(s) for s in result.too_short)}.</p>"
        if result.too_short else ""
    )
    return (
        f'<section id="{_anchor(result.grade_id)}"><h2>Cell {e(result.grade_id)} '
        f"({e(result.kind)})</h2><p>{len(result.students)} answers compared, "
        f"{len(result.pairs)} pairs listed.</p>{short}{table}{tail}{sides}</section>"
    )


def _side_by_side(cell: str, task: CellTask, p: Pair, flag: float) -> str:
    e = html.escape
    return (
        f'<details id="{_pair_anchor(cell, p)}"{" open" if p.similarity >= flag else ""}>'
        f"<summary>{e(p.a)} and {e(p.b)}: {p.similarity:.2f}</summary>"
        f'<div class="sides"><div><h3>{e(p.a)}</h3><pre><code>'
        f"{_marked(task.answers[p.a], p.spans_a)}</code></pre></div>"
        f"<div><h3>{e(p.b)}</h3><pre><code>{_marked(task.answers[p.b], p.spans_b)}"
        "</code></pre></div></div></details>"
    )


def _marked(source: str, spans: Sequence[tuple[int, int]]) -> str:
    """The source, HTML-escaped, with the matched spans in ``<mark>`` (copydetect's)."""
    if not spans or not source:
        return html.escape(source)
    slices = np.array(spans, dtype=np.int64).T
    text, _ = highlight_overlap(source, slices, "<mark>", "</mark>", escape_html=True)
    return text


def _problems_section(report: Report) -> str:
    e = html.escape
    notes = [
        f"<li>{e(s)}: {e(msg)}</li>"
        for s in sorted(report.problems) for msg in report.problems[s]
    ]
    notes += [
        f"<li>{e(s)}, cell {e(r.grade_id)}: {e(msg)}</li>"
        for r in report.results for s, msg in sorted(r.notes.items())
    ]
    body = f"<ul>{''.join(notes)}</ul>" if notes else "<p>Every submission was read.</p>"
    return f'<section id="problems"><h2>Submissions not read, and notes</h2>{body}</section>'


def _flag(flagged: bool) -> str:
    """Flagged pairs say so in words too, not only by the row's colour."""
    return "flagged" if flagged else ""


def _key(p: Pair) -> tuple[str, str]:
    return (p.a, p.b) if p.a <= p.b else (p.b, p.a)


def _anchor(cell: str) -> str:
    return "cell-" + "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in cell)


def _pair_anchor(cell: str, p: Pair) -> str:
    return f"{_anchor(cell)}--{_anchor(p.a)[5:]}--{_anchor(p.b)[5:]}"
