"""The fast conv layer's layouts: each branch against the naive loops and a numerical gradient.

:mod:`convref.conv_fast` picks its layout from the geometry (full im2col
columns, or for stride 1 and enough channels one GEMM per kernel row on shifted
rows). These tests force each branch on geometries the default choice would
not send there, so every branch meets stride, padding, dilation, non-square
shapes, both float dtypes and several chunks.
"""

import fake_cupy
import numpy as np
import pytest
from conv_helpers import assert_conv_gradients_match_numerical, tuned
from hypothesis import given, settings
from strategies import conv_cases

from convref import (
    backend,
    conv_backward_im2col,
    conv_backward_naive,
    conv_fast,
    conv_forward_im2col,
    conv_forward_naive,
)
from convref.conv_params import conv_geometry

SHIFTED = pytest.param(0, id="shifted-rows")
COLUMNS = pytest.param(10**6, id="im2col")


@pytest.fixture(params=[SHIFTED, COLUMNS])
def layout(request, monkeypatch):
    """Force the forward layout: shifted rows wherever the stride is 1, or never."""
    monkeypatch.setattr(conv_fast, "SHIFTED_ROWS_MIN_K", request.param)
    return request.param


@pytest.mark.parametrize("min_k", [SHIFTED, COLUMNS])
@pytest.mark.parametrize("chunk_bytes", [1, 2**20], ids=["one-image-chunks", "one-chunk"])
@settings(max_examples=60, deadline=None)
@given(case=conv_cases(max_channels=3, max_out=5))
def test_every_geometry_matches_the_naive_layer(min_k, chunk_bytes, case):
    x_shape, w_shape, param = case
    rng = np.random.default_rng(sum(x_shape) + 7 * sum(w_shape))
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0])
    expected, naive_cache = conv_forward_naive(x, w, b, param)
    with tuned(SHIFTED_ROWS_MIN_K=min_k, FORWARD_CHUNK_BYTES=chunk_bytes, BACKWARD_CHUNK_BYTES=chunk_bytes):
        out, cache = conv_forward_im2col(x, w, b, param)
        dout = rng.standard_normal(expected.shape)
        grads = conv_backward_im2col(dout, cache)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    for got, want in zip(grads, conv_backward_naive(dout, naive_cache), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "param"),
    [
        ((3, 2, 9, 13), (4, 2, 5, 3), {"stride": 1, "pad": 0}),  # non-square, no padding
        ((2, 3, 8, 7), (2, 3, 2, 4), {"stride": 1, "pad": 2, "dilation": 2}),
        ((2, 1, 11, 9), (3, 1, 3, 3), {"stride": 2, "pad": 1}),  # stride 2: always im2col
        ((1, 3, 12, 12), (5, 3, 7, 7), {"stride": 1, "pad": 3}),  # CIFAR-10's filter shape
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_named_geometries_in_both_dtypes(layout, x_shape, w_shape, param, dtype):
    rng = np.random.default_rng(11)
    x = rng.standard_normal(x_shape)
    w, b = rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    expected, _ = conv_forward_naive(x, w, b, param)
    out, _ = conv_forward_im2col(x.astype(dtype), w.astype(dtype), b.astype(dtype), param)
    assert out.dtype == dtype
    tol = 1e-4 if dtype == np.float32 else 1e-11
    np.testing.assert_allclose(out, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize(
    "param", [{"stride": 1, "pad": 2}, {"stride": 1, "pad": 0, "dilation": 2}, {"stride": 2, "pad": 1}]
)
def test_numerical_gradient_through_the_forced_layout(layout, param):
    rng = np.random.default_rng(12)
    x = rng.standard_normal((2, 2, 9, 8))
    w = rng.standard_normal((3, 2, 3, 2))
    b = rng.standard_normal(3)
    assert_conv_gradients_match_numerical(conv_forward_im2col, conv_backward_im2col, x, w, b, param, rng)


def test_the_default_choice_of_layout():
    # Stride 1 with at least SHIFTED_ROWS_MIN_K rows C*WW per GEMM: shifted rows.
    def geometry(C, WW, stride):
        x, w = np.zeros((1, C, 17, 17)), np.zeros((2, C, 3, WW))
        return conv_geometry(x, w, np.zeros(2), {"stride": stride, "pad": 1})

    k = conv_fast.SHIFTED_ROWS_MIN_K
    assert conv_fast.uses_shifted_rows(geometry(k, 1, 1))
    assert not conv_fast.uses_shifted_rows(geometry(k, 1, 2))
    assert not conv_fast.uses_shifted_rows(geometry(k - 1, 1, 1))
    assert conv_fast.uses_shifted_rows(geometry(3, 7, 1))  # CIFAR-10's 7x7 filters


def test_shifted_rows_keep_the_array_kind_of_the_gpu_stand_in(layout):
    cupy = fake_cupy.make()
    backend.set_cupy_module(cupy)
    try:
        rng = np.random.default_rng(13)
        x, w, b = rng.standard_normal((3, 2, 9, 8)), rng.standard_normal((4, 2, 5, 3)), rng.standard_normal(4)
        param = {"stride": 1, "pad": 2}
        out, cache = conv_forward_im2col(cupy.asarray(x), cupy.asarray(w), cupy.asarray(b), param)
        assert isinstance(out, cupy.ndarray)
        np.testing.assert_allclose(backend.asnumpy(out), conv_forward_naive(x, w, b, param)[0], rtol=1e-12)
        grads = conv_backward_im2col(cupy.asarray(np.ones(out.shape)), cache)
        assert all(isinstance(g, cupy.ndarray) for g in grads)
    finally:
        backend.reset_cupy_module()


def test_a_smaller_last_chunk_and_another_geometry_in_between_leave_no_trace(layout):
    # The padded gradient and the shifted rows live in reused buffers; a call on
    # other shapes in between, and a last chunk smaller than the others, must
    # not let old values leak into any result.
    rng = np.random.default_rng(14)
    a = (rng.standard_normal((5, 2, 7, 9)), rng.standard_normal((3, 2, 5, 3)), rng.standard_normal(3), {"stride": 1, "pad": 2})
    other = (rng.standard_normal((2, 2, 6, 6)) + 1e3, rng.standard_normal((3, 2, 5, 5)), np.ones(3), {"stride": 1, "pad": 1})
    expected, naive_cache = conv_forward_naive(*a)
    dout = rng.standard_normal(expected.shape)
    want = conv_backward_naive(dout, naive_cache)
    with tuned(FORWARD_CHUNK_BYTES=2 * 2 * 7 * 9 * 5 * 5 * 8, BACKWARD_CHUNK_BYTES=2 * 2 * 7 * 9 * 5 * 5 * 8):  # a few images per chunk, the last one smaller
        for _ in range(2):
            out, cache = conv_forward_im2col(*a)
            np.testing.assert_allclose(out, expected, rtol=1e-12)
            for got, ref in zip(conv_backward_im2col(dout, cache), want, strict=True):
                np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)
            conv_backward_im2col(np.ones((2, 3, 4, 4)), conv_forward_im2col(*other)[1])


def test_each_image_geometry_keeps_its_own_padded_buffer(monkeypatch):
    # The forward pass (no spare row) and the backward pass (a spare row) of a
    # layer alternate; each must find its zero-bordered buffer again rather
    # than re-zeroing a shared one, and only the last few geometries are kept.
    from convref import _workspace

    monkeypatch.setattr(_workspace, "PADDED_KEPT", 2)
    x = np.ones((2, 3, 4, 5))
    first = _workspace.padded(np, x, 1)
    spare_row = _workspace.padded(np, x, 1, extra_rows=1)
    assert spare_row.shape == (2, 3, 7, 7) and not np.shares_memory(first, spare_row)
    assert np.shares_memory(_workspace.padded(np, x, 1), first)
    assert np.shares_memory(_workspace.padded(np, x, 1, extra_rows=1), spare_row)
    _workspace.padded(np, np.ones((2, 3, 6, 6)), 2)  # a third geometry pushes out the oldest
    again = _workspace.padded(np, x, 1)
    assert not np.shares_memory(again, first)
    assert again[:, :, 0].sum() == 0 and again[:, :, 1:5, 1:6].sum() == x.sum()


@pytest.mark.parametrize("param", [{"stride": 1, "pad": 0}, {"stride": 1, "pad": 1, "dilation": 2}])
def test_non_contiguous_inputs_through_the_forced_layout(layout, param):
    # With pad 0 the shifted rows are read straight from the caller's array,
    # so its own strides must be honoured.
    rng = np.random.default_rng(15)
    x = np.asfortranarray(rng.standard_normal((3, 4, 9, 11)))[:, :, :, ::-1]
    w = rng.standard_normal((2, 4, 3, 5))[:, :, ::-1]
    b = rng.standard_normal(2)
    out, _ = conv_forward_im2col(x, w, b, param)
    expected, _ = conv_forward_naive(np.ascontiguousarray(x), np.ascontiguousarray(w), b, param)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
