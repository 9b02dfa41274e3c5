"""Build, check, serve and publish the course website (the Jupyter Book in ``book/``)."""
