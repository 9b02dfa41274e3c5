"""Convolution along one axis: how the stride, the padding, the dilation and
the backward pass place a 3-tap filter. Every output drawn is computed by
:func:`convref.conv_forward_naive` on a one-row image."""

from __future__ import annotations

import numpy as np

from booklib.svg import BLUE, GREEN, GREY, INK, LIGHT, ORANGE, RED, Canvas, Picture, num
from convref import conv_forward_naive, conv_output_size

# The notes' 1-D example: W = 5, F = 3, P = 1, weights [1, 0, -1], bias 0.
ONE_D_INPUT = (1, 2, -1, 1, -3)
ONE_D_WEIGHTS = (1, 0, -1)
WEIGHT_COLOURS = {1: BLUE, 0: GREY, -1: RED}


def conv_1d(x, w, stride: int = 1, pad: int = 0, dilation: int = 1) -> np.ndarray:
    """A 1-D convolution as convref's 2-D one on a single row.

    The row is padded here, with ``pad`` zeros at each end, and the layer runs
    with ``pad=0``: its own padding would add rows above and below as well.
    """
    row = np.pad(np.asarray(x, dtype=float), pad).reshape(1, 1, 1, -1)
    taps = np.asarray(w, dtype=float).reshape(1, 1, 1, -1)
    param = {"stride": stride, "pad": 0, "dilation": dilation}
    out, _ = conv_forward_naive(row, taps, np.zeros(1), param)
    return out[0, 0, 0]


def _cells(c: Canvas, values, x0: float, y: float, cell: float, pad: int, label: str) -> None:
    for i, v in enumerate(values):
        is_pad = i < pad or i >= len(values) - pad
        c.rect(x0 + i * cell, y, cell, cell, fill="#f2f2f2" if is_pad else LIGHT[BLUE],
               stroke=GREY if is_pad else BLUE)
        c.text(x0 + (i + 0.5) * cell, y + cell / 2 + 6, num(v), size=16,
               fill=GREY if is_pad else INK)
    c.text(x0, y - 10, label, size=14, anchor="start")


def spatial_arrangement(stride: int) -> tuple[Picture, np.ndarray]:
    """The notes' 1-D neuron (W=5, F=3, P=1, weights [1, 0, -1]) slid at ``stride``.

    Returns the picture and the outputs it shows.
    """
    x, w, pad = ONE_D_INPUT, ONE_D_WEIGHTS, 1
    out = conv_1d(x, w, stride=stride, pad=pad)
    n_out = conv_output_size(len(x), len(w), S=stride, P=pad)
    padded = [0, *x, 0]
    cell, x0 = 44, 14
    c = Canvas(440, 300)
    top, bottom = 40, 180
    _cells(c, padded, x0, top, cell, pad, f"input, W = {len(x)}, zero padding P = {pad}")
    for k in range(n_out):
        cx = x0 + (k * stride + 1.5) * cell
        for t, weight in enumerate(w):
            ix = x0 + (k * stride + t + 0.5) * cell
            colour = WEIGHT_COLOURS[weight]
            c.line(ix, top + cell, cx, bottom - 18, stroke=colour, width=2.2,
                   dash="5 4" if weight == 0 else None)
        c.circle(cx, bottom, 18, fill="#fdf2c4", stroke=ORANGE, width=2)
        c.text(cx, bottom + 6, num(out[k]), size=16, weight="bold")
    c.text(x0, bottom + 46, f"stride S = {stride}: (5 - 3 + 2)/{stride} + 1 = {n_out} outputs",
           size=15, anchor="start")
    c.text(x0, bottom + 72, "weights, shared by every output:", size=15, anchor="start")
    for i, weight in enumerate(w):
        lx = x0 + i * 130
        c.line(lx, bottom + 93, lx + 30, bottom + 93, stroke=WEIGHT_COLOURS[weight], width=3,
               dash="5 4" if weight == 0 else None)
        c.text(lx + 36, bottom + 98, f"w{i} = {num(weight)}", size=15, anchor="start")
    desc = (
        f"Five input numbers {', '.join(num(v) for v in x)} with a zero added at each end. "
        f"One neuron with weights {', '.join(num(v) for v in w)} and bias 0 is placed every "
        f"{stride} cell{'s' if stride > 1 else ''}; each yellow output circle is joined to its "
        f"three inputs and holds their weighted sum: {', '.join(num(v) for v in out)}."
    )
    return c.picture(f"1-D convolution at stride {stride}", desc), out


