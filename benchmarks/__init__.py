"""Benchmarks of the course code: speed targets live here, not in timed tests."""
