"""Pictures made of arrays: activation maps of hand-made filters, receptive
fields measured by backpropagation, and a CONV layer's weight matrix."""

from __future__ import annotations

import io

import numpy as np
from matplotlib import colormaps
from matplotlib.image import imsave

from booklib.receptive import measured_size, path_counts
from booklib.svg import BLUE, GREY, Canvas, Picture, num
from convref import conv_forward_im2col, relu_forward


def _png(values: np.ndarray, cmap: str | None = "gray", rgb: bool = False) -> bytes:
    """A PNG of a map; with ``rgb``, of an (H, W, 3) image in [0, 1]."""
    buf = io.BytesIO()
    if rgb:
        imsave(buf, np.clip(values, 0, 1), format="png")
    else:
        v = np.asarray(values, dtype=float)
        lo, hi = float(v.min()), float(v.max())
        imsave(buf, v, cmap=cmap, vmin=lo, vmax=hi if hi > lo else lo + 1, format="png")
    return buf.getvalue()


def _counts_png(counts: np.ndarray) -> bytes:
    """Path counts on white: zero stays white, one path is already a clear colour."""
    rgba = colormaps["viridis"](0.15 + 0.85 * counts / max(counts.max(), 1))
    rgba[counts == 0] = 1.0
    return _png(rgba[..., :3], rgb=True)


def toy_image(size: int = 32) -> np.ndarray:
    """A small RGB scene (1, 3, size, size) in [0, 1]: a red square, a blue disc, a green bar."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    img = np.full((3, size, size), 0.15)
    square = (xx > 0.1) & (xx < 0.45) & (yy > 0.12) & (yy < 0.47)
    disc = (xx - 0.68) ** 2 + (yy - 0.68) ** 2 < 0.2**2
    bar = (np.abs((xx + yy) - 0.95) < 0.07) & ~square & ~disc
    img[0][square] = 0.9
    img[2][disc] = 0.9
    img[1][bar] = 0.8
    return img[None]


def toy_filters() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Four hand-made 3x3x3 filters: two edge detectors, a colour detector and a spot detector."""
    vertical = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float)
    spot = -np.ones((3, 3)) / 8
    spot[1, 1] = 1.0
    w = np.zeros((4, 3, 3, 3))
    w[0] = vertical / 3  # same edge filter on every channel: responds to brightness edges
    w[1] = vertical.T / 3
    w[2, :, 1, 1] = [-0.5, -0.5, 1.0]  # blue minus the rest, at the centre only
    w[3] = spot / 3
    names = ["vertical edges", "horizontal edges", "blueness", "small spots"]
    return w, np.zeros(4), names


def activation_maps() -> tuple[Picture, tuple[int, ...]]:
    """The toy image and the ReLU activation map of each toy filter, in a 3x2
    grid that stays legible on a phone; also the output shape (N, K, H, W)."""
    x = toy_image()
    w, b, names = toy_filters()
    out, _ = conv_forward_im2col(x, w, b, {"stride": 1, "pad": 1})
    maps, _ = relu_forward(out)
    c = Canvas(440, 330)
    tile, gap = 124, 14
    panels = [(f"input {x.shape[2]}x{x.shape[3]}x{x.shape[1]}", _png(
        x[0].transpose(1, 2, 0), rgb=True))]
    panels += [(name, _png(maps[0, k])) for k, name in enumerate(names)]
    for k, (label, png) in enumerate(panels):
        r, col = divmod(k, 3)
        x0, y0 = 8 + col * (tile + gap), 8 + r * (tile + 36)
        c.text(x0, y0 + 14, label, size=14, anchor="start")
        c.image(x0, y0 + 22, tile, tile, png)
        c.rect(x0, y0 + 22, tile, tile, stroke=GREY, width=0.8)
    peaks = ", ".join(f"{names[k]} {maps[0, k].max():.2f}" for k in range(len(names)))
    desc = (
        "A small synthetic colour image (a red square top left, a blue disc bottom right, "
        "a green diagonal bar between them) and four grey activation maps, white where the "
        "filter responds: the vertical-edge map lights the left and right edges of the "
        "shapes, the horizontal-edge map their top and bottom edges, the blueness map the "
        f"disc, the spot map small bright details. Largest responses: {peaks}."
    )
    return c.picture("Activation maps of four filters", desc), tuple(int(s) for s in maps.shape)


