"""Speed of convref's layers: naive vs fast, fast vs its own GEMMs, fast vs PyTorch.

Run with ``make bench`` (or ``python -m benchmarks``). PyTorch comes from the
optional ``bench`` extra; without it the PyTorch columns are empty. Ratios are
measured side by side in the same run, so the machine's load affects both sides
alike; ``--rounds`` repeats every measurement and prints the spread.

The backend is the one ``CONVREF_DEVICE`` selects (``cpu`` by default, see
:mod:`convref.backend`): the arrays are created on it and the table says which
one ran. PyTorch runs on the CPU, so the comparison columns are filled only for
the NumPy backend.
"""

from __future__ import annotations

import argparse
import os
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

import convref
from benchmarks.timing import best_time, interleaved_best
from convref import conv_fast
from convref.backend import backend_name, get_backend, synchronize
from convref.conv_fast import column_plan
from convref.conv_params import conv_geometry

try:  # optional: the `bench` extra
    import torch
    import torch.nn.functional as tnf
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

try:  # optional: the `bench` extra; says which BLAS kernel NumPy runs
    import threadpoolctl
except ImportError:  # pragma: no cover - depends on the environment
    threadpoolctl = None


@dataclass(frozen=True)
class ConvCase:
    name: str
    x_shape: tuple[int, int, int, int]
    w_shape: tuple[int, int, int, int]
    stride: int
    pad: int
    # Targets for ours/PyTorch in float32 (forward, backward); None = no target.
    fwd_target: float | None = None
    bwd_target: float | None = None


CASES = [
    ConvCase("standard timing (100x3x31x31, 25 3x3, s2 p1)", (100, 3, 31, 31), (25, 3, 3, 3), 2, 1),
    ConvCase("CIFAR-10 batch (50x3x32x32, 32 7x7, p3)", (50, 3, 32, 32), (32, 3, 7, 7), 1, 3, 3.0),
    ConvCase(
        "VGG-like (8x64x56x56, 128 3x3, p1)", (8, 64, 56, 56), (128, 64, 3, 3), 1, 1, 1.4, 1.5
    ),
]
QUICK_CASES = [ConvCase("tiny (2x3x8x8, 4 3x3, p1)", (2, 3, 8, 8), (4, 3, 3, 3), 1, 1)]
POOL_SHAPE = (50, 64, 32, 32)
POOL_PARAM = {"pool_height": 2, "pool_width": 2, "stride": 2}
STANDARD = CASES[0]


@dataclass
class Row:
    """One line of the conv table: our time, its GEMMs' time, PyTorch's, per round."""

    ours: list[float]
    gemm: list[float]
    torch: list[float]


def conv_flops(case: ConvCase) -> float:
    N, C, H, W = case.x_shape
    F, _, HH, WW = case.w_shape
    ho = convref.conv_output_size(H, HH, case.stride, case.pad)
    wo = convref.conv_output_size(W, WW, case.stride, case.pad)
    return 2.0 * N * F * ho * wo * C * HH * WW


def _data(case: ConvCase, dtype: type, xp: ModuleType) -> tuple[Any, Any, Any, dict]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(case.x_shape).astype(dtype)
    w = rng.standard_normal(case.w_shape).astype(dtype)
    b = rng.standard_normal(case.w_shape[0]).astype(dtype)
    return xp.asarray(x), xp.asarray(w), xp.asarray(b), {"stride": case.stride, "pad": case.pad}


