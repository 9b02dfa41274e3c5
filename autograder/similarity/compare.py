"""Compare every pair of students on one answer cell, through an inverted index.

The fingerprints of a cell's answers form a sparse 0/1 matrix ``M`` (students x
distinct fingerprints), which is the inverted index from fingerprint to students.
``M @ M.T`` counts, for every pair at once, the fingerprints they share; no Python
loop runs over pairs. The similarity of a pair is the share of the *shorter* answer's
fingerprints that the other answer also has (1.0: the shorter answer is contained in
the longer one, whatever was added around it).

:func:`compare_cell` is a plain function of plain data, so that a Dask client can
map it over the cells (:func:`compare_cells`); without one the cells run here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from copydetect.utils import get_copied_slices
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from autograder.similarity.fingerprints import Fingerprints, fingerprint, kgram_hashes
from autograder.similarity.normalize import Tokens, normalize, without_release
from autograder.similarity.settings import Params

Span = tuple[int, int]


@dataclass(frozen=True)
class CellTask:
    """One answer cell of one assignment, as every student submitted it.

    Attributes
    ----------
    grade_id : str
        The cell's nbgrader id.
    kind : str
        "code" or "markdown".
    stub : str
        The cell as released (signature, docstring, ``raise NotImplementedError()``).
    answers : dict of str to str
        Student id -> the cell's source in that student's submission.
    """

    grade_id: str
    kind: str
    stub: str
    answers: dict[str, str]


@dataclass(frozen=True)
class Pair:
    """Two students' answers to one cell (or to the whole assignment)."""

    a: str
    b: str
    similarity: float
    shared: int
    size_a: int
    size_b: int
    spans_a: tuple[Span, ...] = ()
    spans_b: tuple[Span, ...] = ()


@dataclass(frozen=True)
class Cluster:
    """Students linked by pairs at or above the cluster threshold."""

    students: tuple[str, ...]
    weakest_link: float


@dataclass
class CellResult:
    """What :func:`compare_cell` found for one cell.

    ``students``/``sizes`` are the answers that were compared and their fingerprint
    counts; ``shared`` holds, for pairs ``i < j`` of them, the fingerprints they share
    (upper triangle). ``pairs`` are the listed pairs, most similar first; the first
    ``pairs_shown`` carry the character spans to highlight.
    """

    grade_id: str
    kind: str
    students: tuple[str, ...]
    sizes: np.ndarray
    shared: sparse.coo_matrix
    pairs: list[Pair]
    clusters: list[Cluster]
    too_short: tuple[str, ...] = ()
    notes: dict[str, str] = field(default_factory=dict)
    common_ignored: int = 0


def compare_cell(task: CellTask, params: Params) -> CellResult:
    """Fingerprint every answer to ``task`` and score every pair of students."""
    k, window = params.kgram, params.window
    release = normalize(task.stub, task.kind, release=True)
    boilerplate = np.unique(kgram_hashes(release.words, k))
    tokens: dict[str, Tokens] = {}
    prints: dict[str, Fingerprints] = {}
    notes: dict[str, str] = {}
    for student, source in task.answers.items():
        try:
            tokens[student] = without_release(normalize(source, task.kind), release)
        except Exception as err:  # one odd answer is noted, never the end of the run
            tokens[student] = Tokens((), (), ())
            notes[student] = f"not compared: {type(err).__name__}: {err}"[:200]
        if tokens[student].note:
            notes[student] = tokens[student].note
        prints[student] = fingerprint(tokens[student], k, window, boilerplate)

    unique = {s: fp.unique for s, fp in prints.items()}
    answered = tuple(s for s in task.answers if unique[s].size)
    index, sizes, common = _index(answered, unique, params.common_fraction, params.common_min)
    if common.size:
        for s in answered:
            unique[s] = np.setdiff1d(unique[s], common, assume_unique=True)
    # compared: the answers with enough fingerprints left once the idioms are set aside
    keep = np.flatnonzero(sizes >= params.min_fingerprints)
    students = tuple(answered[i] for i in keep)
    compared = set(students)
    too_short = tuple(s for s in task.answers if s not in compared)
    index, sizes = index[keep], sizes[keep]

    shared = sparse.triu(index @ index.T, k=1).tocoo()
    pairs = _listed_pairs(students, sizes, shared, params.list_threshold)
    pairs[: params.pairs_shown] = [
        _with_spans(p, task.answers, tokens, prints, unique, k) for p in pairs[: params.pairs_shown]
    ]
    return CellResult(
        grade_id=task.grade_id,
        kind=task.kind,
        students=students,
        sizes=sizes,
        shared=shared,
        pairs=pairs,
        clusters=clusters(pairs, params.cluster_threshold, params.min_cluster_size),
        too_short=too_short,
        notes=notes,
        common_ignored=int(common.size),
    )


def compare_cells(tasks: Sequence[CellTask], params: Params, client=None) -> list[CellResult]:
    """:func:`compare_cell` for every task, on a ``dask.distributed.Client`` if given.

    Each cell is one task: its answers travel to a worker, its result comes back.
    The fingerprints depend only on the tokens, so any worker computes the same.
    """
    if client is None:
        return [compare_cell(task, params) for task in tasks]
    futures = client.map(compare_cell, list(tasks), params=params, pure=False)
    return list(client.gather(futures))


