"""A converted network slid over a larger image: where the crops fall, and
how shifted passes fill in a denser score map."""

from __future__ import annotations

from booklib.svg import BLUE, GREEN, GREY, LIGHT, ORANGE, PURPLE, RED, Canvas, Picture

SHIFT_COLOURS = [BLUE, RED, GREEN, PURPLE]


def crops_to_score_map(image: int, crop: int, stride: int) -> tuple[Picture, int]:
    """Crops of ``crop`` pixels every ``stride`` pixels over an ``image``-pixel
    square, and the score map they make; returns the picture and the map's side."""
    if (image - crop) % stride:
        raise ValueError(f"crops of {crop} every {stride} do not tile {image} pixels")
    side = (image - crop) // stride + 1
    c = Canvas(440, 350)
    scale = 240 / image
    x0, y0 = 16, 50
    c.text(16, 26, f"{crop} px crops every {stride} px of a {image} px image",
           size=15, anchor="start", weight="bold")
    c.rect(x0, y0, image * scale, image * scale, fill="#f4f6f8", stroke=GREY, width=1.5)
    marked = [(0, 0, BLUE), (0, side - 1, RED), (side - 1, side - 1, GREEN), (2, 3, ORANGE)]
    for i, j, colour in marked:
        c.rect(x0 + j * stride * scale, y0 + i * stride * scale, crop * scale, crop * scale,
               stroke=colour, width=2.2, fill=LIGHT[colour], fill_opacity=0.35)
    c.text(x0 + image * scale / 2, y0 + image * scale + 22, f"image {image}x{image}", size=14)
    mx, cell = 290, 22
    my = y0 + 40
    fills = [["white"] * side for _ in range(side)]
    for i, j, colour in marked:
        fills[i][j] = LIGHT[colour]
    c.grid(mx, my, [[""] * side for _ in range(side)], cell=cell, fills=fills)
    for i, j, colour in marked:
        c.rect(mx + j * cell, my + i * cell, cell, cell, stroke=colour, width=2.2)
    c.text(mx + side * cell / 2, my + side * cell + 22, f"score map {side}x{side}", size=14)
    c.text(mx + side * cell / 2, my + side * cell + 42, "(x 1000 classes)", size=14)
    c.line(x0 + image * scale + 6, y0 + 100, mx - 8, my + side * cell / 2, arrow=True, width=2)
    c.text(16, 340, f"({image} - {crop})/{stride} + 1 = {side} positions per axis", size=14,
           anchor="start", fill=GREY)
    desc = (
        f"A {image}x{image} image with four of its {crop}x{crop} crops outlined in colour: "
        f"the top-left one, the top-right one, the bottom-right one and one in the middle, "
        f"crops starting every {stride} pixels. An arrow leads to a {side}x{side} grid, the "
        f"score map, where the cell of each outlined crop has the crop's colour."
    )
    return c.picture("Sliding the converted network over a larger image", desc), side


def shifted_passes(stride: int, shift: int, positions: int = 4) -> Picture:
    """Crop origins of the plain pass and of the passes shifted by ``shift``
    pixels right, down, and both: together a grid ``stride/shift`` times denser."""
    if stride % shift:
        raise ValueError(f"a shift of {shift} does not divide the stride {stride}")
    c = Canvas(440, 380)
    c.text(16, 26, f"Four shifted passes: a map every {shift} px", size=15,
           anchor="start", weight="bold")
    passes = [((0, 0), "as is"), ((0, shift), f"{shift} right"),
              ((shift, 0), f"{shift} down"), ((shift, shift), "both")]
    scale = 230 / (stride * positions)
    x0, y0 = 30, 60
    c.rect(x0, y0, stride * positions * scale, stride * positions * scale, fill="#f7f9fa",
           stroke=GREY)
    for ((dy, dx), _), colour in zip(passes, SHIFT_COLOURS, strict=True):
        for i in range(positions):
            for j in range(positions):
                cx = x0 + (j * stride + dx) * scale
                cy = y0 + (i * stride + dy) * scale
                c.circle(cx + 4, cy + 4, 6, fill=LIGHT[colour], stroke=colour, width=2)
    for k in range(positions + 1):
        v = k * stride
        c.text(x0 + v * scale, y0 - 6, str(v), size=14, fill=GREY)
    for k, (_, name) in enumerate(passes):
        y = y0 + 20 + k * 34
        c.circle(290, y - 5, 6, fill=LIGHT[SHIFT_COLOURS[k]], stroke=SHIFT_COLOURS[k], width=2)
        c.text(302, y, f"pass {k + 1}: {name}", size=14, anchor="start")
    c.text(16, 322, f"Pass 1 alone: one crop every {stride} px (total stride {stride}).",
           size=14, anchor="start")
    c.text(16, 344, f"Passes 2-4 start {shift} px right, down, or both;", size=14,
           anchor="start")
    c.text(16, 366, f"interleaved, they score a crop every {shift} px.", size=14,
           anchor="start")
    desc = (
        f"Top-left corner of an image with the starting pixels of crops drawn as dots. "
        f"Pass 1 (blue) has a dot every {stride} pixels; pass 2 (red) the same grid "
        f"moved {shift} pixels right, pass 3 (green) moved {shift} down, pass 4 (purple) "
        f"moved both ways. Together the four grids place a dot every {shift} pixels."
    )
    return c.picture(f"The stride-{shift} trick: four shifted passes", desc)
