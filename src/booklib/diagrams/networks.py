"""Whole networks and their building blocks: a layer list drawn top to bottom
(LeNet, AlexNet, VGGNet), the Inception module, the residual block and the
layer pattern. Shapes and weight counts come from :func:`booklib.architectures.walk`."""

from __future__ import annotations

import math

from booklib.architectures import Conv, Layer, Row, si, walk
from booklib.svg import BLUE, GREEN, GREY, INK, LIGHT, ORANGE, PURPLE, RED, TEAL, Canvas, Picture
from convref import conv_output_size

KIND_COLOURS = {"INPUT": BLUE, "CONV": PURPLE, "POOL": ORANGE, "FC": GREEN}


def _kind(row: Row) -> str:
    return next((k for k in KIND_COLOURS if row.name.startswith(k)), "CONV")


def network_column(layers: list[Layer], input_shape: tuple[int, int, int], title: str
                   ) -> tuple[Picture, list[Row]]:
    """Every layer of a network as a box (side and depth on log scales) with its
    name, output volume and parameter count; returns the picture and the rows."""
    rows = walk(layers, input_shape)
    row_h = 34
    c = Canvas(440, 60 + row_h * len(rows) + 30)
    c.text(16, 24, title, size=15, anchor="start", weight="bold")
    c.text(140, 48, "layer", size=14, anchor="start", fill=GREY)
    c.text(252, 48, "output", size=14, anchor="start", fill=GREY)
    c.text(432, 48, "params", size=14, anchor="end", fill=GREY)
    biggest = max(r.shape[0] for r in rows)
    deepest = max(r.shape[2] for r in rows)
    for k, row in enumerate(rows):
        y = 60 + k * row_h
        h, w, d = row.shape
        colour = KIND_COLOURS[_kind(row)]
        side = 4 + 22 * math.log1p(h) / math.log1p(biggest)
        deep = 4 + 60 * math.log1p(d) / math.log1p(deepest)
        c.box3d(20, y + 26 - side, side, side, deep, color=colour, skew=0.45)
        c.text(140, y + 22, row.name, size=14, anchor="start", mono=True)
        c.text(252, y + 22, f"{h}x{w}x{d}", size=14, anchor="start", mono=True)
        params = row.weights + row.biases
        c.text(432, y + 22, si(params) if params else "-", size=14, anchor="end")
    total = sum(r.weights + r.biases for r in rows)
    c.text(432, 60 + row_h * len(rows) + 16, f"total {si(total)} parameters", size=14,
           anchor="end", weight="bold")
    listing = "; ".join(
        f"{r.name} {r.shape[0]}x{r.shape[1]}x{r.shape[2]}" for r in rows
    )
    desc = (
        f"{title}, one row per layer from the input at the top to the class scores at the "
        f"bottom, each drawn as a box whose size follows its output volume: {listing}. "
        f"Total {total:,} parameters."
    )
    return c.picture(title, desc), rows


def _block(c: Canvas, cx, y, w, lines, colour, h=None) -> float:
    h = h or 14 + 20 * len(lines)
    c.rect(cx - w / 2, y, w, h, fill=LIGHT[colour], stroke=colour, width=1.5, rx=5)
    for k, line in enumerate(lines):
        c.text(cx, y + 24 + 20 * k, line, size=14)
    return y + h


