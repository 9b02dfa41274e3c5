"""Speed of convref's layers: naive vs fast, and fast vs PyTorch on the CPU.

Run with ``make bench`` (or ``python -m benchmarks.bench_layers``). PyTorch
comes from the optional ``bench`` extra; without it the PyTorch columns are
empty. Ratios are ours / theirs, measured in the same run, so the machine's
load affects both sides alike.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass

import numpy as np

import convref
from benchmarks.timing import best_time

try:  # optional: the `bench` extra
    import torch
    import torch.nn.functional as tnf
except ImportError:  # pragma: no cover - depends on the environment
    torch = None


@dataclass(frozen=True)
class ConvCase:
    name: str
    x_shape: tuple[int, int, int, int]
    w_shape: tuple[int, int, int, int]
    stride: int
    pad: int
    # Targets for ours/PyTorch (forward float32, backward float32); None = no target.
    fwd_target: float | None = None
    bwd_target: float | None = None


CASES = [
    ConvCase("standard timing (100x3x31x31, 25 3x3, s2 p1)", (100, 3, 31, 31), (25, 3, 3, 3), 2, 1),
    ConvCase("CIFAR-10 batch (50x3x32x32, 32 7x7, p3)", (50, 3, 32, 32), (32, 3, 7, 7), 1, 3, 3.0),
    ConvCase(
        "VGG-like (8x64x56x56, 128 3x3, p1)", (8, 64, 56, 56), (128, 64, 3, 3), 1, 1, 1.4, 1.5
    ),
]
POOL_SHAPE = (50, 64, 32, 32)
POOL_PARAM = {"pool_height": 2, "pool_width": 2, "stride": 2}
STANDARD = CASES[0]


def conv_flops(case: ConvCase) -> float:
    N, C, H, W = case.x_shape
    F, _, HH, WW = case.w_shape
    ho = convref.conv_output_size(H, HH, case.stride, case.pad)
    wo = convref.conv_output_size(W, WW, case.stride, case.pad)
    return 2.0 * N * F * ho * wo * C * HH * WW


def _data(case: ConvCase, dtype: type) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(case.x_shape).astype(dtype)
    w = rng.standard_normal(case.w_shape).astype(dtype)
    b = rng.standard_normal(case.w_shape[0]).astype(dtype)
    return x, w, b, {"stride": case.stride, "pad": case.pad}


def time_ours(case: ConvCase, dtype: type, repeat: int) -> tuple[float, float]:
    x, w, b, p = _data(case, dtype)
    out, cache = convref.conv_forward_im2col(x, w, b, p)
    dout = np.ones_like(out)
    fwd = best_time(lambda: convref.conv_forward_im2col(x, w, b, p), repeat)
    bwd = best_time(lambda: convref.conv_backward_im2col(dout, cache), repeat)
    return fwd, bwd


def time_gemm_alone(case: ConvCase, dtype: type, repeat: int) -> float:
    """The forward pass's matrix multiply by itself, on precomputed columns: a floor."""
    x, w, _, p = _data(case, dtype)
    cols = convref.im2col(x, case.w_shape[2], case.w_shape[3], p["stride"], p["pad"])
    w_row = w.reshape(case.w_shape[0], -1)
    return best_time(lambda: w_row @ cols, repeat)


def time_torch(case: ConvCase, dtype: type, repeat: int) -> tuple[float, float] | None:
    if torch is None:
        return None
    x, w, b, p = (torch.from_numpy(a).requires_grad_() if isinstance(a, np.ndarray) else a
                  for a in _data(case, dtype))
    with torch.no_grad():
        fwd = best_time(lambda: tnf.conv2d(x, w, b, stride=p["stride"], padding=p["pad"]), repeat)
    out = tnf.conv2d(x, w, b, stride=p["stride"], padding=p["pad"])
    dout = torch.ones_like(out)
    bwd = best_time(
        lambda: torch.autograd.grad(out, (x, w, b), dout, retain_graph=True), repeat
    )
    return fwd, bwd


