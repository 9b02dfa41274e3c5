"""Shared pytest setup for the course repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]


# CI explores the same examples every run, so a red build always reproduces;
# local runs keep drawing new ones, which is how new bugs get found.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked ``gpu`` unless CuPy sees a CUDA device."""
    from convref.backend import gpu_available

    if os.environ.get("CONVREF_SKIP_GPU") or not gpu_available():
        skip = pytest.mark.skip(reason="needs CuPy and a CUDA device")
        for item in items:
            if "gpu" in item.keywords:
                item.add_marker(skip)
