"""Convolution as a matrix multiply over im2col columns: the fast path.

With ``cols = im2col(x)`` of shape ``(C*HH*WW, N*H_out*W_out)`` and
``w_row = w.reshape(F, -1)``, the forward pass is ``w_row @ cols + b`` and the
backward pass is ``dw = dout_row @ cols.T`` and ``dcols = w_row.T @ dout_row``
scattered back by col2im, where ``dout_row`` is ``dout`` as ``(F, N*H_out*W_out)``.

The batch is processed in chunks of whole images so that the column matrix,
which is ``HH*WW`` times larger than the input, stays small enough to live in
cache and is allocated once per call instead of growing with the batch.
"""

from __future__ import annotations

from typing import Any

from convkit.backend import get_array_module
from convref._checks import check_cache, check_dout
from convref.conv_params import ConvGeometry, conv_geometry, conv_inputs
from convref.im2col import add_cols, fill_cols

# Upper bound on the column buffer of one chunk; measured on a 2-core Skylake-X,
# chunks of a few MB beat both one image at a time and the whole batch at once.
CHUNK_BYTES = 8 * 2**20


def _chunk_size(g: ConvGeometry, itemsize: int) -> int:
    per_image = g.C * g.HH * g.WW * g.H_out * g.W_out * itemsize
    return max(1, min(g.N, CHUNK_BYTES // max(per_image, 1)))


def conv_forward_im2col(
    x: Any, w: Any, b: Any, conv_param: dict
) -> tuple[Any, tuple]:
    """Forward pass of a conv layer as one matrix multiply per chunk of images.

    Same parameters, results and errors as ``conv_forward_naive``.

    Returns
    -------
    out : ndarray, shape (N, F, H_out, W_out)
    cache : tuple
        ``(x, w, b, conv_param)`` for :func:`conv_backward_im2col`.
    """
    xp = get_array_module(x, w, b)
    x, w, b = conv_inputs(x, w, b, xp)
    g = conv_geometry(x, w, b, conv_param)
    p, L, K = g.pad, g.H_out * g.W_out, g.C * g.HH * g.WW
    w_row = w.reshape(g.F, K)
    out = xp.empty((g.N, g.F, L), dtype=x.dtype)
    nb = _chunk_size(g, x.dtype.itemsize)
    buf = xp.empty(K * nb * L, dtype=x.dtype)
    for n0 in range(0, g.N, nb):
        m = min(nb, g.N - n0)
        cols = buf[: K * m * L].reshape(g.C, g.HH, g.WW, m, g.H_out, g.W_out)
        fill_cols(_padded(xp, x[n0 : n0 + m], p), cols, g.stride, g.dilation)
        scores = w_row @ cols.reshape(K, m * L)  # (F, m*L): the one GEMM
        scores += b[:, None]
        out[n0 : n0 + m] = scores.reshape(g.F, m, L).transpose(1, 0, 2)
    return out.reshape(g.out_shape), (x, w, b, conv_param)


def conv_backward_im2col(dout: Any, cache: tuple) -> tuple[Any, Any, Any]:
    """Backward pass of a conv layer with matrix multiplies.

    The columns are rebuilt from the cached input rather than cached, which
    keeps the forward pass's memory at the size of its output.

    Parameters
    ----------
    dout : ndarray, shape (N, F, H_out, W_out)
    cache : tuple
        From :func:`conv_forward_im2col` (or ``conv_forward_naive``: same layout).

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    dw : ndarray, shape (F, C, HH, WW)
    db : ndarray, shape (F,)
    """
    x, w, b, conv_param = check_cache(cache, 4, "conv_backward_im2col")
    xp = get_array_module(x, dout)
    g = conv_geometry(x, w, b, conv_param)
    check_dout(dout, g.out_shape, "conv_backward_im2col")
    dout = dout.astype(x.dtype, copy=False)
    p, L, K = g.pad, g.H_out * g.W_out, g.C * g.HH * g.WW
    w_row = w.reshape(g.F, K)
    db = dout.sum(axis=(0, 2, 3))
    dw_row = xp.zeros((g.F, K), dtype=x.dtype)
    dxpad = xp.zeros((g.N, g.C, g.H + 2 * p, g.W + 2 * p), dtype=x.dtype)
    nb = _chunk_size(g, x.dtype.itemsize)
    buf = xp.empty(K * nb * L, dtype=x.dtype)
    for n0 in range(0, g.N, nb):
        m = min(nb, g.N - n0)
        cols = buf[: K * m * L].reshape(g.C, g.HH, g.WW, m, g.H_out, g.W_out)
        fill_cols(_padded(xp, x[n0 : n0 + m], p), cols, g.stride, g.dilation)
        # (m, F, L) -> (F, m*L), the column order of cols
        d_row = dout[n0 : n0 + m].reshape(m, g.F, L).transpose(1, 0, 2).reshape(g.F, m * L)
        dw_row += d_row @ cols.reshape(K, m * L).T
        dcols = (w_row.T @ d_row).reshape(cols.shape)
        add_cols(dcols, dxpad[n0 : n0 + m], g.stride, g.dilation)
    dx = dxpad[:, :, p : p + g.H, p : p + g.W] if p else dxpad
    return xp.ascontiguousarray(dx), dw_row.reshape(w.shape), db


def _padded(xp: Any, x: Any, p: int) -> Any:
    return xp.pad(x, ((0, 0), (0, 0), (p, p), (p, p))) if p else x
