"""im2col: every receptive field becomes one column of a matrix."""

from __future__ import annotations

import numpy as np

from booklib.svg import BLUE, GREEN, GREY, LIGHT, ORANGE, PURPLE, RED, TEAL, Canvas, Picture
from convref import im2col

FIELD_COLOURS = [BLUE, RED, GREEN, PURPLE, ORANGE, TEAL]


def columns(channels: int = 2, size: int = 4, field: int = 3) -> tuple[Picture, tuple[int, int]]:
    """An input whose pixels hold their own index, and the ``X_col`` that
    :func:`convref.im2col` makes of it; returns the picture and ``X_col``'s shape."""
    x = np.arange(channels * size * size).reshape(1, channels, size, size)
    cols = im2col(x, field, field, stride=1, pad=0)
    n_fields = cols.shape[1]
    if n_fields > len(FIELD_COLOURS):
        raise ValueError(f"{n_fields} fields: the figure has colours for {len(FIELD_COLOURS)}")
    n_out = size - field + 1
    cell, row_h, col_w = 34, 20, 40
    height = max(40 + cols.shape[0] * row_h + 20, 40 + channels * (size * cell + 40))
    c = Canvas(440, height)
    c.text(16, 24, "input x", size=15, anchor="start", weight="bold")
    for ch in range(channels):
        top = 56 + ch * (size * cell + 40)
        c.text(16, top - 8, f"x[0, {ch}]", size=14, anchor="start", mono=True)
        c.grid(16, top, x[0, ch], cell=cell, fills="white", size=14)
        for k in range(n_fields):
            y, z = divmod(k, n_out)
            inset = 1.5 + 2.5 * k
            c.rect(16 + z * cell + inset, top + y * cell + inset, field * cell - 2 * inset,
                   field * cell - 2 * inset, stroke=FIELD_COLOURS[k], width=2)
    left = 200
    c.text(left, 24, f"X_col {cols.shape[0]}x{cols.shape[1]}", size=15, anchor="start",
           weight="bold")
    for j in range(n_fields):
        colour = FIELD_COLOURS[j]
        for i in range(cols.shape[0]):
            c.rect(left + j * col_w, 40 + i * row_h, col_w, row_h, fill=LIGHT[colour],
                   stroke="#b0bac4", width=0.6)
            c.text(left + (j + 0.5) * col_w, 40 + i * row_h + 15, f"{cols[i, j]:g}", size=14)
    for i in range(0, cols.shape[0], field * field):
        c.text(left + n_fields * col_w + 8, 40 + i * row_h + 15,
               f"c = {i // (field * field)}", size=14, anchor="start", fill=GREY)
    desc = (
        f"Left: {channels} channels of a {size}x{size} input whose cells hold the numbers 0 "
        f"to {x.size - 1}, with {n_fields} overlapping {field}x{field} windows outlined in "
        f"{n_fields} colours. Right: the matrix X_col with {cols.shape[0]} rows and "
        f"{n_fields} columns; column k, in window k's colour, lists window k's numbers "
        f"channel by channel, row by row. The first column reads "
        f"{', '.join(f'{v:g}' for v in cols[:field * field, 0])}, and so on."
    )
    return c.picture("im2col: one column per receptive field", desc), tuple(cols.shape)


def matrix_shapes(w_row: tuple[int, int], x_col: tuple[int, int], out: tuple[int, int, int]
                  ) -> Picture:
    """``W_row @ X_col`` as blocks with their sizes, and the reshape to the output."""
    (k, n), (n2, m) = w_row, x_col
    if n != n2:
        raise ValueError(f"W_row {w_row} and X_col {x_col} cannot be multiplied")
    c = Canvas(440, 290)
    c.text(16, 24, "One matrix multiply computes the whole layer", size=15, anchor="start",
           weight="bold")
    # sizes drawn on a square-root scale so that 96 and 3025 both show
    s = 4.2

    def size(v: int) -> float:
        return s * v**0.5

    wx, wy = 16, 60
    c.rect(wx, wy, size(n), size(k), fill=LIGHT[RED], stroke=RED, width=1.5)
    c.text(wx + size(n) / 2, wy + size(k) + 20, f"W_row {k}x{n}", size=14)
    c.text(wx + size(n) + 10, wy + size(k) / 2 + 5, "×", size=18, anchor="start")
    xx = wx + size(n) + 30
    c.rect(xx, wy, min(size(m), 440 - xx - 10), size(n), fill=LIGHT[BLUE], stroke=BLUE,
           width=1.5)
    c.text(xx + min(size(m), 440 - xx - 10) / 2, wy + size(n) + 20, f"X_col {n}x{m}", size=14)
    py = wy + size(n) + 56
    c.text(16, py, "=", size=18, anchor="start")
    c.rect(40, py - 14, min(size(m), 300), size(k), fill=LIGHT[GREEN], stroke=GREEN, width=1.5)
    c.text(40 + min(size(m), 300) / 2, py + size(k) + 6, f"{k}x{m}", size=14)
    c.text(350, py + 10, "reshape to", size=14)
    c.text(350, py + 30, f"{out[0]}x{out[1]}x{out[2]}", size=15, weight="bold")
    c.text(16, 278, f"a row per filter, a column per field ({n} each)", size=14,
           anchor="start", fill=GREY)
    desc = (
        f"Three rectangles drawn to scale by the square root of their sides: W_row with "
        f"{k} rows (one per filter) and {n} columns, times X_col with {n} rows and {m} "
        f"columns (one per receptive field), equals a {k}x{m} result, which is reshaped "
        f"into the {out[0]}x{out[1]}x{out[2]} output volume."
    )
    return c.picture("Convolution as W_row times X_col", desc)
