"""Convolution as a matrix multiply over im2col columns: the fast path.

Forward: ``out[n] = w.reshape(F, -1) @ cols[n] + b`` with ``cols[n]`` of shape
``(C*HH*WW, H_out*W_out)``; backward: ``dw = sum_n dout[n] @ cols[n].T`` and
``dcols[n] = w.reshape(F, -1).T @ dout[n]``, scattered back by col2im.

The batch is processed in chunks of whole images so that the column matrix,
which is ``HH*WW`` times larger than the input, stays small enough to live in
cache and is allocated once per call instead of once per image. Within a chunk
the multiply is a single batched GEMM whose result is already in NCHW order, so
no transpose of the output is needed.
"""

from __future__ import annotations

from typing import Any

from convref._checks import check_cache, check_dout
from convref._workspace import padded, scratch
from convref.backend import get_array_module
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
    buf = scratch(xp, "cols", (nb, g.C, g.HH, g.WW, g.H_out, g.W_out), x.dtype)
    bias = b.reshape(g.F, 1)
    for n0 in range(0, g.N, nb):
        n1 = min(n0 + nb, g.N)
        xpad = padded(xp, x[n0:n1], p, nb)
        cols = fill_cols(xpad, buf[: n1 - n0], g.stride, g.dilation)
        chunk = out[n0:n1]
        xp.matmul(w_row, cols.reshape(n1 - n0, K, L), out=chunk)
        chunk += bias
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
    shape = (g.C, g.HH, g.WW, g.H_out, g.W_out)
    buf = scratch(xp, "cols", (nb, *shape), x.dtype)
    dbuf = scratch(xp, "dcols", (nb, *shape), x.dtype)
    for n0 in range(0, g.N, nb):
        n1 = min(n0 + nb, g.N)
        m = n1 - n0
        cols = fill_cols(padded(xp, x[n0:n1], p, nb), buf[:m], g.stride, g.dilation)
        cols = cols.reshape(m, K, L)
        d = dout[n0:n1].reshape(m, g.F, L)
        # one batched GEMM (m small ones), summed over the chunk's images
        dw_row += xp.matmul(d, cols.transpose(0, 2, 1)).sum(axis=0)
        dcols = dbuf[:m]
        xp.matmul(w_row.T, d, out=dcols.reshape(m, K, L))
        add_cols(dcols, dxpad[n0:n1], g.stride, g.dilation)
    dx = dxpad[:, :, p : p + g.H, p : p + g.W] if p else dxpad
    return xp.ascontiguousarray(dx), dw_row.reshape(w.shape), db
