"""The instructor's autograding pipeline of the course, on nbgrader.

``python -m autograder <verb>`` from the course root (the repository root):

- ``release [ASSIGNMENT ...]`` - generate the student release (nbgrader, forced, verified);
- ``collect ASSIGNMENT DOWNLOADS --roster ROSTER.csv`` - place LMS downloads for nbgrader;
- ``grade ASSIGNMENT [--student ID ...] [--workers N]`` - autograde safely, in parallel;
- ``export ASSIGNMENT --out FILE.csv`` - one row per roster student, with a status;
- ``feedback ASSIGNMENT`` - per-student HTML without the hidden tests;
- ``demo`` - the whole pipeline on a synthetic class in a throw-away course.

See ``autograder/README.md`` for the instructor's workflow.
"""
