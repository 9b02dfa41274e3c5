"""Layers as 3-D volumes: the regular network beside the ConvNet, the NCHW
slice and column, local connectivity, and one layer turning a volume into
another (pooling, an FC layer read as a convolution)."""

from __future__ import annotations

import math

from booklib.svg import BLUE, GREEN, GREY, LIGHT, ORANGE, PURPLE, RED, Canvas, Picture


def _side(n: int, smallest: float = 14, largest: float = 110, biggest: int = 224) -> float:
    """Screen size of a spatial side ``n``: logarithmic, so 1 and 224 both show."""
    return smallest + (largest - smallest) * math.log1p(n) / math.log1p(biggest)


def _deep(d: int, smallest: float = 6, largest: float = 70, biggest: int = 4096) -> float:
    return smallest + (largest - smallest) * math.log1p(d) / math.log1p(biggest)


def regular_vs_volumes() -> Picture:
    """A fully connected net of neuron columns above a ConvNet of 3-D volumes."""
    c = Canvas(440, 470)
    c.text(16, 24, "Regular network: fully connected", size=15,
           anchor="start", weight="bold")
    layers = [3, 5, 5, 2]
    xs = [60, 170, 280, 390]
    pos = []
    for n, x in zip(layers, xs, strict=True):
        ys = [60 + (150 - 26 * (n - 1)) / 2 + 26 * i for i in range(n)]
        pos.append([(x, y) for y in ys])
    for left, right in zip(pos, pos[1:], strict=False):
        for a in left:
            for b in right:
                c.line(a[0], a[1], b[0], b[1], stroke="#b8c2cc", width=1)
    colours = [BLUE, PURPLE, PURPLE, GREEN]
    for col, colour in zip(pos, colours, strict=True):
        for x, y in col:
            c.circle(x, y, 10, fill=LIGHT[colour], stroke=colour, width=1.5)
    for x, name in zip(xs, ["input", "hidden 1", "hidden 2", "output"], strict=True):
        c.text(x, 228, name, size=14)
    c.line(16, 248, 424, 248, stroke="#d0d7de", width=1)
    c.text(16, 276, "ConvNet: layers of 3-D volumes", size=15,
           anchor="start", weight="bold")
    boxes = [
        (22, 390, 86, 86, 6, BLUE, "input", "32x32x3"),
        (140, 380, 64, 64, 40, PURPLE, "conv", "32x32x12"),
        (248, 370, 40, 40, 40, PURPLE, "pool", "16x16x12"),
        (350, 345, 8, 8, 60, GREEN, "scores", "1x1x10"),
    ]
    for x, y, w, h, d, colour, name, shape in boxes:
        c.box3d(x, y - h, w, h, d, color=colour)
        c.text(x + w / 2 + d * 0.17, y + 26, name, size=14)
        c.text(x + w / 2 + d * 0.17, y + 46, shape, size=14)
    for x1, x2 in [(118, 136), (230, 244), (312, 340)]:
        c.line(x1, 360, x2, 360, arrow=True, width=1.6)
    desc = (
        "Top: a regular network drawn as four columns of circles, input, two hidden "
        "layers and output, with a line from every neuron to every neuron of the next "
        "column. Bottom: a ConvNet drawn as boxes with width, height and depth: a "
        "32x32x3 input image, a 32x32x12 convolution volume, a 16x16x12 pooled volume "
        "and a 1x1x10 volume of class scores."
    )
    return c.picture("A regular network and a ConvNet", desc)


def slice_and_column(depth: int = 4, side: int = 6, d: int = 1, i: int = 2, j: int = 3) -> Picture:
    """One volume ``x[n]`` of an NCHW array: depth slice ``x[n, d]`` and depth
    column ``x[n, :, i, j]`` highlighted."""
    c = Canvas(440, 300)
    cell, skew = 26, 22
    x0, y0 = 86, 110
    # slices back to front, so the front one is drawn last
    for k in reversed(range(depth)):
        ox, oy = x0 + k * skew, y0 - k * skew * 0.8
        hot_slice = k == d
        for r in range(side):
            for s in range(side):
                col = r == i and s == j
                fill = "#fdf2c4" if col else (LIGHT[PURPLE] if hot_slice else "white")
                stroke = ORANGE if col else (PURPLE if hot_slice else "#aab4be")
                c.rect(ox + s * cell * 0.55, oy + r * cell * 0.55, cell * 0.55, cell * 0.55,
                       fill=fill, stroke=stroke, width=1.4 if col else 0.7,
                       fill_opacity=1 if col else 0.6)
    lx = 262
    for k, (line, colour) in enumerate([
        (f"x[n, {d}]", PURPLE), ("one depth slice", PURPLE), ("(an activation map)", PURPLE),
        (f"x[n, :, {i}, {j}]", ORANGE), ("one depth column", ORANGE), ("(a fibre)", ORANGE),
    ]):
        c.text(lx, 60 + k * 24 + (30 if k > 2 else 0), line, size=15, anchor="start",
               fill=colour, weight="bold" if k in (0, 3) else None, mono=k in (0, 3))
    c.line(lx - 6, 170, x0 + (j + 1) * cell * 0.55 + 4, y0 + (i + 0.5) * cell * 0.55,
           stroke=ORANGE, arrow=True)
    c.line(lx - 6, 70, x0 + d * skew + side * cell * 0.55 + 4, y0 - d * skew * 0.8 + 8,
           stroke=PURPLE, arrow=True)
    c.text(x0 + side * cell * 0.55 / 2, y0 + side * cell * 0.55 + 28, "width W", size=14)
    c.text(x0 - 10, y0 + side * cell * 0.55 / 2, "height H", size=14, anchor="end")
    c.text(x0 + side * cell * 0.55 + 14, y0 + side * cell * 0.55 - 2, "depth D", size=14,
           anchor="start")
    c.text(16, 282, f"x has shape (N, D, H, W); here D = {depth}, H = W = {side}", size=15,
           anchor="start")
    desc = (
        f"A volume drawn as {depth} stacked grids of {side}x{side} cells. Every cell of "
        f"grid {d} is shaded purple: that grid is the depth slice x[n, {d}]. The cell at row "
        f"{i}, column {j} is marked in every grid: together those {depth} cells are the "
        f"depth column x[n, :, {i}, {j}]."
    )
    return c.picture("A depth slice and a depth column", desc)


