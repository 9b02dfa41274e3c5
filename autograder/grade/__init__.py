"""The host side of grading: the ``grade`` verb on the client (``verb.py``), the Dask
tasks and the trusted execution on a worker, nbgrader's recording on the client."""
