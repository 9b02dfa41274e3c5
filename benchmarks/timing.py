"""Best-of-N wall-clock timing: the least noisy estimate on a shared machine."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_time(fn: Callable[[], object], repeat: int = 5, budget_s: float = 10.0) -> float:
    """Seconds of the fastest of ``repeat`` calls.

    The first call, which also warms up, counts too: a slow naive loop may get
    no other. Stops early once ``budget_s`` seconds have been spent.
    """
    start = time.perf_counter()
    fn()
    best = time.perf_counter() - start
    spent = best
    for _ in range(repeat - 1):
        if spent > budget_s:
            break
        t0 = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - t0
        best = min(best, elapsed)
        spent += elapsed
    return best


def interleaved_best(
    fns: dict[str, Callable[[], object]], repeat: int = 5, budget_s: float = 20.0,
    burst: int = 3,
) -> dict[str, float]:
    """Best-of-``repeat`` seconds for each function, timed in turns.

    Each turn calls every function ``burst`` times in a row, so a burst of load
    from other programs hits all of them alike: their ratios stay meaningful on
    a busy machine. Only the calls after the first of a burst are timed: a call
    made right after another library's (OpenBLAS's threads keep spinning for a
    while after a GEMM returns) competes with those threads for the cores, which
    made PyTorch look up to 2x slower than when it runs alone.
    """
    for fn in fns.values():  # warm-up
        fn()
    best = dict.fromkeys(fns, float("inf"))
    start = time.perf_counter()
    for _ in range(repeat):
        for name, fn in fns.items():
            for k in range(burst):
                t0 = time.perf_counter()
                fn()
                if k or burst == 1:  # the first settles the other library's threads
                    best[name] = min(best[name], time.perf_counter() - t0)
        if time.perf_counter() - start > budget_s:
            break
    return best
