"""Reading and checking a pooling layer's input and hyperparameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from convref._checks import get_param, require_int
from convref.sizes import conv_output_size


@dataclass(frozen=True)
class PoolGeometry:
    N: int
    C: int
    H: int
    W: int
    HH: int
    WW: int
    stride: int
    H_out: int
    W_out: int

    @property
    def out_shape(self) -> tuple[int, int, int, int]:
        return (self.N, self.C, self.H_out, self.W_out)


def pool_geometry(x_shape: tuple[int, ...], pool_param: Any) -> PoolGeometry:
    """Check a pooling layer's input shape and ``pool_param``; return its geometry.

    Raises
    ------
    ValueError
        Non-4D input, a window larger than the input, or a window and stride
        that do not tile the input (``(H - pool_height) % stride != 0``).
    """
    if len(x_shape) != 4:
        raise ValueError(f"x must be 4D (N, C, H, W), got shape {tuple(x_shape)}")
    HH = require_int(get_param(pool_param, "pool_height", "pool_param"), "pool_height", 1)
    WW = require_int(get_param(pool_param, "pool_width", "pool_param"), "pool_width", 1)
    stride = require_int(get_param(pool_param, "stride", "pool_param"), "stride", 1)
    N, C, H, W = (int(s) for s in x_shape)
    try:
        H_out = conv_output_size(H, HH, stride, 0)
        W_out = conv_output_size(W, WW, stride, 0)
    except ValueError as err:
        raise ValueError(
            f"pool window {HH}x{WW} with stride {stride} does not tile the {H}x{W} input: {err}"
        ) from None
    return PoolGeometry(N, C, H, W, HH, WW, stride, H_out, W_out)