def gemm_calls(case: ConvCase, dtype: type, xp: ModuleType) -> tuple[Callable, Callable]:
    """The forward's and the backward's matrix multiplies alone, as the layer calls them.

    Same shapes, same chunks and the same ``matmul`` calls as
    :mod:`convref.conv_fast` (the im2col columns, or the shifted rows with one
    GEMM per kernel row), on operands built beforehand: the floor the layer
    cannot go below with NumPy's GEMM.
    """
    x, w, b, p = _data(case, dtype, xp)
    g = conv_geometry(x, w, b, p)
    itemsize = np.dtype(dtype).itemsize
    K = g.C * g.HH * g.WW
    w_row = w.reshape(g.F, K)
    rng = np.random.default_rng(1)

    def random(shape: tuple[int, ...]) -> Any:
        return xp.asarray(rng.standard_normal(shape).astype(dtype))

    def chunks(nb: int) -> list[int]:
        return [min(nb, g.N - n0) for n0 in range(0, g.N, nb)]

    if conv_fast.uses_shifted_rows(g):
        Kr, U, nb = conv_fast.shifted_rows_plan(g, itemsize)
        L = g.H_out * g.W_out
        rows = random((nb, Kr + 1, U))  # the shifted rows, with the row of ones
        w_rows = w.transpose(2, 0, 1, 3).reshape(g.HH, g.F, Kr)
        w_first = xp.concatenate([w_rows[0], b.reshape(g.F, 1)], axis=1)
        f_out, f_part = xp.empty((nb, g.F, L), dtype=dtype), xp.empty((nb, g.F, L), dtype=dtype)

        def forward() -> None:
            for m in chunks(nb):
                xp.matmul(w_first, rows[:m, :, :L], out=f_out[:m])
                for i in range(1, g.HH):
                    start = i * g.dilation * g.W_out
                    xp.matmul(w_rows[i], rows[:m, :Kr, start : start + L], out=f_part[:m])
    else:
        f_plan = column_plan(g, itemsize)
        L = f_plan.length(g)
        cols = random((f_plan.images, K + 1, L))  # the columns, with the row of ones
        f_out = xp.empty((f_plan.images, g.F, L), dtype=dtype)
        w_bias = xp.concatenate([w_row, b.reshape(g.F, 1)], axis=1)

        def forward() -> None:
            for m in chunks(f_plan.images):
                xp.matmul(w_bias, cols[:m], out=f_out[:m])

    b_plan = column_plan(g, itemsize, backward=True)
    b_L = b_plan.length(g)
    # the columns with a row of ones (its GEMM column is db), as in the layer
    b_cols, b_d = random((b_plan.images, K + 1, b_L)), random((b_plan.images, g.F, b_L))
    b_dcols = xp.empty((b_plan.images, K, b_L), dtype=dtype)

    def backward() -> None:
        for m in chunks(b_plan.images):
            for k in range(m):
                xp.matmul(b_d[k], b_cols[k].T)
            xp.matmul(w_row.T, b_d[:m], out=b_dcols[:m])

    return forward, backward


def time_conv(case: ConvCase, dtype: type, xp: ModuleType, repeat: int) -> dict[str, tuple]:
    """Seconds for (ours, GEMMs alone, PyTorch or None), forward and backward.

    All six are timed in turns (:func:`interleaved_best`), so the ratios compare
    calls made within the same moments of the machine's load.
    """
    x, w, b, p = _data(case, dtype, xp)
    out, cache = convref.conv_forward_im2col(x, w, b, p)
    dout = xp.ones_like(out)
    fwd_gemm, bwd_gemm = gemm_calls(case, dtype, xp)

    def synced(fn: Callable[[], object]) -> Callable[[], None]:
        def call() -> None:
            fn()
            synchronize(xp)

        return call

    fns = {
        "ours forward": synced(lambda: convref.conv_forward_im2col(x, w, b, p)),
        "ours backward": synced(lambda: convref.conv_backward_im2col(dout, cache)),
        "gemm forward": synced(fwd_gemm),
        "gemm backward": synced(bwd_gemm),
    }
    if torch is not None and xp is np:
        fns.update(torch_calls(case, dtype))
    t = interleaved_best(fns, repeat)
    return {
        label: (t[f"ours {label}"], t[f"gemm {label}"], t.get(f"torch {label}"))
        for label in ("forward", "backward")
    }


def torch_calls(case: ConvCase, dtype: type) -> dict[str, Callable[[], object]]:
    """PyTorch's forward (without autograd) and backward on the same data."""
    x, w, b, p = (torch.from_numpy(a).requires_grad_() if isinstance(a, np.ndarray) else a
                  for a in _data(case, dtype, np))
    out = tnf.conv2d(x, w, b, stride=p["stride"], padding=p["pad"])
    dout = torch.ones_like(out)

    def forward() -> None:
        with torch.no_grad():
            tnf.conv2d(x, w, b, stride=p["stride"], padding=p["pad"])

    def backward() -> None:
        torch.autograd.grad(out, (x, w, b), dout, retain_graph=True)

    return {"torch forward": forward, "torch backward": backward}