def inception_module(size: int = 28, depth: int = 192,
                     branches=((64,), (96, 128), (16, 32), (32,))) -> tuple[Picture, int]:
    """GoogLeNet's Inception module (3a by default): four branches side by side,
    concatenated along depth; returns the picture and the output depth."""
    (one,), (r3, k3), (r5, k5), (proj,) = branches
    shapes = []
    weights = 0
    for convs in ([Conv(one, f=1, p=0)], [Conv(r3, f=1, p=0), Conv(k3, f=3, p=1)],
                  [Conv(r5, f=1, p=0), Conv(k5, f=5, p=2)]):
        rows = walk(convs, (size, size, depth))
        shapes.append(rows[-1].shape)
        weights += sum(r.weights + r.biases for r in rows)
    pooled = conv_output_size(size, 3, S=1, P=1)
    rows = walk([Conv(proj, f=1, p=0)], (pooled, pooled, depth))
    shapes.append(rows[-1].shape)
    weights += sum(r.weights + r.biases for r in rows)
    if len({s[:2] for s in shapes}) != 1:
        raise ValueError(f"branch outputs {shapes} cannot be concatenated")
    out_depth = sum(s[2] for s in shapes)
    c = Canvas(440, 390)
    c.text(16, 24, "An Inception module (GoogLeNet)", size=15, anchor="start", weight="bold")
    _block(c, 220, 40, 260, [f"input {size}x{size}x{depth}"], BLUE)
    xs = [62, 166, 270, 374]
    columns = [
        [[("1x1 conv", f"{one}")]],
        [[("1x1 conv", f"{r3}")], [("3x3 conv", f"{k3}")]],
        [[("1x1 conv", f"{r5}")], [("5x5 conv", f"{k5}")]],
        [[("3x3 max", "pool")], [("1x1 conv", f"{proj}")]],
    ]
    colours = [[PURPLE], [TEAL, PURPLE], [TEAL, PURPLE], [ORANGE, TEAL]]
    for x, blocks, cols in zip(xs, columns, colours, strict=True):
        c.line(220, 74, x, 110, stroke=GREY, arrow=True)
        y = 112
        for (lines,), colour in zip(blocks, cols, strict=True):
            end = _block(c, x, y, 96, list(lines), colour, h=58)
            y = end + 24
            c.line(x, end, x, end + 20, stroke=GREY, arrow=True)
        c.line(x, y - 4, 220, 300, stroke=GREY, arrow=True)
    depths = "+".join(str(s[2]) for s in shapes)
    _block(c, 220, 302, 330, [f"concatenate: {depths}", f"{size}x{size}x{out_depth}"], GREEN)
    c.text(16, 380, f"{weights:,} parameters; teal: 1x1 reductions", size=14,
           anchor="start", fill=GREY)
    desc = (
        f"An input of {size}x{size}x{depth} feeds four parallel branches: a 1x1 convolution "
        f"with {one} filters; a 1x1 convolution to {r3} channels then a 3x3 convolution "
        f"with {k3}; a 1x1 convolution to {r5} channels then a 5x5 convolution with {k5}; "
        f"and 3x3 max pooling then a 1x1 convolution with {proj}. The branch outputs are "
        f"stacked along depth into {size}x{size}x{out_depth}. The module has {weights:,} "
        f"parameters."
    )
    return c.picture("An Inception module", desc), out_depth


def residual_block(size: int = 56, depth: int = 64) -> tuple[Picture, int]:
    """A basic residual block: two 3x3 convs and an identity shortcut added
    before the last ReLU; returns the picture and its parameter count."""
    rows = walk([Conv(depth), Conv(depth)], (size, size, depth))
    if rows[-1].shape != rows[0].shape:
        raise ValueError("the shortcut needs the block to keep its input's shape")
    params = sum(r.weights + r.biases for r in rows)
    c = Canvas(440, 480)
    c.text(16, 24, "A residual block (ResNet)", size=15, anchor="start", weight="bold")
    cx = 180
    y = _block(c, cx, 40, 220, [f"x: {size}x{size}x{depth}"], BLUE, h=36)
    steps = [(["3x3 conv, " + str(depth)], PURPLE), (["ReLU"], GREY),
             (["3x3 conv, " + str(depth)], PURPLE)]
    for lines, colour in steps:
        c.line(cx, y, cx, y + 26, arrow=True)
        y = _block(c, cx, y + 28, 220, lines, colour if colour != GREY else ORANGE, h=36)
    c.line(cx, y, cx, y + 26, arrow=True)
    plus_y = y + 48
    c.circle(cx, plus_y, 18, fill="white", stroke=INK, width=1.8)
    c.text(cx, plus_y + 7, "+", size=22, weight="bold")
    c.path(f"M {cx + 110} 58 C 400 58, 400 58, 400 120 L 400 {plus_y} L {cx + 22} {plus_y}",
           stroke=RED, width=2.2, arrow=True)
    c.text(412, 250, "identity", size=14, anchor="end", fill=RED)
    c.text(412, 268, "shortcut", size=14, anchor="end", fill=RED)
    c.line(cx, plus_y + 18, cx, plus_y + 44, arrow=True)
    y = _block(c, cx, plus_y + 46, 220, ["ReLU"], ORANGE, h=36)
    c.line(cx, y, cx, y + 26, arrow=True)
    c.text(cx, y + 44, f"out = relu(F(x) + x): {size}x{size}x{depth}", size=14)
    c.text(16, 472, f"{params:,} parameters in the two convs", size=14, anchor="start",
           fill=GREY)
    desc = (
        f"A {size}x{size}x{depth} input x goes down through a 3x3 convolution with {depth} "
        f"filters, a ReLU and a second 3x3 convolution; a curved arrow carries x around "
        f"them unchanged, and the two are added before a final ReLU. Output "
        f"{size}x{size}x{depth}; {params:,} parameters."
    )
    return c.picture("A residual block", desc), params


