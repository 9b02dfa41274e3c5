"""Convolution: naive and im2col paths against independent oracles."""

import numpy as np
import pytest
from conv_helpers import assert_conv_gradients_match_numerical, tuned
from hypothesis import given, settings
from scipy.signal import correlate
from strategies import conv_cases

from convref import (
    conv_backward_im2col,
    conv_backward_naive,
    conv_fast,
    conv_forward_im2col,
    conv_forward_naive,
)
from convref.conv_fast import column_plan
from convref.conv_params import conv_geometry

PATHS = [
    pytest.param(conv_forward_naive, conv_backward_naive, id="naive"),
    pytest.param(conv_forward_im2col, conv_backward_im2col, id="im2col"),
]


def scipy_conv(x, w, b, stride, pad, dilation=1):
    """Oracle: SciPy's valid cross-correlation per (n, f, c), summed over c, then strided."""
    F, C, HH, WW = w.shape
    wd = np.zeros((F, C, dilation * (HH - 1) + 1, dilation * (WW - 1) + 1))
    wd[:, :, ::dilation, ::dilation] = w  # dilation = zeros between taps
    xpad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = []
    for n in range(x.shape[0]):
        maps = []
        for f in range(F):
            full = sum(correlate(xpad[n, c], wd[f, c], mode="valid") for c in range(C))
            maps.append(full[::stride, ::stride] + b[f])
        out.append(maps)
    return np.array(out)


@pytest.mark.parametrize(("forward", "backward"), PATHS)
@pytest.mark.parametrize(
    ("param", "hw"),
    [
        ({"stride": 1, "pad": 0}, (10, 13)),
        ({"stride": 2, "pad": 1}, (11, 12)),
        ({"stride": 1, "pad": 2, "dilation": 2}, (9, 6)),
        ({"stride": 3, "pad": 1, "dilation": 3}, (11, 11)),
    ],
)
def test_forward_matches_scipy(forward, backward, param, hw):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, *hw))
    w = rng.standard_normal((4, 3, 3, 2))
    b = rng.standard_normal(4)
    out, _ = forward(x, w, b, param)
    expected = scipy_conv(x, w, b, param["stride"], param["pad"], param.get("dilation", 1))
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(conv_cases())
def test_naive_and_im2col_agree(case):
    x_shape, w_shape, param = case
    rng = np.random.default_rng(sum(x_shape) + sum(w_shape))
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0])
    out1, cache1 = conv_forward_naive(x, w, b, param)
    out2, cache2 = conv_forward_im2col(x, w, b, param)
    np.testing.assert_allclose(out2, out1, rtol=1e-10, atol=1e-12)
    dout = rng.standard_normal(out1.shape)
    for g1, g2 in zip(conv_backward_naive(dout, cache1), conv_backward_im2col(dout, cache2), strict=True):
        np.testing.assert_allclose(g2, g1, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("forward", "backward"), PATHS)
@pytest.mark.parametrize(
    "param",
    [{"stride": 1, "pad": 1}, {"stride": 2, "pad": 0}, {"stride": 1, "pad": 1, "dilation": 2}],
)
def test_backward_passes_numerical_gradient_check(forward, backward, param):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 7, 5))
    w = rng.standard_normal((3, 3, 3, 3))
    b = rng.standard_normal(3)
    assert_conv_gradients_match_numerical(forward, backward, x, w, b, param, rng)


def test_backward_is_a_convolution_with_flipped_filters():
    # The notes: the data gradient of a stride-1 conv is a full convolution of
    # dout with the spatially flipped filters (channels swapped).
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 2, 6, 6))
    w = rng.standard_normal((3, 2, 3, 3))
    out, cache = conv_forward_im2col(x, w, np.zeros(3), {"stride": 1, "pad": 0})
    dout = rng.standard_normal(out.shape)
    dx, _, _ = conv_backward_im2col(dout, cache)
    flipped = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)  # (C, F, 3, 3)
    expected, _ = conv_forward_naive(dout, flipped, np.zeros(2), {"stride": 1, "pad": 2})
    np.testing.assert_allclose(dx, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("forward", "backward"), PATHS)
