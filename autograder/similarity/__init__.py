"""Similarity report: which students' answer cells are near-copies of each other.

``python -m autograder similarity ASSIGNMENT``. The modules, in the order data flows:

- :mod:`.notebooks`: the answer cells of the release and of every submission (nbgrader paths);
- :mod:`.normalize`: a cell's tokens with comments, docstrings, names and strings set aside;
- :mod:`.fingerprints`: winnowed k-gram fingerprints (copydetect's winnowing);
- :mod:`.compare`: per cell, every pair at once through a sparse inverted index;
  clusters; the whole-assignment ranking;
- :mod:`.report`: the offline HTML page and the CSV files;
- :mod:`.cli`: ``add_arguments(parser)`` and ``run(args)`` for ``python -m autograder``.

It depends on nbgrader, on the course model (:mod:`autograder.course`: the config
loading and id check every verb shares) and on nbgrader's folder layout as
:func:`autograder.lms.courseroot.student_folders` reads it, not on the grading pipeline,
and never changes a grade: the report goes to the instructor's runtime folder, never
into feedback.
"""
