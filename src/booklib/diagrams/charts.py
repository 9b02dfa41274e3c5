"""Bar charts of per-layer counts (VGGNet's memory and parameters) and of a
memory estimate's three parts."""

from __future__ import annotations

from booklib.architectures import Row, si
from booklib.memory import MemoryEstimate, human_bytes
from booklib.svg import BLUE, GREY, LIGHT, ORANGE, PURPLE, Canvas, Picture


def per_layer_bars(rows: list[Row], values: list[int], title: str, unit: str,
                   colour: str = BLUE) -> Picture:
    """One horizontal bar per layer, in network order, on a linear scale."""
    if len(rows) != len(values):
        raise ValueError(f"{len(rows)} layers but {len(values)} values")
    row_h = 24
    c = Canvas(440, 70 + row_h * len(rows))
    c.text(16, 24, title, size=15, anchor="start", weight="bold")
    c.text(16, 46, unit, size=14,
           anchor="start", fill=GREY)
    left, right = 122, 384
    top = max(values) or 1
    for k, (row, value) in enumerate(zip(rows, values, strict=True)):
        y = 60 + k * row_h
        c.text(left - 6, y + 16, row.name, size=14, anchor="end", mono=True)
        length = (right - left) * value / top
        if value:
            c.rect(left, y + 4, max(length, 1.5), row_h - 8, fill=LIGHT[colour], stroke=colour)
        c.text(432, y + 16, si(value) if value else "0", size=14, anchor="end")
    listing = ", ".join(f"{r.name} {si(v)}" for r, v in zip(rows, values, strict=True))
    desc = f"{title}: a horizontal bar per layer, top to bottom in network order. {listing}."
    return c.picture(title, desc)


def vgg_memory_chart(rows: list[Row]) -> Picture:
    """Activations per layer: most of the memory is in the first layers."""
    return per_layer_bars(rows, [r.activations for r in rows], "VGG16: memory per layer",
                          "activations per layer, 4 bytes each", BLUE)


def vgg_parameter_chart(rows: list[Row]) -> Picture:
    """Weights and biases per layer: most parameters are in the first FC layer."""
    return per_layer_bars(rows, [r.weights + r.biases for r in rows],
                          "VGG16: parameters per layer", "weights and biases per layer", PURPLE)


def memory_breakdown(estimates: list[tuple[str, MemoryEstimate]]) -> Picture:
    """Stacked bars of activations, parameters and the rest, one per case."""
    parts = [("activations", BLUE), ("parameters", PURPLE), ("misc", ORANGE)]
    c = Canvas(440, 90 + 74 * len(estimates))
    c.text(16, 24, "Where the memory goes", size=15, anchor="start", weight="bold")
    for k, (name, colour) in enumerate(parts):
        c.rect(16 + k * 140, 40, 14, 14, fill=LIGHT[colour], stroke=colour)
        c.text(36 + k * 140, 52, name, size=14, anchor="start")
    biggest = max(e.total for _, e in estimates)
    left, right = 16, 424
    for k, (label, est) in enumerate(estimates):
        y = 80 + k * 74
        c.text(left, y + 14, f"{label}: {human_bytes(est.total)}", size=14, anchor="start")
        x = left
        for (_name, colour), value in zip(parts, [est.activations, est.parameters, est.misc],
                                         strict=True):
            length = (right - left) * value / biggest
            if length > 0:
                c.rect(x, y + 22, max(length, 1), 22, fill=LIGHT[colour], stroke=colour)
            x += length
    desc = "Stacked bars, one per case, on one linear scale. " + " ".join(
        f"{label}: activations {human_bytes(e.activations)}, parameters "
        f"{human_bytes(e.parameters)}, misc {human_bytes(e.misc)}, total {human_bytes(e.total)}."
        for label, e in estimates
    )
    return c.picture("Memory of VGG16 by source", desc)
