"""The similarity report's settings, read from ``nbgrader_config.py`` as ``c.Similarity.*``.

Plain nbgrader ignores the section. The README ("Similarity report") says why each
default is what it is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from traitlets import Float, Integer, Unicode
from traitlets.config import Configurable

# Where reports go, relative to the course root: the runtime folder git ignores.
# One constant so that the grading pipeline can repoint it when its folders move.
DEFAULT_DATA_DIRECTORY = "grading"


class Similarity(Configurable):
    """Thresholds and sizes of ``python -m autograder similarity``."""

    data_directory = Unicode(
        DEFAULT_DATA_DIRECTORY,
        help="Folder (relative to the course root, or absolute) under which the report "
        "is written to similarity/<assignment>/. Keep it out of git: students never see it.",
    ).tag(config=True)
    scheduler = Unicode(
        "",
        help="Address of a Dask scheduler (tcp://host:port) to run the per-cell work on; "
        "empty: in the calling process. --scheduler overrides it.",
    ).tag(config=True)
    kgram = Integer(
        8, help="Normalised tokens per fingerprint: shared runs shorter than this are noise."
    ).tag(config=True)
    window = Integer(
        4,
        help="Winnowing window in k-grams: every shared run of kgram + window - 1 tokens "
        "or more is guaranteed to be found.",
    ).tag(config=True)
    min_fingerprints = Integer(
        4,
        help="Answers with fewer fingerprints left after removing the release's code are "
        "too short to tell copying from the one obvious way to write them; they are not "
        "paired (the report lists them).",
    ).tag(config=True)
    common_fraction = Float(
        0.5,
        help="A fingerprint held by more than this fraction of a cell's answers (and by "
        "more than common_min of them) is a common idiom and is ignored; 1.0 keeps all.",
    ).tag(config=True)
    common_min = Integer(
        20,
        help="Fingerprints held by this many answers or fewer always count, so that in a "
        "small class a copy shared by half of it is still seen.",
    ).tag(config=True)
    list_threshold = Float(
        0.3, help="Pairs at or above this similarity are listed in the CSV and the page."
    ).tag(config=True)
    flag_threshold = Float(
        0.6, help="Pairs at or above this similarity are flagged for a person to read."
    ).tag(config=True)
    cluster_threshold = Float(
        0.8,
        help="Students linked by pairs at or above this similarity form a cluster "
        "(reported from min_cluster_size students up).",
    ).tag(config=True)
    min_cluster_size = Integer(3, help="Smallest group reported as a cluster.").tag(config=True)
    pairs_shown = Integer(
        25, help="Pairs per cell (and overall) shown side by side on the page."
    ).tag(config=True)

    def params(self) -> Params:
        """The values as a plain, picklable object (what the per-cell work receives)."""
        return Params(**{name: getattr(self, name) for name in Params.__dataclass_fields__})


@dataclass(frozen=True)
class Params:
    """The settings that the per-cell comparison needs; see :class:`Similarity`."""

    kgram: int = 8
    window: int = 4
    min_fingerprints: int = 4
    common_fraction: float = 0.5
    common_min: int = 20
    list_threshold: float = 0.3
    flag_threshold: float = 0.6
    cluster_threshold: float = 0.8
    min_cluster_size: int = 3
    pairs_shown: int = 25

    def __post_init__(self) -> None:
        problems = []
        if self.kgram < 1:
            problems.append(f"kgram must be at least 1, got {self.kgram}")
        if self.window < 1:
            problems.append(f"window must be at least 1, got {self.window}")
        if self.min_fingerprints < 1:
            problems.append(f"min_fingerprints must be at least 1, got {self.min_fingerprints}")
        if self.common_min < 0:
            problems.append(f"common_min must be at least 0, got {self.common_min}")
        if self.min_cluster_size < 2:
            problems.append(f"min_cluster_size must be at least 2, got {self.min_cluster_size}")
        for name in ("common_fraction", "list_threshold", "flag_threshold", "cluster_threshold"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                problems.append(f"{name} must lie in (0, 1], got {value:g}")
        if self.cluster_threshold < self.list_threshold:
            problems.append(f"cluster_threshold ({self.cluster_threshold:g}) is below "
                            f"list_threshold ({self.list_threshold:g}): clusters are built "
                            "from listed pairs")
        if problems:
            raise ValueError("Similarity settings: " + "; ".join(problems))

    def as_dict(self) -> dict:
        return asdict(self)