def test_float32_stays_float32(forward, backward):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    b = np.zeros(4, np.float32)
    out, cache = forward(x, w, b, {"stride": 1, "pad": 1})
    assert out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in backward(np.ones_like(out), cache))
    ref = scipy_conv(x.astype(np.float64), w.astype(np.float64), b, 1, 1)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)


def test_integer_inputs_are_converted_to_float64():
    x = np.arange(2 * 1 * 4 * 4).reshape(2, 1, 4, 4)
    w = np.ones((1, 1, 2, 2), dtype=np.int32)
    out, _ = conv_forward_im2col(x, w, np.array([1]), {"stride": 2, "pad": 0})
    assert out.dtype == np.float64
    assert out[0, 0, 0, 0] == 0 + 1 + 4 + 5 + 1


def test_large_batch_spans_several_chunks():
    # The fast path processes the batch in chunks; the answer must not depend on it.
    rng = np.random.default_rng(4)
    x = rng.standard_normal((7, 2, 6, 6))
    w = rng.standard_normal((3, 2, 3, 3))
    b = rng.standard_normal(3)
    whole = conv_forward_im2col(x, w, b, {"stride": 1, "pad": 1})
    with tuned(FORWARD_CHUNK_BYTES=1, BACKWARD_CHUNK_BYTES=1):  # one image per chunk
        chunked = conv_forward_im2col(x, w, b, {"stride": 1, "pad": 1})
        dout = rng.standard_normal(whole[0].shape)
        grads_chunked = conv_backward_im2col(dout, chunked[1])
    np.testing.assert_allclose(chunked[0], whole[0], rtol=1e-12)
    for g1, g2 in zip(grads_chunked, conv_backward_im2col(dout, whole[1]), strict=True):
        np.testing.assert_allclose(g1, g2, rtol=1e-12, atol=1e-12)