def time_pool(dtype: type, xp: ModuleType, repeat: int) -> tuple[float, float | None]:
    x = xp.asarray(np.random.default_rng(1).standard_normal(POOL_SHAPE).astype(dtype))

    def ours() -> None:
        out, cache = convref.max_pool_forward_fast(x, POOL_PARAM)
        convref.max_pool_backward_fast(xp.ones_like(out), cache)
        synchronize(xp)

    fns: dict[str, Callable[[], object]] = {"ours": ours}
    if torch is not None and xp is np:
        tx = torch.from_numpy(x).requires_grad_()

        def pytorch() -> None:
            out = tnf.max_pool2d(tx, 2, 2)
            torch.autograd.grad(out, tx, torch.ones_like(out))

        fns["torch"] = pytorch
    t = interleaved_best(fns, repeat)
    return t["ours"], t.get("torch")


def naive_speedups(repeat: int) -> list[tuple[str, float, float]]:
    """(what, naive seconds, fast seconds) on the standard timing shape (NumPy)."""
    x, w, b, p = _data(STANDARD, np.float64, np)
    out, cache = convref.conv_forward_naive(x, w, b, p)
    dout = np.random.default_rng(2).standard_normal(out.shape)
    rows = [
        ("conv forward", best_time(lambda: convref.conv_forward_naive(x, w, b, p), 2),
         best_time(lambda: convref.conv_forward_im2col(x, w, b, p), repeat)),
        ("conv backward", best_time(lambda: convref.conv_backward_naive(dout, cache), 2),
         best_time(lambda: convref.conv_backward_im2col(dout, cache), repeat)),
    ]
    xp_ = np.random.default_rng(3).standard_normal((100, 3, 32, 32))
    pool_out, naive_cache = convref.max_pool_forward_naive(xp_, POOL_PARAM)
    _, fast_cache = convref.max_pool_forward_fast(xp_, POOL_PARAM)
    rows += [
        ("max pool forward", best_time(lambda: convref.max_pool_forward_naive(xp_, POOL_PARAM), 2),
         best_time(lambda: convref.max_pool_forward_fast(xp_, POOL_PARAM), repeat)),
        ("max pool backward",
         best_time(lambda: convref.max_pool_backward_naive(pool_out, naive_cache), 2),
         best_time(lambda: convref.max_pool_backward_fast(pool_out, fast_cache), repeat)),
    ]
    return rows


def _ratios(ours: list[float], other: list[float | None]) -> list[float]:
    return [a / b for a, b in zip(ours, other, strict=True) if b]


def _spread(values: list[float]) -> str:
    """Median ratio, and the range over rounds when there are several."""
    if not values:
        return "-"
    mid = f"{statistics.median(values):.2f}x"
    if len(values) == 1:
        return mid
    return f"{mid} ({min(values):.2f}-{max(values):.2f})"


def _verdict(values: list[float], target: float | None) -> str:
    if not values or target is None:
        return "-"
    return "ok" if statistics.median(values) <= target else f"MISS (<= {target})"


