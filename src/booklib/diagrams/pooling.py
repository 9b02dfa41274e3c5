"""Max pooling on one depth slice: the windows and their maxima (forward), and
where the upstream gradient goes (backward). Numbers from convref's naive
pooling layers."""

from __future__ import annotations

import numpy as np

from booklib.svg import BLUE, GREEN, GREY, LIGHT, ORANGE, PURPLE, RED, TEAL, Canvas, Picture, num
from convref import avg_pool_forward, max_pool_backward_naive, max_pool_forward_naive

WINDOW_COLOURS = [BLUE, RED, GREEN, PURPLE, ORANGE, TEAL]


def _pool(x: np.ndarray, field: int, stride: int, dout: np.ndarray | None = None):
    x4 = np.asarray(x, dtype=float)[None, None]
    param = {"pool_height": field, "pool_width": field, "stride": stride}
    out, cache = max_pool_forward_naive(x4, param)
    if dout is None:
        dout = np.ones_like(out)
    dx = max_pool_backward_naive(np.asarray(dout, dtype=float).reshape(out.shape), cache)
    return out[0, 0], dx[0, 0], np.asarray(dout, dtype=float).reshape(out.shape[2:])


def _windows(c: Canvas, x0, y0, cell, n_out, field, stride) -> None:
    for k in range(n_out * n_out):
        y, z = divmod(k, n_out)
        inset = 2 + 3 * (k % 4)
        c.rect(x0 + z * stride * cell + inset, y0 + y * stride * cell + inset,
               field * cell - 2 * inset, field * cell - 2 * inset,
               stroke=WINDOW_COLOURS[k % len(WINDOW_COLOURS)], width=2.4)


def max_pool_forward(x, field: int, stride: int) -> tuple[Picture, np.ndarray]:
    """The slice with each window outlined, and the pooled output in the
    windows' colours; returns the picture and the output."""
    x = np.asarray(x)
    out, _, _ = _pool(x, field, stride)
    n_out = out.shape[0]
    cell = 40
    c = Canvas(440, 60 + x.shape[0] * cell + 20)
    c.text(16, 26, f"{x.shape[0]}x{x.shape[1]} slice, {field}x{field} windows, stride {stride}",
           size=15, anchor="start", weight="bold")
    top = 50
    winners = np.zeros(x.shape, dtype=bool)
    for y in range(n_out):
        for z in range(n_out):
            win = x[y * stride:y * stride + field, z * stride:z * stride + field]
            i, j = np.unravel_index(np.argmax(win), win.shape)
            winners[y * stride + i, z * stride + j] = True
    fills = [["#fdf2c4" if winners[i, j] else "white" for j in range(x.shape[1])]
             for i in range(x.shape[0])]
    c.grid(16, top, x, cell=cell, fills=fills, size=16)
    _windows(c, 16, top, cell, n_out, field, stride)
    ox = 16 + x.shape[1] * cell + 70
    c.line(ox - 60, top + x.shape[0] * cell / 2, ox - 12, top + x.shape[0] * cell / 2,
           arrow=True, width=2)
    c.text(ox - 36, top + x.shape[0] * cell / 2 - 10, "max", size=14)
    ocell = 44
    oy = top + (x.shape[0] * cell - n_out * ocell) / 2
    fills = [[LIGHT[WINDOW_COLOURS[(y * n_out + z) % 6]] for z in range(n_out)]
             for y in range(n_out)]
    c.grid(ox, oy, out, cell=ocell, fills=fills, size=17)
    c.text(ox + n_out * ocell / 2, oy + n_out * ocell + 22, f"{n_out}x{n_out}", size=15)
    desc = (
        f"A {x.shape[0]}x{x.shape[1]} grid of numbers with {n_out * n_out} "
        f"{field}x{field} windows outlined in colour"
        + (", overlapping by one row or column" if stride < field else "")
        + f"; each window's largest number is shaded. An arrow labelled max leads to the "
        f"{n_out}x{n_out} output: {', '.join(num(v) for v in out.ravel())}."
    )
    return c.picture(f"Max pooling {field}x{field} at stride {stride}", desc), out


