"""Convolution as matrix multiplies over im2col columns: the fast path.

Forward: ``out[n] = w.reshape(F, -1) @ cols[n] + b`` with ``cols[n]`` of shape
``(C*HH*WW, H_out*W_out)``; backward: ``dw = sum_n dout[n] @ cols[n].T`` and
``dcols[n] = w.reshape(F, -1).T @ dout[n]``, scattered back onto the input.

What makes it fast, each kept because a side-by-side measurement showed it pays
(see the README's Performance section and the constants below):

- **Chunks of whole images.** The column matrix is ``HH*WW`` times larger than
  the input; a chunk of it at a time stays in cache, in buffers reused between
  calls. Within a chunk the multiply is a batched GEMM whose result is already
  in NCHW order, so the output needs no transpose.
- **Columns copied in one go.** :func:`convref.windows.window_view` shows every
  receptive field as one strided view; a single copy fills the columns.
- **The bias inside the GEMM.** The forward's columns carry one more row of
  ones and the weights one more column, ``b``: the multiply adds the bias. The
  backward's columns carry the same row, so the ``dw`` GEMM's last column is
  ``db``. Neither needs a separate pass over the output.
- **Shifted rows in the stride-1 forward pass.** Kernel row ``i`` sees the
  same input rows as kernel row 0, moved down ``i`` rows: only ``C*WW`` rows
  are copied and each kernel row's GEMM reads its slice of them in place
  (:func:`_forward_shifted_rows`). ``HH`` times less copying for ``HH`` GEMMs
  with ``K = C*WW`` and ``HH - 1`` additions of the output; it pays unless
  ``C*WW`` is tiny (``SHIFTED_ROWS_MIN_K``).
- **Long runs in the backward pass.** Its scatter adds each tap's block of
  ``dcols`` onto the same strided view of the padded gradient (``HH*WW``
  whole-array additions). With stride 1 and a little padding, a column row
  spans the padded width ``Wp`` instead of ``W_out``: the ``H_out`` rows of a
  tap become one run of consecutive elements, which makes the copy and the
  scatter several times cheaper, at the price of ``Wp - W_out`` thrown-away
  positions per row in both GEMMs (see :func:`column_plan`). The scatter goes
  into one chunk's padded gradient, which stays in cache, and its interior is
  then copied to ``dx``.

The backward pass rebuilds the columns from the cached input instead of caching
them: the copy costs about a tenth of the two GEMMs, while a cache would hold
``HH*WW`` times the input (58 MB for the VGG-like benchmark layer in float32).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from convref._checks import check_cache, check_dout
from convref._workspace import padded, scratch
from convref.backend import get_array_module
from convref.conv_params import ConvGeometry, conv_geometry, conv_inputs
from convref.windows import window_view

# Upper bounds on the buffers of one chunk of images, measured side by side on
# the benchmark's layers (2-core Skylake-X, 2 MiB of L2 per core). The forward
# pass wants its chunk to stay in cache: 1 MiB took 0.66-0.67x the time of 8 MiB
# on CIFAR-10's 7x7 layer and 0.72-0.80x on the standard shape. The backward
# pass loops over the HH*WW taps once per chunk, so it prefers fewer, larger
# chunks: 1 MiB took 1.0-1.1x the time of 8 MiB on the 7x7 layer.
FORWARD_CHUNK_BYTES = 2**20
BACKWARD_CHUNK_BYTES = 8 * 2**20
# Longest share of thrown-away positions per row for which the backward pass
# lets rows span the padded width (see column_plan). Measured side by side in
# float32: 3x3 filters on 56-wide maps (3.6% waste) take 0.84-0.93x the time
# of W_out-wide rows; 7x7 filters on 32-wide maps (19% waste) 1.04-1.10x.
WRAP_MAX_WASTE = 0.1
# Fewest rows (C*WW) per GEMM for which the stride-1 forward pass multiplies
# kernel row by kernel row on shifted rows (see _forward_shifted_rows) rather
# than over the full columns. Measured side by side in float32, time of shifted
# rows / full columns: 0.81-0.93x with C*WW = 21 (CIFAR-10's 3-channel 7x7
# layer), 0.7-0.9x with 192 (VGG-like 3x3), 0.8x with 320 (64 channels, 5x5),
# but 1.1-1.3x with 9 (3 channels, 3x3: GEMMs too thin).
SHIFTED_ROWS_MIN_K = 16


@dataclass(frozen=True)
class ColumnPlan:
    """How the columns of one layer call are laid out and chunked."""

    row: int  # window positions per output row: W_out, or Wp for stride 1
    extra_rows: int  # zero rows below each padded image (1 when row wraps)
    images: int  # images per chunk

    def length(self, g: ConvGeometry) -> int:
        """Columns per image, ``H_out * row``."""
        return g.H_out * self.row


def column_plan(g: ConvGeometry, itemsize: int, backward: bool = False) -> ColumnPlan:
    """Choose the column layout and the chunk size for geometry ``g``.

    Rows span the padded width only in the backward pass, with stride 1, and
    when that wastes at most ``WRAP_MAX_WASTE`` of the GEMMs' work: there the
    long runs make the scatter several times faster than ``W_out``-long ones.
    The forward pass has no scatter to speed up, so it never pays the waste.
    """
    Wp = g.W + 2 * g.pad
    wraps = backward and g.stride == 1 and 0 < Wp - g.W_out <= WRAP_MAX_WASTE * g.W_out
    row = Wp if wraps else g.W_out
    per_image = g.C * g.HH * g.WW * g.H_out * row * itemsize
    budget = BACKWARD_CHUNK_BYTES if backward else FORWARD_CHUNK_BYTES
    return ColumnPlan(row, 1 if wraps else 0, images_per_chunk(g, per_image, budget))


def _columns(xp: Any, x: Any, g: ConvGeometry, plan: ColumnPlan, buf: Any) -> None:
    """Fill ``buf`` (m, C, HH, WW, H_out, row) with the receptive fields of ``x``."""
    xpad = padded(xp, x, g.pad, plan.images, plan.extra_rows)
    view = window_view(xp, xpad, g.HH, g.WW, g.stride, g.dilation, g.H_out, plan.row)
    xp.copyto(buf, view)


def conv_forward_im2col(
    x: Any, w: Any, b: Any, conv_param: dict
) -> tuple[Any, tuple]:
    """Forward pass of a conv layer as matrix multiplies over chunks of images.

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
    out = xp.empty(g.out_shape, dtype=x.dtype)
    if uses_shifted_rows(g):
        _forward_shifted_rows(xp, x, w, b, g, out)
    else:
        _forward_columns(xp, x, w, b, g, out)
    return out, (x, w, b, conv_param)


