"""What runs inside the sandbox: the student's kernel and the data-only wire format;
nothing here imports the host side (``autograder.grade``)."""
