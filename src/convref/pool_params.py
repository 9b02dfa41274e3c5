"""Reading and checking a pooling layer's input and hyperparameters.

Pooling floors, as PyTorch and CS231n do: ``H_out = (H - pool_height) // stride + 1``.
When the windows do not tile the input, the last rows and columns that no
window covers get no output (and, in the backward pass, a zero gradient). A
convolution keeps the notes' stricter rule and refuses such a stride (see
:func:`convref.sizes.conv_output_size`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from convref._checks import get_param, require_int


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
        Non-4D input, or a window larger than the input.
    """
    if len(x_shape) != 4:
        raise ValueError(f"x must be 4D (N, C, H, W), got shape {tuple(x_shape)}")
    HH = require_int(get_param(pool_param, "pool_height", "pool_param"), "pool_height", 1)
    WW = require_int(get_param(pool_param, "pool_width", "pool_param"), "pool_width", 1)
    stride = require_int(get_param(pool_param, "stride", "pool_param"), "stride", 1)
    N, C, H, W = (int(s) for s in x_shape)
    if HH > H or WW > W:
        raise ValueError(f"pool window {HH}x{WW} is larger than the {H}x{W} input")
    # Floor: positions past the last whole window get no output.
    H_out = (H - HH) // stride + 1
    W_out = (W - WW) // stride + 1
    return PoolGeometry(N, C, H, W, HH, WW, stride, H_out, W_out)