def layer_pipeline(stages: list[tuple[str, tuple[int, int, int]]]) -> Picture:
    """Volumes after each layer, top to bottom; ``stages`` holds (name, (W, H, D))."""
    row = 78
    c = Canvas(400, 30 + row * len(stages))
    biggest = max(max(s[1][0] for s in stages), 2)
    for k, (name, (w, h, d)) in enumerate(stages):
        y = 30 + k * row
        fw, fh, dd = _side(w, 10, 56, biggest), _side(h, 10, 56, biggest), _deep(d, 4, 40, 64)
        colour = BLUE if k == 0 else (GREEN if k == len(stages) - 1 else PURPLE)
        c.box3d(40, y + 60 - fh, fw, fh, dd, color=colour)
        c.text(150, y + 34, name, size=15, anchor="start", weight="bold")
        c.text(150, y + 56, f"[{w}x{h}x{d}]", size=15, anchor="start", mono=True)
        if k:
            c.line(20, y - 16, 20, y + 10, arrow=True)
    desc = "A column of boxes, one per layer, each labelled with its volume: " + "; ".join(
        f"{name} {w}x{h}x{d}" for name, (w, h, d) in stages
    ) + "."
    return c.picture("The volume after each layer", desc)


def local_connectivity(size: int = 32, depth: int = 3, field: int = 5, filters: int = 5) -> Picture:
    """An input volume, one receptive field through its whole depth, and the
    depth column of ``filters`` neurons that all look at it."""
    c = Canvas(440, 330)
    weights = field * field * depth
    # input volume
    x0, y0, side, deep = 30, 110, 150, 40
    c.box3d(x0, y0, side, side, deep, color=BLUE)
    f = side * field / size
    fx, fy = x0 + 44, y0 + 40
    c.box3d(fx, fy, f, f, deep, color=RED)
    c.text(x0 + side / 2, y0 + side + 26, f"input {size}x{size}x{depth}", size=15)
    c.text(x0 + side / 2, y0 + side + 48, f"field {field}x{field}x{depth}: {weights} weights",
           size=15, fill=RED)
    # output volume with a column of neurons
    ox, oy, oside, odeep = 280, 130, 110, 90
    c.box3d(ox, oy, oside, oside, odeep, color=GREEN)
    cx, cy = ox + 40, oy + 40
    for k in range(filters):
        t = k / max(filters - 1, 1)
        px, py = cx + odeep * 0.35 * t, cy - odeep * 0.35 * t
        c.line(fx + f + deep * 0.35, fy - deep * 0.35 + f / 2, px, py, stroke="#c7a6a0", width=1)
    for k in range(filters):
        t = k / max(filters - 1, 1)
        px, py = cx + odeep * 0.35 * t, cy - odeep * 0.35 * t
        c.circle(px, py, 7, fill="#fdf2c4", stroke=ORANGE, width=1.6)
    c.text(ox + oside / 2 + 10, oy + oside + 26, "output volume", size=15)
    c.text(ox + oside / 2 + 10, oy + oside + 48, f"a column of {filters} neurons", size=15,
           fill=ORANGE)
    c.text(16, 26, "Local in width and height, full in depth", size=15, anchor="start",
           weight="bold")
    desc = (
        f"A {size}x{size}x{depth} input volume with a small {field}x{field} patch marked that "
        f"runs through all {depth} channels. Lines join that patch to a column of {filters} "
        f"neurons stacked along the depth of the output volume: each neuron has its own "
        f"{weights} weights on the same patch."
    )
    return c.picture("Local connectivity and a depth column", desc)


