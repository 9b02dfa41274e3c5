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


def _layer_forward(index: int, layer: Layer, x: Any) -> tuple[Any, Any]:
    """Run layer ``index`` of a network on ``x``; return ``(out, cache)``."""
    kind, p = layer
    if kind == "conv":
        return conv_forward_im2col(x, p["w"], p["b"], {"stride": p["stride"], "pad": p["pad"]})
    if kind == "relu":
        return relu_forward(x)
    if kind == "maxpool":
        return max_pool_forward_fast(x, p)
    if kind == "fc":
        return affine_forward(x, p["w"], p["b"])
    raise ValueError(f"layer {index} has unknown kind {kind!r}; expected one of {KINDS}")


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
    for index, layer in enumerate(net):
        x, cache = _layer_forward(index, layer, x)
        outputs.append(x)
        caches.append(cache)
    return outputs, caches


def net_forward(net: list[Layer], x: Any) -> Any:
    """Evaluate ``net`` on ``x`` (N, C, H, W); return the last layer's output.

    Unlike :func:`net_forward_trace` it keeps no layer's output or cache once
    the next layer has run, so large score maps need only two layers' volumes.
    """
    for index, layer in enumerate(net):
        x, _ = _layer_forward(index, layer, x)
    return x


def net_stride(net: list[Layer]) -> int:
    """Total stride of the spatial layers: how far apart neighbouring score-map entries look."""
    total = 1
    for kind, p in net:
        if kind in ("conv", "maxpool"):
            total *= int(p["stride"])
    return total