def receptive_fields(size: int = 17) -> Picture:
    """Receptive field of the centre neuron after 1, 2, 3 stacked 3x3 layers,
    contiguous (top row) and with dilations 1, 2, 4 (bottom row)."""
    rows = [([1, 1, 1], "ordinary 3x3"), ([1, 2, 4], "dilations 1, 2, 4")]
    c = Canvas(440, 370)
    tile, gap = 128, 18
    found = []
    for r, (dilations, label) in enumerate(rows):
        y0 = 8 + r * (tile + 58)
        c.text(8, y0 + 16, label, size=15, anchor="start", weight="bold")
        for depth, counts in enumerate(path_counts(3, dilations, size), start=1):
            x0 = 8 + (depth - 1) * (tile + gap)
            side = measured_size(counts)
            found.append((label, depth, side))
            c.text(x0, y0 + 38, f"{depth} layer{'s' if depth > 1 else ''}: {side}x{side}",
                   size=14, anchor="start")
            c.image(x0, y0 + 46, tile, tile, _counts_png(counts))
            c.rect(x0, y0 + 46, tile, tile, stroke=GREY, width=0.8)
    desc = (
        f"Six {size}x{size} grids. Each colours the input pixels that one neuron depends on, "
        "on white, brighter where more paths lead to it. " + "; ".join(
            f"{label}, {depth} layer{'s' if depth > 1 else ''}: {side}x{side}"
            for label, depth, side in found
        ) + "."
    )
    return c.picture("Receptive fields of stacked 3x3 layers", desc)


def weight_matrix(matrix: np.ndarray, rows_name: str, cols_name: str) -> Picture:
    """A (small) FC weight matrix as a table: zeros blank, the rest written out."""
    n_rows, n_cols = matrix.shape
    cell_w, cell_h = 32, 18
    c = Canvas(max(40 + cell_w * n_cols + 10, 280), 64 + cell_h * n_rows + 34)
    c.text(8, 18, f"columns: {cols_name}", size=13, anchor="start", fill=GREY)
    c.text(8, 36, f"rows: {rows_name}", size=13, anchor="start", fill=GREY)
    for j in range(n_cols):
        c.text(40 + (j + 0.5) * cell_w, 58, str(j), size=13, fill=GREY)
    for i in range(n_rows):
        c.text(32, 64 + (i + 0.75) * cell_h, str(i), size=13, anchor="end", fill=GREY)
        for j in range(n_cols):
            v = matrix[i, j]
            c.rect(40 + j * cell_w, 64 + i * cell_h, cell_w, cell_h,
                   fill="#dbe9f8" if v else "white", stroke="#c5ccd3", width=0.6)
            if v:
                c.text(40 + (j + 0.5) * cell_w, 64 + (i + 0.75) * cell_h, num(v), size=13,
                       fill=BLUE)
    nonzero = int((matrix != 0).sum())
    c.text(8, 64 + cell_h * n_rows + 24, f"{n_rows} x {n_cols} entries, {nonzero} of "
           f"{matrix.size} non-zero", size=13, anchor="start", fill=GREY)
    desc = (
        f"A table of {n_rows} rows ({rows_name}) by {n_cols} columns ({cols_name}). Only "
        f"{nonzero} of its {matrix.size} entries are non-zero, shaded and written out; each "
        "column holds the same few weights, shifted down to the pixels its neuron sees."
    )
    return c.picture("A CONV layer as an FC weight matrix", desc)