def describe_machine(xp: ModuleType) -> str:
    """Versions, threads and the BLAS kernel, for the table's heading."""
    lines = [
        f"backend: {backend_name(xp)} (CONVREF_DEVICE={os.environ.get('CONVREF_DEVICE', 'unset')})",
        f"NumPy {np.__version__}; PyTorch {torch.__version__ if torch else 'not installed'}"
        + (f" ({torch.get_num_threads()} threads)" if torch else "")
        + f"; {os.cpu_count()} CPUs",
    ]
    if threadpoolctl is not None:
        for pool in threadpoolctl.threadpool_info():
            if pool.get("user_api") == "blas":
                lines.append(
                    f"BLAS: {pool.get('internal_api')} {pool.get('version')}, "
                    f"kernel {pool.get('architecture')}, {pool.get('num_threads')} threads"
                )
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in os.environ:
            lines.append(f"note: {var}={os.environ[var]} is set; it can slow NumPy's GEMM")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed calls per measurement")
    parser.add_argument("--rounds", type=int, default=3,
                        help="measure everything this many times; print median and range")
    parser.add_argument("--skip-naive", action="store_true", help="skip the slow naive loops")
    parser.add_argument("--quick", action="store_true",
                        help="one tiny layer, no pooling or naive loops (a smoke test)")
    args = parser.parse_args(argv)
    xp = get_backend()
    print(describe_machine(xp) + "\n")

    if not (args.skip_naive or args.quick):
        print("Naive loops vs fast path, standard timing shape (float64, NumPy)")
        print(f"{'operation':<20}{'naive':>12}{'fast':>12}{'speedup':>12}")
        for what, slow, fast in naive_speedups(args.repeat):
            print(f"{what:<20}{slow * 1e3:>10.1f}ms{fast * 1e3:>10.2f}ms{slow / fast:>11.0f}x")
        print()

    cases = QUICK_CASES if args.quick else CASES
    print("Conv (im2col) vs torch.nn.functional.conv2d, timed in turns. Times: the best call")
    print("of all rounds. GEMMs = the layer's own matrix multiplies alone, same shapes, on")
    print("precomputed columns. Ratios: per round, best/best; median over rounds (min-max).")
    header = (f"{'layer':<46}{'dtype':<8}{'pass':<9}{'ours':>9}{'GFLOP/s':>8}{'GEMMs':>9}"
              f"{'PyTorch':>9}  {'ours/GEMMs':<21}{'ours/PyTorch':<21}target")
    print(header)
    for case in cases:
        flops = conv_flops(case)
        for dtype in (np.float32, np.float64):
            rows = {"forward": Row([], [], []), "backward": Row([], [], [])}
            for _ in range(args.rounds):
                for label, (ours, gemm, theirs) in time_conv(case, dtype, xp, args.repeat).items():
                    rows[label].ours.append(ours)
                    rows[label].gemm.append(gemm)
                    rows[label].torch.append(theirs)
            for label, row in rows.items():
                target = case.fwd_target if label == "forward" else case.bwd_target
                if dtype is np.float64:  # float64: no slower than PyTorch's float64 forward
                    target = 1.0 if label == "forward" else None
                vs_torch = _ratios(row.ours, row.torch)
                ours = min(row.ours)
                work = flops if label == "forward" else 2 * flops
                theirs = min([t for t in row.torch if t] or [0]) or None
                torch_ms = f"{theirs * 1e3:.1f}ms" if theirs else "-"
                print(f"{case.name:<46}{np.dtype(dtype).name:<8}{label:<9}{ours * 1e3:>7.1f}ms"
                      f"{work / ours / 1e9:>8.1f}{min(row.gemm) * 1e3:>7.1f}ms"
                      f"{torch_ms:>9}  {_spread(_ratios(row.ours, row.gemm)):<21}"
                      f"{_spread(vs_torch):<21}{_verdict(vs_torch, target)}")
    if args.quick:
        return
    print()
    print(f"Max pool 2x2/2 forward+backward on {POOL_SHAPE} vs torch max_pool2d")
    for dtype in (np.float32, np.float64):
        ours_t, theirs_t = [], []
        for _ in range(args.rounds):
            ours, theirs = time_pool(dtype, xp, args.repeat)
            ours_t.append(ours)
            theirs_t.append(theirs)
        ratios = _ratios(ours_t, theirs_t)
        theirs = min([t for t in theirs_t if t] or [0]) or None
        torch_ms = f"{theirs * 1e3:.1f}ms" if theirs else "-"
        print(f"{np.dtype(dtype).name:<8}{min(ours_t) * 1e3:>8.1f}ms{torch_ms:>10}"
              f"  {_spread(ratios):<21}{_verdict(ratios, 1.5)}")


if __name__ == "__main__":
    main()
