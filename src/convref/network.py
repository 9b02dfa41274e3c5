"""A tiny sequential ConvNet: enough to run the notes' FC -> CONV example.

A network is a list of ``(kind, params)`` pairs, evaluated in order:

``("conv", {"w", "b", "stride", "pad"})``
    A conv layer (``w`` of shape (F, C, HH, WW)).
``("relu", {})``
    Elementwise ReLU.
``("maxpool", {"pool_height", "pool_width", "stride"})``
    Max pooling.
``("fc", {"w", "b"})``
    A fully connected layer on the flattened volume (``w`` of shape (D, M)).
"""

from __future__ import annotations

from typing import Any

from convref.affine import affine_forward, relu_forward
from convref.conv_fast import conv_forward_im2col
from convref.pool_fast import max_pool_forward_fast

Layer = tuple[str, dict[str, Any]]
KINDS = ("conv", "relu", "maxpool", "fc")


def net_forward(net: list[Layer], x: Any) -> Any:
    """Evaluate ``net`` on ``x`` (N, C, H, W); return the last layer's output."""
    for index, (kind, p) in enumerate(net):
        if kind == "conv":
            x, _ = conv_forward_im2col(x, p["w"], p["b"], {"stride": p["stride"], "pad": p["pad"]})
        elif kind == "relu":
            x, _ = relu_forward(x)
        elif kind == "maxpool":
            x, _ = max_pool_forward_fast(x, p)
        elif kind == "fc":
            x, _ = affine_forward(x, p["w"], p["b"])
        else:
            raise ValueError(f"layer {index} has unknown kind {kind!r}; expected one of {KINDS}")
    return x


def net_stride(net: list[Layer]) -> int:
    """Total stride of the spatial layers: how far apart neighbouring score-map entries look."""
    total = 1
    for kind, p in net:
        if kind in ("conv", "maxpool"):
            total *= int(p["stride"])
    return total