def time_pool(dtype: type, repeat: int) -> tuple[float, float | None]:
    x = np.random.default_rng(1).standard_normal(POOL_SHAPE).astype(dtype)

    def ours() -> None:
        out, cache = convref.max_pool_forward_fast(x, POOL_PARAM)
        convref.max_pool_backward_fast(np.ones_like(out), cache)

    theirs = None
    if torch is not None:
        tx = torch.from_numpy(x).requires_grad_()

        def pytorch() -> None:
            out = tnf.max_pool2d(tx, 2, 2)
            torch.autograd.grad(out, tx, torch.ones_like(out))

        theirs = best_time(pytorch, repeat)
    return best_time(ours, repeat), theirs


def naive_speedups(repeat: int) -> list[tuple[str, float, float]]:
    """(what, naive seconds, fast seconds) on the standard timing shape."""
    x, w, b, p = _data(STANDARD, np.float64)
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


def _fmt_ratio(ours: float, theirs: float | None, target: float | None) -> tuple[str, str]:
    if theirs is None:
        return "-", "-"
    ratio = ours / theirs
    verdict = "-" if target is None else ("ok" if ratio <= target else f"MISS (<= {target})")
    return f"{ratio:.2f}x", verdict


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed calls per measurement")
    parser.add_argument("--skip-naive", action="store_true", help="skip the slow naive loops")
    args = parser.parse_args(argv)

    threads = os.environ.get("OMP_NUM_THREADS", "all")
    print(f"NumPy {np.__version__}; PyTorch {torch.__version__ if torch else 'not installed'}; "
          f"{os.cpu_count()} CPUs; OMP_NUM_THREADS={threads}\n")

    if not args.skip_naive:
        print("Naive loops vs fast path, standard timing shape (float64)")
        print(f"{'operation':<20}{'naive':>12}{'fast':>12}{'speedup':>12}")
        for what, slow, fast in naive_speedups(args.repeat):
            print(f"{what:<20}{slow * 1e3:>10.1f}ms{fast * 1e3:>10.2f}ms{slow / fast:>11.0f}x")
        print()

    header = (f"{'layer':<46}{'dtype':<8}{'pass':<9}{'ours':>10}{'GFLOP/s':>9}"
              f"{'GEMM':>10}{'PyTorch':>10}{'ratio':>8}  target")
    print("Conv (im2col) vs torch.nn.functional.conv2d (ratio = ours / PyTorch);")
    print("GEMM = NumPy's matrix multiply alone on precomputed columns (x2 for backward)")
    print(header)
    for case in CASES:
        flops = conv_flops(case)
        for dtype in (np.float32, np.float64):
            fwd, bwd = time_ours(case, dtype, args.repeat)
            gemm = time_gemm_alone(case, dtype, args.repeat)
            ref = time_torch(case, dtype, args.repeat)
            for label, ours, theirs, flop, target, floor in (
                ("forward", fwd, ref and ref[0], flops, case.fwd_target, gemm),
                ("backward", bwd, ref and ref[1], 2 * flops, case.bwd_target, 2 * gemm),
            ):
                if dtype is np.float64:  # float64 target: no slower than PyTorch's float64
                    target = 1.0 if label == "forward" else None
                ratio, verdict = _fmt_ratio(ours, theirs, target)
                torch_ms = f"{theirs * 1e3:.1f}ms" if theirs else "-"
                print(f"{case.name:<46}{np.dtype(dtype).name:<8}{label:<9}{ours * 1e3:>8.1f}ms"
                      f"{flop / ours / 1e9:>9.1f}{floor * 1e3:>8.1f}ms{torch_ms:>10}{ratio:>8}"
                      f"  {verdict}")
    print()
    print(f"Max pool 2x2/2 forward+backward on {POOL_SHAPE} vs torch max_pool2d")
    for dtype in (np.float32, np.float64):
        ours, theirs = time_pool(dtype, args.repeat)
        ratio, verdict = _fmt_ratio(ours, theirs, 1.5)
        torch_ms = f"{theirs * 1e3:.1f}ms" if theirs else "-"
        print(f"{np.dtype(dtype).name:<8}{ours * 1e3:>8.1f}ms{torch_ms:>10}{ratio:>8}  {verdict}")


if __name__ == "__main__":
    main()
