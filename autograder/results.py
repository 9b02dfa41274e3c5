"""Per-student grading records and the status every export row carries.

A grading run stores, for each student, what the pipeline itself learned (failure
reason, tampering, scan findings, what SafeExecute had to do); the gradebook stores
the scores. :func:`decide` combines both into one status, so that a failure, a
missing file or a tampered notebook is never confused with a real zero.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder.scores import SubmissionScores

STATUSES = ("graded", "failed", "needs_manual", "tampered", "flagged", "missing")


@dataclass
class StudentResult:
    """What grading one student's submission produced (scores live in the gradebook)."""

    student: str
    ok: bool = False
    reason: str = ""
    tampered: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @classmethod
    def failed(cls, student: str, reason: str, **kw) -> StudentResult:
        return cls(student, ok=False, reason=reason, **kw)


@dataclass
class Row:
    """One line of the export: status and the reason behind it."""

    student: str
    status: str
    reason: str = ""
    notes: str = ""
    score: float | None = None
    cells: dict[tuple[str, str], float | None] = field(default_factory=dict)


def results_path(report_dir: Path) -> Path:
    return report_dir / "grade.json"


def load_results(report_dir: Path) -> dict[str, StudentResult]:
    path = results_path(report_dir)
    if not path.is_file():
        return {}
    data = json.loads(path.read_text())
    return {sid: StudentResult(**rec) for sid, rec in data.items()}


def save_results(report_dir: Path, results: dict[str, StudentResult]) -> None:
    """Merge ``results`` into the stored records (a partial re-grade keeps the others)."""
    report_dir.mkdir(parents=True, exist_ok=True)
    merged = load_results(report_dir)
    merged.update(results)
    path = results_path(report_dir)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({k: asdict(v) for k, v in sorted(merged.items())}, indent=2))
    os.replace(tmp, path)


def decide(
    student: str,
    result: StudentResult | None,
    scores: SubmissionScores | None,
    missing_reason: str = "",
) -> Row:
    """The export row of one roster student.

    Parameters
    ----------
    student : str
        Student id.
    result : StudentResult or None
        The last grading record (None: never graded).
    scores : SubmissionScores or None
        The gradebook's scores (None: no submission there).
    missing_reason : str
        Why collect found nothing, when it did not.
    """
    if result is None:
        if scores is None:
            return Row(student, "missing", missing_reason or "no submission collected")
        return Row(student, "failed", "not graded by this pipeline (run `grade`)")
    notes = "; ".join(result.notes)
    if not result.ok:
        return Row(student, "failed", result.reason or "grading failed", notes)
    if scores is None:
        return Row(student, "failed", "graded, but the gradebook has no scores", notes)
    row = Row(student, "graded", "", notes, scores.score, dict(scores.cells))
    reasons = []
    if scores.ungraded_tests:
        # nbgrader could not score a test cell: never report that as a zero
        row.status = "failed"
        reasons.append("no score for test cell(s) " + ", ".join(scores.ungraded_tests))
        row.score = None
    if result.tampered:
        row.status = row.status if row.status == "failed" else "tampered"
        reasons += result.tampered
    if result.flags:
        row.status = row.status if row.status != "graded" else "flagged"
        reasons += ["suspicious code: " + f for f in result.flags]
    if scores.needs_manual:
        row.status = row.status if row.status != "graded" else "needs_manual"
        reasons.append("manual grading needed: " + ", ".join(scores.needs_manual))
    row.reason = "; ".join(reasons)
    return row