def max_pool_backward(x, field: int, stride: int, dout=None) -> tuple[Picture, np.ndarray]:
    """The upstream gradient (ones unless given) and the input gradient it
    becomes: each output's gradient lands on its window's maximum."""
    x = np.asarray(x)
    out, dx, dout = _pool(x, field, stride, dout)
    n_out = out.shape[0]
    cell = 40
    c = Canvas(440, 60 + x.shape[0] * cell + 40)
    c.text(16, 26, "Backward: gradients go to the maxima", size=15, anchor="start",
           weight="bold")
    top = 56
    ocell = 44
    c.text(16 + n_out * ocell / 2, top - 8, f"upstream {n_out}x{n_out}", size=14)
    fills = [[LIGHT[WINDOW_COLOURS[(y * n_out + z) % 6]] for z in range(n_out)]
             for y in range(n_out)]
    c.grid(16, top, dout, cell=ocell, fills=fills, size=17)
    ix = 16 + n_out * ocell + 70
    c.line(ix - 60, top + n_out * ocell / 2, ix - 12, top + n_out * ocell / 2, arrow=True,
           width=2)
    fills = [["#fdf2c4" if dx[i, j] else "white" for j in range(x.shape[1])]
             for i in range(x.shape[0])]
    c.text(ix + x.shape[1] * cell / 2, top - 8,
           f"input gradient {x.shape[0]}x{x.shape[1]}", size=14)
    c.grid(ix, top, dx, cell=cell, fills=fills, size=16)
    _windows(c, ix, top, cell, n_out, field, stride)
    doubles = int((dx > dout.max()).sum()) if dout.size else 0
    note = "zeros: inputs that lost their window"
    c.text(16, top + x.shape[0] * cell + 28, note, size=14, anchor="start", fill=GREY)
    desc = (
        f"Left: the {n_out}x{n_out} upstream gradient "
        f"({', '.join(num(v) for v in dout.ravel())}). Right: the {x.shape[0]}x{x.shape[1]} "
        f"input gradient with the same windows outlined. Each window's gradient is written "
        f"on the cell that held its maximum; every other cell gets 0"
        + (f"; {doubles} cell wins two windows and receives the sum" if doubles else "")
        + f". Input gradient row by row: {', '.join(num(v) for v in dx.ravel())}."
    )
    return c.picture("How max pooling routes the gradient", desc), dx


def pooling_functions(x, field: int = 2, stride: int = 2) -> Picture:
    """Max, average and L2-norm pooling of the same slice, side by side."""
    x4 = np.asarray(x, dtype=float)[None, None]
    param = {"pool_height": field, "pool_width": field, "stride": stride}
    results = [
        ("max", max_pool_forward_naive(x4, param)[0][0, 0]),
        ("average", avg_pool_forward(x4, param)[0][0, 0]),
        ("L2 norm", np.sqrt(avg_pool_forward(x4**2, param)[0][0, 0] * field * field)),
    ]
    cell = 56
    c = Canvas(440, 210)
    c.text(16, 26, f"Three ways to summarise each {field}x{field} window", size=15,
           anchor="start", weight="bold")
    for k, (name, values) in enumerate(results):
        x0 = 16 + k * 145
        c.text(x0 + values.shape[1] * cell / 2, 62, name, size=15, weight="bold")
        text = [[f"{v:.3g}" for v in row] for row in values]
        c.grid(x0, 76, text, cell=cell, fills=LIGHT[[RED, BLUE, GREEN][k]], size=15)
    desc = "The same slice pooled three ways. " + " ".join(
        f"{name}: {', '.join(f'{v:.3g}' for v in values.ravel())}." for name, values in results
    )
    return c.picture("Max, average and L2-norm pooling", desc)
