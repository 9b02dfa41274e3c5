"""nbgrader configuration: the repository root is the course root.

Run plain ``nbgrader`` commands from this directory, e.g.
``nbgrader generate_assignment ps1_convolution --force``.
"""

import os

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

HERE = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.root = HERE
c.CourseDirectory.course_id = "convnets"
# Instructor versions (solution regions, hidden tests) live in solutions/,
# the generated student versions in assignments/.
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
# Grading data stays under autograder/ and out of git.
c.CourseDirectory.submitted_directory = "autograder/submitted"
c.CourseDirectory.autograded_directory = "autograder/autograded"
c.CourseDirectory.feedback_directory = "autograder/feedback"
# A busy timeout instead of failing on a locked SQLite database.
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(HERE, "autograder", "gradebook.db") + "?timeout=60"
