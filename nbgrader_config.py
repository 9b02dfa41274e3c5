"""nbgrader configuration: the repository root is the course root.

Run plain ``nbgrader`` commands from this directory, e.g.
``.venv/bin/nbgrader autograde ps1_convolution --force``. To release an
assignment use ``python -m autograder release ps1_convolution``: it runs
``nbgrader generate_assignment --force`` and then adds the student kit and
checks the result for leaks (plain ``generate_assignment`` writes the notebook
only).
"""

import os
import sys

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

HERE = os.path.dirname(os.path.abspath(__file__))
# The autograder's nbgrader plugins (below) live in this folder's autograder/ package.
if HERE not in sys.path:
    sys.path.insert(0, HERE)

# nbgrader runs the `alembic` script of its own environment through PATH when it
# creates a gradebook: `.venv/bin/nbgrader ...` works without an activated venv.
from autograder.course import ensure_tools_on_path  # noqa: E402

ensure_tools_on_path()

c.CourseDirectory.root = HERE
c.CourseDirectory.course_id = "convnets"
# Instructor versions (solution regions, hidden tests) live in solutions/,
# the generated student versions in assignments/.
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
# Grading data lives in one folder, grading/, out of git (autograder/ holds code only).
c.CourseDirectory.submitted_directory = "grading/submitted"
c.CourseDirectory.autograded_directory = "grading/autograded"
c.CourseDirectory.feedback_directory = "grading/feedback"
# A busy timeout instead of failing on a locked SQLite database.
GRADEBOOK = os.path.join(HERE, "grading", "gradebook.db")
os.makedirs(os.path.dirname(GRADEBOOK), exist_ok=True)
c.CourseDirectory.db_url = f"sqlite:///{GRADEBOOK}?timeout=60"

# --- Grading --------------------------------------------------------------------------
# Plain `nbgrader autograde` reads these too: a cell may run 30 s, then it is
# interrupted and grading goes on with the next cell.
c.Execute.timeout = 30
c.Execute.interrupt_on_timeout = True

# Feedback never shows the hidden tests' code. (`python -m autograder feedback` also
# removes traceback frames that quote them, which plain nbgrader does not.)
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import ClearHiddenTests, GetGrades  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]

# `nbgrader zip_collect` and `nbgrader export` follow the autograder's rules: files go
# to the roster student their name gives (Canvas, Moodle, Blackboard or plain names, as
# `collect` reads them), and rows carry the status (graded, failed, tampered...) and
# late work, with failed and missing students left empty, never 0.
c.ZipCollectApp.collector_plugin = "autograder.plugins.RosterCollector"
c.ExportApp.plugin_class = "autograder.plugins.StatusExport"

# The autograder pipeline (`python -m autograder`, see autograder/README.md); plain
# nbgrader ignores this section.
c.Autograder.cell_timeout = 30  # seconds per cell
c.Autograder.notebook_timeout = 600  # seconds per notebook; later cells are not run
c.Autograder.memory_limit_mb = 4096  # address space of a grading kernel
c.Autograder.workers = 0  # Dask LocalCluster workers; 0 = one per CPU core
c.Autograder.scheduler = ""  # or "tcp://HOST:8786": grade on a running Dask cluster
# Student code always runs in a bubblewrap sandbox; `grade --unsafe-no-sandbox` is the
# only way around it, and every exported row then says "graded unsandboxed".
# A PostgreSQL gradebook instead of SQLite (pip install psycopg2-binary):
# c.CourseDirectory.db_url = "postgresql+psycopg2://USER:PASSWORD@HOST:5432/gradebook"

# --- LMS: due dates and late penalties (autograder/lms, autograder/README.md) ---------
# `python -m autograder collect` writes each submission's time from the LMS as
# nbgrader's timestamp.txt; `collect` and `grade` put these due dates into the
# gradebook; nbgrader's own AssignLatePenalties step (part of autograde, plain or
# through the pipeline) then calls the plugin below. Set this term's dates here, e.g.
# "2026-12-04 23:59 Europe/Berlin" (a zone name or an offset; none means UTC).
c.Lms.duedates = {
    "ps1_convolution": "2026-12-04 23:59 Europe/Berlin",
    "ps2_pooling": "2026-12-11 23:59 Europe/Berlin",
    "ps3_fc_to_conv": "2026-12-18 23:59 Europe/Berlin",
}
c.Lms.timezone = "Europe/Berlin"  # zone of LMS times written without one (Blackboard, Moodle)
c.Lms.canvas_late_minutes = 1  # a file Canvas marks LATE: counted this long after the due date
c.AssignLatePenalties.plugin_class = "autograder.lms.late.LatePenalty"
c.LatePenalty.grace_minutes = 15  # free
c.LatePenalty.percent_per_period = 10  # of the notebook's score, per started period late
c.LatePenalty.period_hours = 24
c.LatePenalty.max_percent = 100

# --- Similarity report ----------------------------------------------------------------
# `python -m autograder similarity ASSIGNMENT` (autograder/similarity/); plain nbgrader
# ignores this section. Evidence for a person, never a grade.
# autograder/similarity/README.md says how these defaults were chosen.
c.Similarity.kgram = 8  # normalised tokens per fingerprint
c.Similarity.window = 4  # winnowing window: runs of kgram + window - 1 tokens always match
c.Similarity.min_fingerprints = 4  # shorter answers are not paired (listed as too short)
c.Similarity.common_fraction = 0.5  # fingerprints in more than half the answers are idioms...
c.Similarity.common_min = 20  # ...when more than 20 answers hold them (1.0 / large: keep all)
c.Similarity.list_threshold = 0.3  # pairs listed in the CSV and on the page
c.Similarity.flag_threshold = 0.6  # pairs flagged (red) for a person to read
c.Similarity.cluster_threshold = 0.8  # pairs that join students into a cluster
c.Similarity.min_cluster_size = 3  # smallest cluster reported
c.Similarity.pairs_shown = 25  # pairs per cell shown side by side on the page
# c.Similarity.data_directory = "grading"  # report goes to <this>/similarity/
# c.Similarity.scheduler = "tcp://127.0.0.1:8786"  # per-cell work on a Dask cluster
