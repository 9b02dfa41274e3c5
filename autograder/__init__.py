"""The instructor's autograding pipeline of the course, on nbgrader and Dask.

``python -m autograder --help`` lists the verbs (release, collect, grade, export,
feedback, similarity, demo); ``autograder/README.md`` is the instructor's workflow.
"""