def layer_pattern() -> Picture:
    """INPUT -> [[CONV -> RELU]*N -> POOL?]*M -> [FC -> RELU]*K -> FC as nested boxes."""
    c = Canvas(440, 400)
    c.text(16, 24, "The common layer pattern", size=15, anchor="start", weight="bold")
    cx = 200

    def pill(y, text, colour, w=110):
        c.rect(cx - w / 2, y, w, 30, fill=LIGHT[colour], stroke=colour, width=1.5, rx=12)
        c.text(cx, y + 20, text, size=14, weight="bold")

    pill(40, "INPUT", BLUE)
    c.line(cx, 70, cx, 90, arrow=True)
    c.rect(40, 92, 320, 160, stroke=ORANGE, width=1.5, rx=8, dash=None)
    c.text(372, 176, "× M", size=16, anchor="start", fill=ORANGE, weight="bold")
    c.rect(70, 104, 260, 84, stroke=PURPLE, width=1.5, rx=8)
    c.text(340, 150, "× N", size=16, anchor="start", fill=PURPLE, weight="bold")
    pill(116, "CONV", PURPLE, 90)
    c.line(cx, 146, cx, 152, arrow=True)
    pill(152, "RELU", PURPLE, 90)
    c.line(cx, 188, cx, 204, arrow=True)
    pill(206, "POOL (optional)", ORANGE, 150)
    c.line(cx, 252, cx, 268, arrow=True)
    c.rect(70, 270, 260, 50, stroke=GREEN, width=1.5, rx=8)
    c.text(340, 300, "× K", size=16, anchor="start", fill=GREEN, weight="bold")
    c.rect(cx - 110, 280, 100, 30, fill=LIGHT[GREEN], stroke=GREEN, rx=12)
    c.text(cx - 60, 300, "FC", size=14, weight="bold")
    c.line(cx - 8, 295, cx + 8, 295, arrow=True)
    c.rect(cx + 10, 280, 100, 30, fill=LIGHT[GREEN], stroke=GREEN, rx=12)
    c.text(cx + 60, 300, "RELU", size=14, weight="bold")
    c.line(cx, 320, cx, 340, arrow=True)
    pill(342, "FC (scores)", RED, 130)
    c.text(16, 392, "usually 0 ≤ N ≤ 3, M ≥ 0, 0 ≤ K < 3", size=14, anchor="start", fill=GREY)
    desc = (
        "Nested boxes read top to bottom: INPUT; then a box repeated M times holding a box "
        "of CONV and RELU repeated N times followed by an optional POOL; then FC and RELU "
        "repeated K times; then a final FC layer giving the scores."
    )
    return c.picture("The layer pattern of most ConvNets", desc)