def volume_to_volume(
    before: tuple[int, int, int],
    after: tuple[int, int, int],
    operation: str,
    title: str,
    note: str = "",
) -> Picture:
    """Two volumes (W, H, D) joined by an arrow named ``operation``."""
    c = Canvas(440, 260)
    biggest = max(before[0], after[0], 2)
    deepest = max(before[2], after[2], 2)
    boxes = [(before, 24, BLUE), (after, 250, GREEN)]
    for (w, h, d), x, colour in boxes:
        fw = _side(w, 12, 120, biggest)
        fh = _side(h, 12, 120, biggest)
        dd = _deep(d, 6, 80, deepest)
        c.box3d(x, 190 - fh, fw, fh, dd, color=colour)
        c.text(x + fw / 2 + dd * 0.17, 220, f"{w}x{h}x{d}", size=15, mono=True)
    c.line(176, 130, 240, 130, arrow=True, width=2)
    for k, word in enumerate(operation.split(" ", 1)):
        c.text(208, 94 + 18 * k, word, size=14)
    if note:
        c.text(16, 250, note, size=14, anchor="start", fill=GREY)
    c.text(16, 26, title, size=15, anchor="start", weight="bold")
    desc = (
        f"A box of {before[0]}x{before[1]}x{before[2]} on the left, an arrow "
        f"labelled {operation}, and a box of {after[0]}x{after[1]}x{after[2]} on the right."
        + (f" {note}." if note else "")
    )
    return c.picture(title, desc)


def pooling_volume(before: tuple[int, int, int], after: tuple[int, int, int]) -> Picture:
    """The notes' pooling picture: a whole volume shrinks, each slice on its own."""
    note = f"each of the {before[2]} depth slices is pooled on its own"
    return volume_to_volume(before, after, "2x2 max pool", "Pooling shrinks width and height",
                            note)


def fc_as_conv(volume: tuple[int, int, int], outputs: int) -> Picture:
    """An FC layer on a ``volume`` (W, H, D) drawn as one filter per output that
    covers the whole volume."""
    w, h, d = volume
    c = Canvas(440, 300)
    c.text(16, 26, "An FC layer read as a convolution",
           size=14, anchor="start", weight="bold")
    c.box3d(30, 100, 110, 110, 60, color=BLUE)
    c.text(105, 248, f"input {w}x{h}x{d}", size=15)
    c.box3d(38, 108, 94, 94, 50, color=RED)
    c.text(105, 270, f"one filter {w}x{h}x{d}, pad 0", size=14, fill=RED)
    c.line(190, 150, 280, 150, arrow=True, width=2)
    c.text(235, 138, "fits once", size=14)
    c.box3d(300, 150, 12, 12, 90, color=GREEN)
    c.text(345, 200, f"1x1x{outputs}", size=15, mono=True)
    c.text(345, 222, f"{outputs} filters,", size=14)
    c.text(345, 242, "one number each", size=14)
    desc = (
        f"A {w}x{h}x{d} input volume with a filter of exactly the same size drawn inside it, "
        f"so it fits in a single position. With {outputs} such filters the output is a "
        f"1x1x{outputs} volume: the FC layer's {outputs} outputs."
    )
    return c.picture("An FC layer as a CONV layer", desc)


def one_by_one(depth: int = 3, filters: int = 8) -> Picture:
    """A 1x1 filter: a dot product along the depth column at every pixel."""
    c = Canvas(440, 250)
    c.box3d(30, 90, 120, 120, 40, color=BLUE)
    px, py = 30 + 60, 90 + 60
    for k in range(depth):
        t = k / max(depth - 1, 1)
        c.rect(px + 14 * t, py - 14 * t, 10, 10, fill="#fdf2c4", stroke=ORANGE, width=1.5)
    c.text(90, 236, f"input, depth {depth}", size=15)
    c.line(190, 150, 260, 150, arrow=True, width=2)
    c.text(225, 124, f"{filters} filters", size=14)
    c.text(225, 140, f"1x1x{depth}", size=14)
    c.box3d(290, 90, 120, 120, 70, color=GREEN)
    for k in range(4):
        t = k / 3
        c.rect(350 + 22 * t, 150 - 22 * t, 10, 10, fill="#fdf2c4", stroke=ORANGE, width=1.5)
    c.text(350, 236, f"output, depth {filters}", size=15)
    c.text(16, 26, "A 1x1 convolution mixes channels", size=15, anchor="start",
           weight="bold")
    c.text(16, 50, f"each output pixel: {filters} dot products of length {depth}", size=14,
           anchor="start", fill=GREY)
    desc = (
        f"An input volume of depth {depth} with one pixel's column of {depth} values marked, "
        f"and an arrow to an output volume of depth {filters}: each of the {filters} 1x1 "
        f"filters takes a dot product with that column, at every pixel separately."
    )
    return c.picture("A 1x1 convolution", desc)