def _index(
    students: tuple[str, ...], unique: dict[str, np.ndarray], common_fraction: float,
    common_min: int,
) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    """The students x fingerprints 0/1 matrix, row sums, and the hashes left out as common."""
    if not students:
        return sparse.csr_matrix((0, 0), dtype=np.int32), np.zeros(0, np.int64), np.zeros(0)
    lengths = np.array([unique[s].size for s in students])
    hashes = np.concatenate([unique[s] for s in students])
    columns, col = np.unique(hashes, return_inverse=True)
    rows = np.repeat(np.arange(len(students)), lengths)
    index = sparse.csr_matrix(
        (np.ones(hashes.size, dtype=np.int32), (rows, col)),
        shape=(len(students), columns.size),
    )
    common = np.zeros(0, dtype=np.int64)
    if common_fraction < 1.0:
        holders = np.bincount(col, minlength=columns.size)
        is_common = (holders > common_fraction * len(students)) & (holders > common_min)
        common = columns[is_common]
        index = index[:, ~is_common]
    return index.tocsr(), np.asarray(index.sum(axis=1)).ravel(), common


def _listed_pairs(
    students: tuple[str, ...], sizes: np.ndarray, shared: sparse.coo_matrix, threshold: float
) -> list[Pair]:
    i, j, n = shared.row, shared.col, shared.data
    shorter = np.maximum(np.minimum(sizes[i], sizes[j]), 1)
    similarity = n / shorter
    keep = np.flatnonzero(similarity >= threshold)
    order = keep[np.lexsort((-n[keep], -similarity[keep]))]
    return [
        Pair(students[i[t]], students[j[t]], float(similarity[t]), int(n[t]),
             int(sizes[i[t]]), int(sizes[j[t]]))
        for t in order
    ]


def _with_spans(
    pair: Pair,
    answers: dict[str, str],
    tokens: dict[str, Tokens],
    prints: dict[str, Fingerprints],
    unique: dict[str, np.ndarray],
    k: int,
) -> Pair:
    common = np.intersect1d(unique[pair.a], unique[pair.b], assume_unique=True)
    return Pair(
        pair.a, pair.b, pair.similarity, pair.shared, pair.size_a, pair.size_b,
        _spans(answers[pair.a], tokens[pair.a], prints[pair.a], common, k),
        _spans(answers[pair.b], tokens[pair.b], prints[pair.b], common, k),
    )


def _spans(
    source: str, tokens: Tokens, prints: Fingerprints, common: np.ndarray, k: int
) -> tuple[Span, ...]:
    """Character spans of the source covered by the k-grams of the shared fingerprints."""
    positions = prints.positions[np.isin(prints.hashes, common)]
    if positions.size == 0:
        return ()
    starts, ends = get_copied_slices(positions, k)
    spans: list[Span] = []
    for s, e in zip(starts, ends, strict=True):
        spans += _split(source, tokens, int(s), int(e))
    return tuple(spans)


def _split(source: str, tokens: Tokens, first: int, stop: int) -> list[Span]:
    """Character spans of tokens ``first..stop-1``, broken where normalisation dropped
    something between two tokens (a comment, a docstring): those are not the match."""
    spans = []
    start = tokens.starts[first]
    for t in range(first, stop - 1):
        if source[tokens.ends[t]:tokens.starts[t + 1]].strip():
            spans.append((start, tokens.ends[t]))
            start = tokens.starts[t + 1]
    spans.append((start, tokens.ends[stop - 1]))
    return spans


def clusters(pairs: Sequence[Pair], threshold: float, min_size: int) -> list[Cluster]:
    """Groups of at least ``min_size`` students joined by pairs at or above ``threshold``."""
    strong = [p for p in pairs if p.similarity >= threshold]
    names = sorted({s for p in strong for s in (p.a, p.b)})
    if len(names) < min_size:
        return []
    number = {s: n for n, s in enumerate(names)}
    a = np.array([number[p.a] for p in strong])
    b = np.array([number[p.b] for p in strong])
    graph = sparse.coo_matrix((np.ones(a.size), (a, b)), shape=(len(names), len(names)))
    _, label = connected_components(graph, directed=False)
    found = []
    for group in np.unique(label):
        members = tuple(names[m] for m in np.flatnonzero(label == group))
        if len(members) >= min_size:
            weakest = min(p.similarity for p in strong if label[number[p.a]] == group)
            found.append(Cluster(members, weakest))
    return sorted(found, key=lambda c: (-len(c.students), -c.weakest_link, c.students))


def overall(results: Sequence[CellResult], threshold: float) -> list[Pair]:
    """Pairs over the whole assignment: shared fingerprints over all cells, divided by
    the shorter answer's fingerprints summed over the cells both answered."""
    names = sorted({s for r in results for s in r.students})
    number = {s: n for n, s in enumerate(names)}
    n = len(names)
    total = sparse.csr_matrix((n, n), dtype=np.int64)
    local = []  # per cell: global ids of its students, and their sizes
    for r in results:
        ids = np.array([number[s] for s in r.students], dtype=np.int64)
        local.append((ids, r.sizes))
        if r.shared.nnz:
            a, b = ids[r.shared.row], ids[r.shared.col]
            lo, hi = np.minimum(a, b), np.maximum(a, b)
            total = total + sparse.csr_matrix((r.shared.data, (lo, hi)), shape=(n, n))
    total = total.tocoo()
    denominator = np.zeros(total.nnz, dtype=np.int64)
    for ids, sizes in local:
        size = np.zeros(n, dtype=np.int64)
        size[ids] = sizes
        both = np.minimum(size[total.row], size[total.col])
        denominator += both
    similarity = total.data / np.maximum(denominator, 1)
    keep = np.flatnonzero(similarity >= threshold)
    order = keep[np.lexsort((-total.data[keep], -similarity[keep]))]
    return [
        Pair(names[total.row[t]], names[total.col[t]], float(similarity[t]),
             int(total.data[t]), 0, 0)
        for t in order
    ]
