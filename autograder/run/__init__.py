"""What runs inside the sandbox: the student's kernel and the data-only wire format.

Nothing here imports the host side (``autograder.grade``); the grader starts
``kernel.py`` as a script in the sandbox, where only this folder, the Python
environment and the student's scratch folder are visible.
"""
