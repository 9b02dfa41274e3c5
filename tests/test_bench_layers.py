"""The layer benchmark runs, says which backend it ran on and prints its GEMMs beside each layer."""

import re
import time

import fake_cupy
import numpy as np
import pytest

import convref
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


@pytest.mark.parametrize("case", bench_layers.CASES, ids=lambda case: case.name.split(" (")[0])
def test_the_gemm_column_times_exactly_the_matmuls_the_layer_calls(case):
    # The GEMMs' time printed beside each layer is its honest floor only if it
    # makes the same matmul calls with the same operand shapes, chunk by chunk.
    cupy = fake_cupy.make()
    calls = []

    def recording_matmul(a, b, **kwargs):
        calls.append((a.shape, b.shape))
        return np.matmul(a, b, **kwargs)

    cupy.matmul = recording_matmul
    backend.set_cupy_module(cupy)
    try:
        x, w, b, param = bench_layers._data(case, np.float32, cupy)
        out, cache = convref.conv_forward_im2col(x, w, b, param)
        layer_forward, calls[:] = list(calls), []
        convref.conv_backward_im2col(cupy.ones(out.shape, dtype=np.float32), cache)
        layer_backward, calls[:] = list(calls), []
        forward, backward = bench_layers.gemm_calls(case, np.float32, cupy)
        calls.clear()
        forward()
        floor_forward, calls[:] = list(calls), []
        backward()
        floor_backward = list(calls)
    finally:
        backend.reset_cupy_module()
    assert layer_forward and floor_forward == layer_forward
    assert layer_backward and floor_backward == layer_backward


def test_turns_time_only_the_calls_after_the_first_of_each_burst():
    # A call right after the other function's stands for one slowed down by the
    # other library's spinning threads: it must not set the best time.
    from benchmarks.timing import interleaved_best

    last = [None]

    def make(name):
        def fn():
            if last[0] not in (None, name):
                time.sleep(0.05)
            last[0] = name
        return fn

    best = interleaved_best({"a": make("a"), "b": make("b")}, repeat=2, burst=3)
    assert max(best.values()) < 0.02
    # with one call per turn, every timed call would follow the other function
    assert min(interleaved_best({"a": make("a"), "b": make("b")}, repeat=2, burst=1).values()) > 0.04