def test_reused_buffers_never_leak_between_calls():
    # The fast path keeps its padded input and columns between calls; a call with
    # another shape, padding or dtype in between must not change any answer.
    rng = np.random.default_rng(5)
    big = (rng.standard_normal((3, 2, 9, 9)), rng.standard_normal((2, 2, 3, 3)), np.zeros(2), {"stride": 1, "pad": 2})
    small = (rng.standard_normal((1, 2, 5, 5)) + 100, rng.standard_normal((2, 2, 3, 3)), np.ones(2), {"stride": 2, "pad": 1})
    expected = {id(case): conv_forward_naive(*case)[0] for case in (big, small)}
    for case in (big, small, big, small, big):
        np.testing.assert_allclose(conv_forward_im2col(*case)[0], expected[id(case)], rtol=1e-12)
    as32 = tuple(a.astype(np.float32) if isinstance(a, np.ndarray) else a for a in big)
    np.testing.assert_allclose(conv_forward_im2col(*as32)[0], expected[id(big)], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(conv_forward_im2col(*big)[0], expected[id(big)], rtol=1e-12)


def test_reused_padding_with_the_same_padded_size_but_another_pad():
    # 6x3 images padded by 1 and 4x1 images padded by 2 both fill 8x5 buffers;
    # the first call's pixels must not show up in the second call's border.
    rng = np.random.default_rng(6)
    w = rng.standard_normal((1, 2, 4, 3))
    first = rng.standard_normal((1, 2, 6, 3)) + 50
    second = rng.standard_normal((1, 2, 4, 1))
    conv_forward_im2col(first, w, np.zeros(1), {"stride": 1, "pad": 1})
    out, _ = conv_forward_im2col(second, w, np.zeros(1), {"stride": 1, "pad": 2})
    expected, _ = conv_forward_naive(second, w, np.zeros(1), {"stride": 1, "pad": 2})
    np.testing.assert_allclose(out, expected, rtol=1e-12)


@pytest.mark.parametrize(
    "param",
    [{"stride": 1, "pad": 0}, {"stride": 2, "pad": 0}, {"stride": 1, "pad": 1, "dilation": 2}],
)
def test_non_contiguous_inputs_give_the_same_answers(param):
    # With pad 0 and stride > 1 the fast path reads x through a strided view of
    # the caller's array, so that array's own strides must be honoured.
    rng = np.random.default_rng(7)
    x = np.asfortranarray(rng.standard_normal((3, 2, 9, 11)))[:, :, :, ::-1]
    w = rng.standard_normal((4, 2, 3, 3))[:, :, ::-1]
    b = rng.standard_normal(4)
    out, cache = conv_forward_im2col(x, w, b, param)
    expected, naive_cache = conv_forward_naive(np.ascontiguousarray(x), np.ascontiguousarray(w), b, param)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    dout = np.asfortranarray(rng.standard_normal(out.shape))
    for g1, g2 in zip(conv_backward_im2col(dout, cache), conv_backward_naive(dout, naive_cache), strict=True):
        np.testing.assert_allclose(g1, g2, rtol=1e-12, atol=1e-12)


def test_wrapped_positions_of_stride_one_leave_no_trace(monkeypatch):
    # The backward pass with stride 1 computes Wp - W_out extra positions per
    # row that wrap into the next row (and, on the last row, into a spare zero
    # row). Huge values in the last column and last row would show up in any
    # gradient that picked them up by mistake.
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 3, 7, 8))
    monkeypatch.setattr(conv_fast, "WRAP_MAX_WASTE", 10.0)  # wrap even at 5 of 8
    x[:, :, -1, :] = 1e6
    x[:, :, :, -1] = -1e6
    w, b = rng.standard_normal((2, 3, 3, 4)), rng.standard_normal(2)
    for param in ({"stride": 1, "pad": 0}, {"stride": 1, "pad": 2}, {"stride": 2, "pad": 0}):
        out, cache = conv_forward_im2col(x, w, b, param)
        assert column_plan(conv_geometry(x, w, b, param), 8, backward=True).row == (
            8 + 2 * param["pad"] if param["stride"] == 1 else out.shape[3]
        )
        expected, naive_cache = conv_forward_naive(x, w, b, param)
        np.testing.assert_allclose(out, expected, rtol=1e-12)
        dout = rng.standard_normal(out.shape)
        for g1, g2 in zip(conv_backward_im2col(dout, cache), conv_backward_naive(dout, naive_cache), strict=True):
            np.testing.assert_allclose(g1, g2, rtol=1e-10, atol=1e-6)


def test_the_spare_row_buffer_is_not_mixed_up_with_a_plain_padded_one():
    # The forward pass and the wrapping backward pass on the same images and
    # padding use padded buffers of different heights (the backward adds a
    # spare row); alternating must not confuse them.
    rng = np.random.default_rng(9)
    x, w, b = rng.standard_normal((2, 2, 9, 24)) + 10, rng.standard_normal((3, 2, 3, 3)), np.zeros(3)
    param = {"stride": 1, "pad": 1}
    assert column_plan(conv_geometry(x, w, b, param), 8, backward=True).extra_rows == 1
    expected, naive_cache = conv_forward_naive(x, w, b, param)
    dout = rng.standard_normal(expected.shape)
    expected_grads = conv_backward_naive(dout, naive_cache)
    for _ in range(2):
        out, cache = conv_forward_im2col(x, w, b, param)
        np.testing.assert_allclose(out, expected, rtol=1e-12)
        for g1, g2 in zip(conv_backward_im2col(dout, cache), expected_grads, strict=True):
            np.testing.assert_allclose(g1, g2, rtol=1e-10, atol=1e-10)