def stride_does_not_fit(stride: int = 3) -> Picture:
    """The same input and filter at a stride that does not tile the padded input."""
    x, pad, field = ONE_D_INPUT, 1, len(ONE_D_WEIGHTS)
    padded = [0, *x, 0]
    try:
        conv_output_size(len(x), field, S=stride, P=pad)
    except ValueError:
        pass  # convref refuses this stride: the case the figure shows
    else:
        raise ValueError(f"stride {stride} fits; the figure is about one that does not")
    cell, x0 = 44, 14
    c = Canvas(440, 210)
    _cells(c, padded, x0, 40, cell, pad, f"stride S = {stride} on the padded input")
    start, k = 0, 0
    while start < len(padded) + stride:
        fits = start + field <= len(padded)
        colour = GREEN if fits else RED
        y = 40 + cell + 14 + k * 26
        c.rect(x0 + start * cell + 3, y, field * cell - 6, 18, fill=LIGHT[colour],
               stroke=colour, width=2, dash=None if fits else "6 4")
        if fits:
            c.text(x0 + (start + field / 2) * cell, y + 14, f"window {k + 1}", size=14)
        else:
            c.text(x0 + start * cell - 6, y + 14, f"window {k + 1} falls off", size=14,
                   anchor="end", fill=RED)
        if not fits:
            break
        start += stride
        k += 1
    span = len(x) - field + 2 * pad
    c.text(x0, 196, f"(5 - 3 + 2)/{stride} + 1 = {span / stride + 1:.3g}: not a whole number",
           size=15, anchor="start")
    desc = (
        f"The seven padded inputs with windows of three cells placed every {stride} cells: "
        "the first two windows fit, the third would start past the last cell, so this "
        "stride cannot be used."
    )
    return c.picture(f"Stride {stride} does not fit", desc)


def dilated_taps(x, w, dilation: int) -> tuple[Picture, float]:
    """An ordinary 3-tap filter and the same filter with ``dilation`` (library
    convention: 1 = contiguous) on ``x``; returns the picture and the dilated
    filter's first output."""
    x = np.asarray(x, dtype=float)
    plain = conv_1d(x, w)
    dilated = conv_1d(x, w, dilation=dilation)
    cell, x0 = 40, 20
    c = Canvas(440, 330)
    for row, (d, out, title) in enumerate([
        (1, plain, "ordinary filter (notes: dilation 0)"),
        (dilation, dilated, f"dilation={dilation} here (notes: dilation {dilation - 1})"),
    ]):
        top = 30 + row * 155
        c.text(x0, top, title, size=15, anchor="start", weight="bold")
        for i, v in enumerate(x):
            c.rect(x0 + i * cell, top + 12, cell, cell, fill=LIGHT[BLUE], stroke=BLUE)
            c.text(x0 + (i + 0.5) * cell, top + 12 + cell / 2 + 6, num(v), size=15)
        cx = x0 + (d * (len(w) - 1) / 2 + 0.5) * cell
        oy = top + 112
        for t, weight in enumerate(w):
            ix = x0 + (t * d + 0.5) * cell
            c.text(ix, top + 12 + cell + 17, f"×{num(weight)}", size=14, fill=ORANGE,
                   weight="bold")
            c.line(ix, top + 12 + cell + 22, cx, oy - 18, stroke=ORANGE, width=2)
        c.circle(cx, oy, 18, fill="#fdf2c4", stroke=ORANGE, width=2)
        c.text(cx, oy + 6, num(out[0]), size=15, weight="bold")
        span = d * (len(w) - 1) + 1
        c.text(x0 + span * cell + 40, oy + 6, f"sees {span} inputs", size=15,
               anchor="start")
    desc = (
        f"Ten inputs 0 to 9. Top: an ordinary filter with weights "
        f"{', '.join(num(v) for v in w)} reads inputs 0, 1, 2 and gives {num(plain[0])}. "
        f"Bottom: with dilation {dilation} the same weights read inputs 0, {dilation}, "
        f"{2 * dilation} and give {num(dilated[0])}."
    )
    return c.picture("Dilated convolution in one dimension", desc), float(dilated[0])


