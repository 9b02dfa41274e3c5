"""The instructor's round trip with the LMS: rosters and downloads in, grades out.

Self-contained: it knows Canvas, Moodle and Blackboard, and nbgrader's gradebook
and late-submission plugin, but nothing of the grading pipeline, which calls it:

- :mod:`~autograder.lms.courseroot` - ``find_course_root``, ``add_course_root_option``
- :mod:`~autograder.lms.rosters` - ``load_roster`` -> ``Roster`` (``match_column``)
- :mod:`~autograder.lms.downloads` - ``scan_downloads`` -> ``DownloadReport``; ``place``
- :mod:`~autograder.lms.late` - due dates, ``submission_time``, ``timestamp_text``,
  the ``LatePenalty`` plugin
- :mod:`~autograder.lms.gradebook` - ``set_duedates``, ``forget_submission``,
  ``grade_rows``
- :mod:`~autograder.lms.exports` - ``GradeRow``; ``write_canvas``, ``write_moodle``,
  ``write_blackboard``, ``write_generic``
- :mod:`~autograder.lms.intake` - ``collect_downloads`` (the collect steps in order),
  ``store_roster`` / ``stored_roster`` (one roster per assignment)

See ``autograder/lms/README.md`` for the order the pipeline calls them in.
"""

from autograder.lms.errors import LmsError

__all__ = ["LmsError"]
