"""Output sizes and parameter counts: the arithmetic of the notes."""

from __future__ import annotations

from convref._checks import require_int


def conv_output_size(W: int, F: int, S: int = 1, P: int = 0, dilation: int = 1) -> int:
    """Spatial output size of a convolution or pooling window, ``(W - F' + 2P)/S + 1``.

    ``F' = dilation * (F - 1) + 1`` is the extent of a dilated filter
    (``dilation=1`` means contiguous, as in PyTorch).

    Parameters
    ----------
    W : int
        Input size along one axis.
    F : int
        Filter (or pooling window) size.
    S : int
        Stride, >= 1.
    P : int
        Zero padding on each side, >= 0.
    dilation : int
        Spacing between filter taps, >= 1.

    Returns
    -------
    int
        The output size.

    Raises
    ------
    ValueError
        If the filter is larger than the padded input, or the stride does not
        fit, i.e. ``(W - F' + 2P)`` is not a multiple of ``S``. The message
        names the numbers, as in the notes' ``W=5, F=3, P=1, S=3`` example.
    """
    W = require_int(W, "input size W", 1)
    F = require_int(F, "filter size F", 1)
    S = require_int(S, "stride S", 1)
    P = require_int(P, "padding P", 0)
    dilation = require_int(dilation, "dilation", 1)
    extent = dilation * (F - 1) + 1
    span = W - extent + 2 * P
    what = f"W={W}, F={F}, P={P}, S={S}" + (f", dilation={dilation}" if dilation > 1 else "")
    if span < 0:
        raise ValueError(
            f"filter extent {extent} is larger than the padded input {W + 2 * P} ({what})"
        )
    if span % S:
        raise ValueError(
            f"stride does not fit: (W - F + 2P)/S + 1 = ({W} - {extent} + {2 * P})/{S} + 1 "
            f"= {span / S + 1:g} is not an integer ({what})"
        )
    return span // S + 1


def conv_param_count(depth: int, F: int, K: int, shared: bool = True, out_size: int = 1) -> int:
    """Parameters (weights and biases) of a conv layer with ``K`` filters of ``F x F x depth``.

    With ``shared=False`` every one of the ``out_size**2 * K`` neurons has its
    own weights and bias (a locally connected layer), as in the notes' count for
    AlexNet's first layer without parameter sharing.
    """
    per_filter = F * F * depth + 1
    if shared:
        return per_filter * K
    return per_filter * K * out_size * out_size


def im2col_shapes(
    in_shape: tuple[int, int, int], F: int, K: int, S: int = 1, P: int = 0
) -> tuple[tuple[int, int], tuple[int, int]]:
    """Shapes of ``X_col`` and ``W_row`` for one ``(C, H, W)`` image.

    Returns ``((F*F*C, H_out*W_out), (K, F*F*C))``.
    """
    C, H, W = in_shape
    ho = conv_output_size(H, F, S, P)
    wo = conv_output_size(W, F, S, P)
    return (F * F * C, ho * wo), (K, F * F * C)