def backward_taps(n_in: int = 5, w=("w0", "w1", "w2"), j: int = 2) -> Picture:
    """Which outputs input ``x_j`` feeds in ``y_i = sum_k w_k x_(i+k)``: its
    gradient collects ``w_k * dy_(j-k)``, the filter read backwards."""
    k = len(w)
    n_out = n_in - k + 1
    cell, x0 = 60, 70
    c = Canvas(440, 270)
    ytop, ybot = 40, 190
    c.text(16, ytop + 26, "x", size=16, italic=True, anchor="start")
    c.text(16, ybot + 6, "dL/dy", size=15, italic=True, anchor="start")
    for i in range(n_in):
        hot = i == j
        c.rect(x0 + i * cell + 6, ytop, cell - 12, 40, fill="#fdf2c4" if hot else LIGHT[BLUE],
               stroke=ORANGE if hot else BLUE, width=2 if hot else 1)
        c.text(x0 + (i + 0.5) * cell, ytop + 26, f"x{i}", size=16)
    out_x = [x0 + (i + 1.5) * cell for i in range(n_out)]
    for i, ox in enumerate(out_x):
        c.circle(ox, ybot, 20, fill=LIGHT[GREEN], stroke=GREEN, width=1.5)
        c.text(ox, ybot + 6, f"dy{i}", size=14)
    for i in range(n_out):
        for t in range(k):
            src = i + t
            ix = x0 + (src + 0.5) * cell
            hot = src == j
            c.line(ix, ytop + 40, out_x[i], ybot - 20, stroke=ORANGE if hot else "#c2c9d1",
                   width=2.5 if hot else 1)
            if hot:
                lx = ix + 0.72 * (out_x[i] - ix)
                ly = ytop + 40 + 0.72 * (ybot - 20 - ytop - 40)
                c.text(lx + (8 if out_x[i] >= ix else -8), ly,
                       w[t], size=15, anchor="start" if out_x[i] >= ix else "end",
                       weight="bold", fill=ORANGE)
    terms = " + ".join(f"{w[j - i]}·dy{i}" for i in range(n_out) if 0 <= j - i < k)
    c.text(16, 250, f"dL/dx{j} = {terms}", size=15, anchor="start")
    desc = (
        f"Five inputs x0 to x4 feed three outputs through a three-tap filter. Input x{j} "
        f"reaches output 0 through w2, output 1 through w1 and output 2 through w0, so its "
        f"gradient is {terms}: the upstream gradient correlated with the flipped filter."
    )
    return c.picture("The backward pass of a 1-D convolution", desc)


def window_positions(width: int, field: int, stride: int) -> tuple[Picture, list[int]]:
    """Where the windows of one output row fall along an unpadded input of
    ``width``: returns the picture and the start column of each window."""
    n_out = conv_output_size(width, field, S=stride, P=0)
    starts = [k * stride for k in range(n_out)]
    cell = min(36, 408 // width)
    x0 = 16
    c = Canvas(440, 90 + 30 * n_out + 30)
    c.text(x0, 24, f"{field}-wide windows, stride {stride}, on {width} columns", size=15,
           anchor="start", weight="bold")
    for i in range(width):
        c.rect(x0 + i * cell, 40, cell, cell, fill=LIGHT[BLUE], stroke=BLUE)
        c.text(x0 + (i + 0.5) * cell, 40 + cell / 2 + 5, str(i), size=14)
    colours = [BLUE, RED, GREEN, ORANGE, GREY]
    for k, start in enumerate(starts):
        colour = colours[k % len(colours)]
        y = 48 + cell + k * 30
        c.rect(x0 + start * cell + 2, y, field * cell - 4, 22, fill=LIGHT[colour],
               stroke=colour, width=1.8)
        c.text(x0 + (start + field / 2) * cell, y + 16,
               f"output {k}: columns {start}-{start + field - 1}", size=14)
    c.text(x0, 56 + cell + n_out * 30 + 16,
           f"({width} - {field})/{stride} + 1 = {n_out} outputs per row", size=14,
           anchor="start", fill=GREY)
    desc = (
        f"A row of {width} input columns numbered 0 to {width - 1}, with {n_out} bars "
        f"below it, one per output, each covering the {field} columns its window reads: "
        + ", ".join(f"{s} to {s + field - 1}" for s in starts)
        + f". Each window starts {stride} columns after the previous one."
    )
    return c.picture("Window positions along one row", desc), starts