def uses_shifted_rows(g: ConvGeometry) -> bool:
    """Whether the forward pass multiplies kernel row by kernel row (see
    :func:`_forward_shifted_rows`): stride 1, and at least
    ``SHIFTED_ROWS_MIN_K`` rows ``C*WW`` per GEMM."""
    return g.stride == 1 and g.C * g.WW >= SHIFTED_ROWS_MIN_K


def images_per_chunk(g: ConvGeometry, per_image: int, budget: int) -> int:
    """How many images of ``per_image`` bytes of buffers fit in ``budget`` bytes (at least 1)."""
    return max(1, min(g.N, budget // max(per_image, 1)))


def _forward_columns(xp: Any, x: Any, w: Any, b: Any, g: ConvGeometry, out: Any) -> None:
    """Fill ``out`` with one GEMM per chunk over the full im2col columns."""
    plan = column_plan(g, x.dtype.itemsize)
    nb, L, K = plan.images, plan.length(g), g.C * g.HH * g.WW
    # One more row of ones under each image's columns, and the bias as one more
    # column of the weights: the GEMM adds the bias, saving a pass over `out`.
    w_bias = xp.concatenate([w.reshape(g.F, K), b.reshape(g.F, 1)], axis=1)
    buf = scratch(xp, "cols", (nb, K + 1, L), x.dtype)
    buf[:, K] = 1
    for n0 in range(0, g.N, nb):
        n1 = min(n0 + nb, g.N)
        m = n1 - n0
        fields = buf[:m, :K].reshape(m, g.C, g.HH, g.WW, g.H_out, g.W_out)  # a view
        _columns(xp, x[n0:n1], g, plan, fields)
        xp.matmul(w_bias, buf[:m], out=out[n0:n1].reshape(m, g.F, L))


def shifted_rows_plan(g: ConvGeometry, itemsize: int) -> tuple[int, int, int]:
    """``(K, U, images)`` of the shifted-rows forward pass: rows per kernel row
    (``C*WW``), length of each row (``Hp * W_out``) and images per chunk."""
    K, U = g.C * g.WW, (g.H + 2 * g.pad) * g.W_out
    per_image = ((K + 1) * U + g.F * g.H_out * g.W_out) * itemsize
    return K, U, images_per_chunk(g, per_image, FORWARD_CHUNK_BYTES)


def _forward_shifted_rows(
    xp: Any, x: Any, w: Any, b: Any, g: ConvGeometry, out: Any
) -> None:
    """Fill ``out`` with one GEMM per kernel row (stride 1).

    With stride 1, the columns of kernel row ``i`` are those of kernel row 0
    moved down by ``i*dilation`` image rows. So only ``C*WW`` rows are copied,
    ``rows[c, j, r, x] = xpad[c, r, x + j*dilation]`` over all ``Hp`` padded
    rows ``r``: flattened, kernel row ``i``'s columns are the contiguous slice
    starting at ``i*dilation*W_out`` of each row, a matrix the GEMM reads in
    place. The copy shrinks ``HH``-fold; the price is ``HH`` GEMMs with
    ``K = C*WW`` and ``HH - 1`` additions of the output.
    """
    K, U, nb = shifted_rows_plan(g, x.dtype.itemsize)
    L = g.H_out * g.W_out
    w_rows = w.transpose(2, 0, 1, 3).reshape(g.HH, g.F, K)  # (i, f, (c, j)): a copy
    # The first GEMM also adds the bias, through a row of ones under the rows.
    w_first = xp.concatenate([w_rows[0], b.reshape(g.F, 1)], axis=1)
    buf = scratch(xp, "shifted rows", (nb, K + 1, U), x.dtype)
    buf[:, K] = 1
    part = scratch(xp, "row product", (nb, g.F, L), x.dtype)
    Hp = g.H + 2 * g.pad
    for n0 in range(0, g.N, nb):
        n1 = min(n0 + nb, g.N)
        m = n1 - n0
        xpad = padded(xp, x[n0:n1], g.pad, nb)
        rows = window_view(xp, xpad, 1, g.WW, 1, g.dilation, Hp, g.W_out)
        xp.copyto(buf[:m, :K].reshape(rows.shape), rows)
        o = out[n0:n1].reshape(m, g.F, L)
        xp.matmul(w_first, buf[:m, :, :L], out=o)
        for i in range(1, g.HH):
            start = i * g.dilation * g.W_out
            xp.matmul(w_rows[i], buf[:m, :K, start : start + L], out=part[:m])
            o += part[:m]


def conv_backward_im2col(dout: Any, cache: tuple) -> tuple[Any, Any, Any]:
    """Backward pass of a conv layer with matrix multiplies.

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
    plan = column_plan(g, x.dtype.itemsize, backward=True)
    nb, L, K, p = plan.images, plan.length(g), g.C * g.HH * g.WW, g.pad
    w_row = w.reshape(g.F, K)
    # As in the forward pass, a row of ones under the columns: the dw GEMM's
    # last column is then the sum of dout over the positions, db.
    dwb = xp.zeros((g.F, K + 1), dtype=x.dtype)
    dx = xp.empty(x.shape, dtype=x.dtype)
    shape = (g.C, g.HH, g.WW, g.H_out, plan.row)
    buf = scratch(xp, "cols", (nb, K + 1, L), x.dtype)
    buf[:, K] = 1
    dbuf = scratch(xp, "dcols", (nb, *shape), x.dtype)
    wraps = plan.row != g.W_out
    # dout widened to the wrapped rows, with zeros at the thrown-away positions
    wide = scratch(xp, "wide dout", (nb, g.F, g.H_out, plan.row), x.dtype) if wraps else None
    # The padded gradient of one chunk: small enough to stay in cache while the
    # scatter adds into it, then its interior is copied to dx.
    Hb, Wp = g.H + 2 * p + plan.extra_rows, g.W + 2 * p
    dxpad = scratch(xp, "padded dx", (nb, g.C, Hb, Wp), x.dtype)
    for n0 in range(0, g.N, nb):
        n1 = min(n0 + nb, g.N)
        m = n1 - n0
        _columns(xp, x[n0:n1], g, plan, buf[:m, :K].reshape(m, *shape))
        if not wraps:
            d = dout[n0:n1].reshape(m, g.F, L)
        else:  # zeros at the wrapped positions: they must add nothing
            d = wide[:m]
            d[:, :, :, g.W_out :] = 0
            d[:, :, :, : g.W_out] = dout[n0:n1]
            d = d.reshape(m, g.F, L)
        for k in range(m):  # one GEMM per image, accumulated: no (m, F, K) temporary
            dwb += xp.matmul(d[k], buf[k].T)
        dcols = dbuf[:m]
        xp.matmul(w_row.T, d, out=dcols.reshape(m, K, L))
        dpad = dxpad[:m]
        dpad[...] = 0
        taps = window_view(xp, dpad, g.HH, g.WW, g.stride, g.dilation, g.H_out, plan.row)
        for i in range(g.HH):
            for j in range(g.WW):
                taps[:, :, i, j] += dcols[:, :, i, j]
        dx[n0:n1] = dpad[:, :, p : p + g.H, p : p + g.W]
    return dx, dwb[:, :K].reshape(w.shape), dwb[:, K].copy()
