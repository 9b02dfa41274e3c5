"""Reading and checking a conv layer's inputs and hyperparameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from convref._checks import as_float_array, get_param, require_int, require_ndim
from convref.sizes import conv_output_size


@dataclass(frozen=True)
class ConvGeometry:
    """Everything the conv kernels need to know about one layer call."""

    N: int
    C: int
    H: int
    W: int
    F: int
    HH: int
    WW: int
    stride: int
    pad: int
    dilation: int
    H_out: int
    W_out: int

    @property
    def out_shape(self) -> tuple[int, int, int, int]:
        return (self.N, self.F, self.H_out, self.W_out)


def read_conv_param(conv_param: Any) -> tuple[int, int, int]:
    """``(stride, pad, dilation)`` from a ``conv_param`` dict, checked."""
    stride = require_int(get_param(conv_param, "stride", "conv_param"), "stride", 1)
    pad = require_int(get_param(conv_param, "pad", "conv_param"), "pad", 0)
    dilation = require_int(get_param(conv_param, "dilation", "conv_param", 1), "dilation", 1)
    return stride, pad, dilation


def conv_geometry(x: Any, w: Any, b: Any, conv_param: Any) -> ConvGeometry:
    """Check shapes and hyperparameters of a conv layer; return its geometry.

    Raises
    ------
    ValueError
        Non-4D ``x`` or ``w``, a channel mismatch, a bias of the wrong length,
        a filter larger than the padded input, or a stride that does not fit.
    """
    require_ndim(x, 4, "x", "(N, C, H, W)")
    require_ndim(w, 4, "w", "(F, C, HH, WW)")
    N, C, H, W = (int(s) for s in x.shape)
    F, Cw, HH, WW = (int(s) for s in w.shape)
    if C != Cw:
        raise ValueError(
            f"channel mismatch: x has C={C} channels but the filters w expect C={Cw} "
            f"(x.shape={tuple(x.shape)}, w.shape={tuple(w.shape)})"
        )
    if tuple(b.shape) != (F,):
        raise ValueError(f"b must have shape ({F},) for {F} filters, got {tuple(b.shape)}")
    stride, pad, dilation = read_conv_param(conv_param)
    H_out = _axis_size("height", H, HH, stride, pad, dilation)
    W_out = _axis_size("width", W, WW, stride, pad, dilation)
    return ConvGeometry(N, C, H, W, F, HH, WW, stride, pad, dilation, H_out, W_out)


def conv_inputs(x: Any, w: Any, b: Any, xp: Any) -> tuple[Any, Any, Any]:
    """Convert the three arrays to floats of one common dtype."""
    x = as_float_array(x, "x", xp)
    w = as_float_array(w, "w", xp)
    b = as_float_array(b, "b", xp)
    dtype = xp.result_type(x.dtype, w.dtype, b.dtype)
    return x.astype(dtype, copy=False), w.astype(dtype, copy=False), b.astype(dtype, copy=False)


def _axis_size(axis: str, size: int, field: int, stride: int, pad: int, dilation: int) -> int:
    try:
        return conv_output_size(size, field, stride, pad, dilation)
    except ValueError as err:
        raise ValueError(f"along the {axis}: {err}") from None
