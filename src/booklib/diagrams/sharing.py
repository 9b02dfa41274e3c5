"""Parameter sharing: one filter for a whole depth slice, and what it saves."""

from __future__ import annotations

import math

from booklib.svg import BLUE, GREEN, GREY, LIGHT, ORANGE, RED, Canvas, Picture


def shared_filter(filters: int = 2, side: int = 5) -> Picture:
    """Every neuron of a depth slice uses its slice's filter: the neurons of
    slice ``k`` are painted in filter ``k``'s colour."""
    colours = [RED, BLUE, GREEN, ORANGE][:filters]
    c = Canvas(440, 300)
    c.text(16, 26, "One filter per depth slice", size=15, anchor="start", weight="bold")
    cell = 20
    for k, colour in enumerate(colours):
        top = 60 + k * 120
        c.text(16, top + 14, f"filter {k}", size=15, anchor="start", fill=colour,
               weight="bold")
        # the filter: a 3x3 patch of weights, drawn as labelled cells
        for i in range(3):
            for j in range(3):
                c.rect(16 + j * 18, top + 26 + i * 18, 18, 18, fill=LIGHT[colour], stroke=colour)
        c.text(16, top + 100, "3x3 weights", size=14, anchor="start")
        ox = 170
        for i in range(side):
            for j in range(side):
                c.rect(ox + j * cell, top + i * cell - 4, cell, cell, fill=LIGHT[colour],
                       stroke=colour, width=0.8)
        c.text(ox + side * cell + 10, top + 40, f"slice {k}:", size=15, anchor="start")
        c.text(ox + side * cell + 10, top + 60, f"{side}x{side} = {side * side} neurons,", size=14,
               anchor="start")
        c.text(ox + side * cell + 10, top + 78, "one filter", size=14, anchor="start")
        for i, j in [(0, 0), (2, 3), (4, 1)]:
            c.line(76, top + 52, ox + (j + 0.5) * cell, top + (i + 0.5) * cell - 4,
                   stroke=colour, width=1.2, arrow=True)
    desc = (
        f"{filters} small 3x3 filters, each in its own colour, with arrows to several "
        f"neurons of a {side}x{side} depth slice painted in the same colour: all "
        f"{side * side} neurons of a slice use the one filter of that slice."
    )
    return c.picture("Parameter sharing", desc)


def sharing_counts(shared: int, unshared: int, label: str = "AlexNet, first CONV layer") -> Picture:
    """The two parameter counts on a logarithmic axis."""
    c = Canvas(440, 220)
    c.text(16, 26, f"Parameters of {label}", size=15, anchor="start", weight="bold")
    left, right = 16, 424
    top_exp = math.ceil(math.log10(unshared))
    scale = (right - left) / top_exp
    for k, (name, value, colour) in enumerate([
        ("with sharing", shared, GREEN), ("without sharing", unshared, RED),
    ]):
        y = 56 + k * 62
        length = scale * math.log10(value)
        c.rect(left, y, length, 26, fill=LIGHT[colour], stroke=colour)
        c.text(left + 6, y + 46, f"{name}: {value:,}", size=15, anchor="start")
    for e in range(0, top_exp + 1, 2):
        x = left + scale * e
        c.line(x, 186, x, 192, stroke=GREY)
        c.text(x, 208, f"1e{e}", size=14, fill=GREY)
    c.line(left, 186, right, 186, stroke=GREY)
    ratio = unshared / shared
    c.text(right, 26 + 20, f"{ratio:,.0f} times as many", size=14, anchor="end", fill=RED)
    desc = (
        f"Two bars on a logarithmic scale: {shared:,} parameters with sharing and "
        f"{unshared:,} without, about {ratio:,.0f} times as many."
    )
    return c.picture("Parameters with and without sharing", desc)
