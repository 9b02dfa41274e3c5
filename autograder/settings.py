"""The autograder's own settings, read from ``nbgrader_config.py`` as ``c.Autograder.*``.

Plain ``nbgrader`` ignores this section, so one configuration file serves both.
"""

from __future__ import annotations

import os

from traitlets import Float, Integer, Unicode
from traitlets.config import Configurable


class Autograder(Configurable):
    """Grading limits and locations; every value can be set in ``nbgrader_config.py``."""

    data_directory = Unicode(
        "grading/work",
        help="Where the pipeline keeps its records (roster, collect and grade reports), "
        "relative to the course root. Keep it out of git.",
    ).tag(config=True)

    cell_timeout = Float(30.0, help="Seconds one cell may run before it is interrupted.").tag(
        config=True
    )
    notebook_timeout = Float(
        600.0, help="Seconds a whole notebook may run; later cells are not run."
    ).tag(config=True)
    startup_timeout = Float(60.0, help="Seconds a grading kernel may take to start.").tag(
        config=True
    )
    memory_limit_mb = Integer(
        4096, help="Address-space limit of each grading kernel (MiB); 0 turns it off."
    ).tag(config=True)
    file_size_limit_mb = Integer(
        256, help="Largest file a grading kernel may write (MiB); 0 turns it off."
    ).tag(config=True)
    max_output_chars = Integer(
        20_000, help="Printed characters kept per cell; the rest is dropped with a note."
    ).tag(config=True)
    process_limit = Integer(
        64, help="Processes a grading kernel may run at once (applied when grading runs "
        "as root, where the kernel gets its own user id)."
    ).tag(config=True)
    scheduler = Unicode(
        "", help="Address of a running Dask scheduler (tcp://HOST:PORT); empty: grade on "
        "a LocalCluster started on this machine."
    ).tag(config=True)
    workers = Integer(0, help="Parallel grading processes; 0 means one per CPU core.").tag(
        config=True
    )

    def effective_workers(self) -> int:
        """Number of worker processes to start (at least one)."""
        return self.workers if self.workers > 0 else max(1, os.cpu_count() or 1)
