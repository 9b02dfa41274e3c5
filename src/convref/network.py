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


def net_forward_trace(net: list[Layer], x: Any) -> tuple[list[Any], list[Any]]:
    """Evaluate ``net`` on ``x`` (N, C, H, W), keeping every layer's output and cache.

    Returns
    -------
    outputs : list
        ``outputs[i]`` is the output of layer ``i``; the last is the network's.
    caches : list
        What each layer's backward pass needs, in the same order.
    """
    outputs, caches = [], []
    for index, (kind, p) in enumerate(net):
        if kind == "conv":
            conv_param = {"stride": p["stride"], "pad": p["pad"]}
            x, cache = conv_forward_im2col(x, p["w"], p["b"], conv_param)
        elif kind == "relu":
            x, cache = relu_forward(x)
        elif kind == "maxpool":
            x, cache = max_pool_forward_fast(x, p)
        elif kind == "fc":
            x, cache = affine_forward(x, p["w"], p["b"])
        else:
            raise ValueError(f"layer {index} has unknown kind {kind!r}; expected one of {KINDS}")
        outputs.append(x)
        caches.append(cache)
    return outputs, caches


def net_forward(net: list[Layer], x: Any) -> Any:
    """Evaluate ``net`` on ``x`` (N, C, H, W); return the last layer's output."""
    outputs, _ = net_forward_trace(net, x)
    return outputs[-1] if outputs else x


def net_stride(net: list[Layer]) -> int:
    """Total stride of the spatial layers: how far apart neighbouring score-map entries look."""
    total = 1
    for kind, p in net:
        if kind in ("conv", "maxpool"):
            total *= int(p["stride"])
    return total
