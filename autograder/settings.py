"""The autograder's own settings, read from ``nbgrader_config.py`` as ``c.Autograder.*``.

Plain ``nbgrader`` ignores this section, so one configuration file serves both.
"""

from __future__ import annotations

import os

from traitlets import Enum, Float, Integer, List, Unicode
from traitlets.config import Configurable


class Autograder(Configurable):
    """Grading limits and locations; every value can be set in ``nbgrader_config.py``."""

    data_directory = Unicode(
        "autograder/work",
        help="Where the pipeline keeps its records (roster, reports, staged notebooks), "
        "relative to the course root. Keep it out of git.",
    ).tag(config=True)

    cell_timeout = Float(30.0, help="Seconds one cell may run before it is interrupted.").tag(
        config=True
    )
    notebook_timeout = Float(
        600.0, help="Seconds a whole notebook may run; later cells are not run."
    ).tag(config=True)
    iopub_timeout = Float(
        4.0, help="Seconds to wait for a cell's last output once it has replied."
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
    max_output_bytes = Integer(
        5_000_000, help="Rich output (plots, HTML) kept per cell, as characters of JSON."
    ).tag(config=True)
    sandbox = Enum(
        ["auto", "bwrap", "none"],
        "auto",
        help="'bwrap' runs each kernel in a bubblewrap sandbox (read-only system, hidden "
        "solutions/gradebook, no network); 'auto' uses it when it works here.",
    ).tag(config=True)
    kernel_launch = Enum(
        ["fork", "spawn"],
        "fork",
        help="'fork' starts kernels from a pre-loaded process per worker (fast, Linux); "
        "'spawn' starts a fresh interpreter per kernel.",
    ).tag(config=True)
    preload_modules = List(
        Unicode(),
        ["numpy", "matplotlib.pyplot"],
        help="Modules the kernel factory imports once so that every forked kernel has them.",
    ).tag(config=True)
    workers = Integer(0, help="Parallel grading processes; 0 means one per CPU core.").tag(
        config=True
    )
    hidden_paths = List(
        Unicode(),
        [],
        help="Extra files or folders that grading kernels must not see (absolute paths).",
    ).tag(config=True)
    worker_grace = Float(
        120.0,
        help="Seconds beyond notebook_timeout after which a stuck grading process is killed.",
    ).tag(config=True)

    def effective_workers(self) -> int:
        """Number of worker processes to start (at least one)."""
        return self.workers if self.workers > 0 else max(1, os.cpu_count() or 1)
