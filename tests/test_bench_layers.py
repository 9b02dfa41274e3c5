"""The layer benchmark runs, says which backend it ran on and prints its GEMMs beside each layer."""

import re

import fake_cupy
import pytest

from benchmarks import bench_layers
from convref import backend


def _run(capsys, monkeypatch, device):
    monkeypatch.setenv("CONVREF_DEVICE", device)
    bench_layers.main(["--quick", "--repeat", "1", "--rounds", "2"])
    return capsys.readouterr().out


def test_quick_run_on_numpy_prints_gemms_and_ratios(capsys, monkeypatch):
    out = _run(capsys, monkeypatch, "cpu")
    assert "backend: numpy (CONVREF_DEVICE=cpu)" in out
    rows = [line for line in out.splitlines() if line.startswith("tiny")]
    assert len(rows) == 4  # float32/float64 x forward/backward
    for line in rows:
        assert line.count("ms") >= 2  # ours and its GEMMs
        assert re.search(r"\d\.\d\dx \(\d+\.\d\d-\d+\.\d\d\)", line)  # ours/GEMMs: median (range)


def test_convref_device_drives_the_benchmark(capsys, monkeypatch):
    backend.set_cupy_module(fake_cupy.make())
    try:
        out = _run(capsys, monkeypatch, "gpu")
    finally:
        backend.reset_cupy_module()
    assert "backend: cupy (CONVREF_DEVICE=gpu)" in out
    rows = [line for line in out.splitlines() if line.startswith("tiny")]
    assert rows and all(line.rstrip().endswith("-") for line in rows)  # no PyTorch on a GPU backend


def test_unknown_device_stops_the_benchmark_with_the_reason(monkeypatch):
    monkeypatch.setenv("CONVREF_DEVICE", "tpu")
    with pytest.raises(ValueError, match="'tpu' is not a device"):
        bench_layers.main(["--quick"])
