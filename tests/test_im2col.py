"""im2col's layout and col2im as its adjoint."""

import numpy as np
import pytest
from hypothesis import given, settings
from strategies import conv_cases

from convref import col2im, im2col


def test_layout_rows_cij_columns_nyx():
    rng = np.random.default_rng(0)
    N, C, H, W, HH, WW, s, p = 2, 3, 5, 6, 3, 2, 1, 1
    x = rng.standard_normal((N, C, H, W))
    cols = im2col(x, HH, WW, stride=s, pad=p)
    H_out, W_out = H + 2 * p - HH + 1, W + 2 * p - WW + 1
    assert cols.shape == (C * HH * WW, N * H_out * W_out)
    xpad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    for n in range(N):
        for y in range(H_out):
            for z in range(W_out):
                column = cols[:, (n * H_out + y) * W_out + z]
                window = xpad[n, :, y : y + HH, z : z + WW]
                np.testing.assert_array_equal(column, window.reshape(-1))  # (c, i, j) order


def test_weights_times_columns_is_the_convolution():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 7, 7))
    w = rng.standard_normal((4, 3, 3, 3))
    cols = im2col(x, 3, 3, stride=2, pad=1)
    out = (w.reshape(4, -1) @ cols).reshape(4, 2, 4, 4).transpose(1, 0, 2, 3)
    # oracle: one output by the definition
    xpad = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    assert np.isclose(out[1, 2, 3, 1], np.sum(xpad[1, :, 6:9, 2:5] * w[2]))


def test_alexnet_shapes():
    x = np.zeros((1, 3, 227, 227), dtype=np.float32)
    assert im2col(x, 11, 11, stride=4).shape == (363, 3025)


@settings(max_examples=40, deadline=None)
@given(conv_cases())
def test_col2im_is_the_adjoint_of_im2col(case):
    # <im2col(x), c> == <x, col2im(c)> for all x, c defines the adjoint.
    x_shape, (F, C, HH, WW), p = case
    rng = np.random.default_rng(sum(x_shape))
    x = rng.standard_normal(x_shape)
    args = (HH, WW, p["stride"], p["pad"], p["dilation"])
    cols = im2col(x, *args)
    c = rng.standard_normal(cols.shape)
    lhs = np.sum(cols * c)
    rhs = np.sum(x * col2im(c, x_shape, *args))
    assert np.isclose(lhs, rhs, rtol=1e-10)


def test_col2im_counts_overlaps():
    # Each pixel receives one 1 per window that covers it.
    x_shape = (1, 1, 4, 4)
    counts = col2im(np.ones((9, 4)), x_shape, 3, 3, stride=1, pad=0)
    expected = np.array([[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])
    np.testing.assert_array_equal(counts[0, 0], expected)


def test_window_view_reads_every_field_and_refuses_to_read_past_the_buffer():
    from convref.windows import window_view

    x = np.arange(2 * 3 * 5 * 6, dtype=float).reshape(2, 3, 5, 6)
    view = window_view(np, x, 2, 3, 1, 1, 4, 4)  # exact rows: W_out = 4
    for n, c, i, j, y, col in [(0, 0, 0, 0, 0, 0), (1, 2, 1, 2, 3, 3), (1, 1, 0, 1, 2, 0)]:
        assert view[n, c, i, j, y, col] == x[n, c, y + i, col + j]
    spare = np.zeros((2, 3, 6, 6))  # one spare row below each 5x6 image
    spare[:, :, :5] = x
    wide = window_view(np, spare, 2, 3, 1, 1, 4, 6)  # rows span the full width
    assert wide[1, 2, 1, 2, 3, 5] == spare[1, 2, 5, 1]  # wrapped into the spare row
    with pytest.raises(ValueError, match="spare row"):
        window_view(np, x, 2, 3, 1, 1, 4, 6)  # the last image's last row would overrun
