"""Networks as layer lists: shapes, memory and parameter counts, computed layer by layer.

A network is a list of :class:`Conv`, :class:`Pool` and :class:`FC` specs. Walking
it from an input shape gives one :class:`Row` per layer with the output volume,
the number of activations it holds and its weights and biases; output sizes come
from :func:`convref.conv_output_size`, so a layer whose stride does not fit
raises the same ``ValueError`` the layers do.
"""

from __future__ import annotations

from dataclasses import dataclass

from convref import conv_output_size


@dataclass(frozen=True)
class Conv:
    """``k`` filters of ``f x f``, stride ``s``, zero padding ``p``; ``groups`` splits the
    channels into independent groups (AlexNet's two towers)."""

    k: int
    f: int = 3
    s: int = 1
    p: int = 1
    groups: int = 1

    @property
    def name(self) -> str:
        extra = f"/{self.s}" if self.s != 1 else ""
        return f"CONV{self.f}{extra}-{self.k}"


@dataclass(frozen=True)
class Pool:
    """Max pooling over ``f x f`` windows with stride ``s``."""

    f: int = 2
    s: int = 2

    @property
    def name(self) -> str:
        return f"POOL{self.f}" + (f"/{self.s}" if self.s != self.f else "")


@dataclass(frozen=True)
class FC:
    """A fully connected layer with ``k`` outputs."""

    k: int

    @property
    def name(self) -> str:
        return f"FC-{self.k}"


Layer = Conv | Pool | FC


@dataclass(frozen=True)
class Row:
    """One layer of a walked network; ``shape`` is (height, width, depth) as in the notes."""

    name: str
    shape: tuple[int, int, int]
    weights: int
    biases: int

    @property
    def activations(self) -> int:
        h, w, d = self.shape
        return h * w * d


def walk(layers: list[Layer], input_shape: tuple[int, int, int]) -> list[Row]:
    """Rows for the input and every layer of ``layers`` applied to ``input_shape`` (H, W, D).

    Raises
    ------
    ValueError
        If a layer does not fit its input (the message names the numbers), or a
        grouped conv's channels do not divide into its groups.
    """
    h, w, d = input_shape
    rows = [Row("INPUT", (h, w, d), 0, 0)]
    for index, layer in enumerate(layers):
        try:
            if isinstance(layer, Conv):
                if d % layer.groups or layer.k % layer.groups:
                    raise ValueError(
                        f"{d} input channels and {layer.k} filters do not split "
                        f"into {layer.groups} groups"
                    )
                h = conv_output_size(h, layer.f, layer.s, layer.p)
                w = conv_output_size(w, layer.f, layer.s, layer.p)
                weights = layer.f * layer.f * (d // layer.groups) * layer.k
                d, biases = layer.k, layer.k
            elif isinstance(layer, Pool):
                h = conv_output_size(h, layer.f, layer.s)
                w = conv_output_size(w, layer.f, layer.s)
                weights = biases = 0
            elif isinstance(layer, FC):
                weights, biases = h * w * d * layer.k, layer.k
                h, w, d = 1, 1, layer.k
            else:
                raise TypeError(
                    f"layer {index} is a {type(layer).__name__}; expected Conv, Pool or FC"
                )
        except ValueError as err:
            raise ValueError(
                f"layer {index} ({layer.name}) on a {h}x{w}x{d} input: {err}"
            ) from None
        rows.append(Row(layer.name, (h, w, d), weights, biases))
    return rows


def as_convolutions(layers: list[Layer], input_shape: tuple[int, int, int]) -> list[Layer]:
    """The same network with every FC layer rewritten as the conv layer it equals.

    The first FC layer becomes a conv whose filter covers its whole input volume
    (``F`` = the input's side, pad 0); later ones become 1x1 convs.
    """
    converted: list[Layer] = []
    rows = walk(layers, input_shape)
    for layer, before in zip(layers, rows[:-1], strict=True):
        if isinstance(layer, FC):
            side = before.shape[0]
            if before.shape[0] != before.shape[1]:
                raise ValueError(f"{layer.name} sees a non-square {before.shape} volume")
            converted.append(Conv(k=layer.k, f=side, s=1, p=0))
        else:
            converted.append(layer)
    return converted


def total_stride(layers: list[Layer]) -> int:
    """Product of the strides: how far apart neighbouring output positions look in the input."""
    stride = 1
    for layer in layers:
        if isinstance(layer, Conv | Pool):
            stride *= layer.s
    return stride


def vgg16() -> list[Layer]:
    """VGGNet's configuration D: 13 3x3 convs (stride 1, pad 1), 5 2x2 pools, 3 FC layers."""
    layers: list[Layer] = []
    for depth, repeats in [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]:
        layers += [Conv(depth) for _ in range(repeats)] + [Pool()]
    return layers + [FC(4096), FC(4096), FC(1000)]


def lenet5() -> list[Layer]:
    """LeNet-5 on a 32x32x1 digit: two 5x5 convs, each followed by 2x2 pooling
    (subsampling), then FC layers of 120, 84 and 10."""
    return [
        Conv(6, f=5, p=0),
        Pool(),
        Conv(16, f=5, p=0),
        Pool(),
        FC(120),
        FC(84),
        FC(10),
    ]


def alexnet() -> list[Layer]:
    """AlexNet as trained on two GPUs (227x227x3 input; conv2, conv4, conv5 split in two groups)."""
    return [
        Conv(96, f=11, s=4, p=0),
        Pool(3, 2),
        Conv(256, f=5, p=2, groups=2),
        Pool(3, 2),
        Conv(384, f=3, p=1),
        Conv(384, f=3, p=1, groups=2),
        Conv(256, f=3, p=1, groups=2),
        Pool(3, 2),
        FC(4096),
        FC(4096),
        FC(1000),
    ]


def si(n: float) -> str:
    """A count with a decimal suffix, the way the notes write them (3.2M, 800K)."""
    for factor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= factor:
            return f"{n / factor:.3g}{suffix}"
    return f"{n:g}"


def table_markdown(rows: list[Row]) -> str:
    """The notes' layer-by-layer table as Markdown, plus totals."""
    lines = [
        "| layer | output volume | activations | weights | biases |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for row in rows:
        h, w, d = row.shape
        lines.append(
            f"| {row.name} | [{h}x{w}x{d}] | {row.activations:,} ({si(row.activations)}) "
            f"| {row.weights:,} | {row.biases:,} |"
        )
    acts = sum(r.activations for r in rows)
    weights = sum(r.weights for r in rows)
    biases = sum(r.biases for r in rows)
    lines.append(f"| **total** | | **{acts:,}** ({si(acts)}) | **{weights:,}** | **{biases:,}** |")
    return "\n".join(lines)
