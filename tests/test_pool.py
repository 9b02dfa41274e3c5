"""Max and average pooling: definition, switches, gradients."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import pool_cases

from convkit import eval_numerical_gradient_array, rel_error
from convref import (
    avg_pool_backward,
    avg_pool_forward,
    max_pool_backward_fast,
    max_pool_backward_naive,
    max_pool_forward_fast,
    max_pool_forward_naive,
)

PATHS = [
    pytest.param(max_pool_forward_naive, max_pool_backward_naive, id="naive"),
    pytest.param(max_pool_forward_fast, max_pool_backward_fast, id="fast"),
]
P22 = {"pool_height": 2, "pool_width": 2, "stride": 2}
P32 = {"pool_height": 3, "pool_width": 3, "stride": 2}


def distinct(shape, seed):
    """Values with no ties and gaps of at least 0.01, so numerical gradients are exact."""
    rng = np.random.default_rng(seed)
    return rng.permutation(np.prod(shape)).reshape(shape) * 0.01 - 1.0


@pytest.mark.parametrize(("forward", "backward"), PATHS)
def test_2x2_stride_2_on_a_small_example(forward, backward):
    x = np.array([[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]])
    out, _ = forward(x, P22)
    np.testing.assert_array_equal(out, [[[[6, 8], [3, 4]]]])


@pytest.mark.parametrize(("forward", "backward"), PATHS)
@pytest.mark.parametrize(
    ("param", "hw"),
    [(P22, (8, 6)), (P32, (9, 7)), ({"pool_height": 2, "pool_width": 3, "stride": 1}, (9, 7))],
)
def test_forward_matches_the_definition(forward, backward, param, hw):
    H, W = hw
    x = np.random.default_rng(0).standard_normal((2, 3, H, W))
    out, _ = forward(x, param)
    ph, pw, s = param["pool_height"], param["pool_width"], param["stride"]
    ho, wo = (H - ph) // s + 1, (W - pw) // s + 1
    expected = np.array(
        [[[[x[n, c, i * s : i * s + ph, j * s : j * s + pw].max() for j in range(wo)]
           for i in range(ho)] for c in range(3)] for n in range(2)]
    )
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize(("forward", "backward"), PATHS)
@pytest.mark.parametrize(("param", "side"), [(P22, 6), (P32, 7)])
def test_backward_passes_numerical_gradient_check(forward, backward, param, side):
    x = distinct((2, 3, side, side), seed=1)
    out, cache = forward(x, param)
    dout = np.random.default_rng(2).standard_normal(out.shape)
    dx = backward(dout, cache)
    dx_num = eval_numerical_gradient_array(lambda v: forward(v, param)[0], x, dout)
    assert rel_error(dx, dx_num) < 1e-7


@pytest.mark.parametrize(("forward", "backward"), PATHS)
def test_ties_send_the_gradient_to_the_first_maximum(forward, backward):
    x = np.zeros((1, 1, 2, 4))
    x[0, 0, :, 2:] = 5.0  # second window: all four equal
    out, cache = forward(x, P22)
    dx = backward(np.array([[[[1.0, 2.0]]]]), cache)
    expected = np.zeros((1, 1, 2, 4))
    expected[0, 0, 0, 0] = 1.0  # first window: all zeros, top-left wins
    expected[0, 0, 0, 2] = 2.0  # second window: top-left of the tie wins
    np.testing.assert_array_equal(dx, expected)


@pytest.mark.parametrize(("forward", "backward"), PATHS)
def test_overlapping_windows_add_their_gradients(forward, backward):
    # F=3, S=2: a large value shared by two windows collects both gradients.
    x = np.zeros((1, 1, 3, 5))
    x[0, 0, 1, 2] = 9.0
    out, cache = forward(x, P32)
    np.testing.assert_array_equal(out, [[[[9.0, 9.0]]]])
    dx = backward(np.array([[[[1.0, 10.0]]]]), cache)
    assert dx[0, 0, 1, 2] == 11.0 and dx.sum() == 11.0


def assert_fast_matches_naive_with_ties(case, seed):
    """Both passes of the fast layer equal the naive layer's on a ``case`` (shape,
    pool_param) filled from ``seed`` with few distinct values: many ties."""
    shape, param = case
    x = np.random.default_rng(seed).integers(0, 3, size=shape).astype(np.float64)
    out1, c1 = max_pool_forward_naive(x, param)
    out2, c2 = max_pool_forward_fast(x, param)
    np.testing.assert_array_equal(out1, out2)
    dout = np.random.default_rng(seed + 1).standard_normal(out1.shape)
    np.testing.assert_allclose(
        max_pool_backward_fast(dout, c2), max_pool_backward_naive(dout, c1), rtol=1e-12
    )


@settings(max_examples=50, deadline=None)
@given(pool_cases(), st.integers(0, 3))
def test_fast_agrees_with_naive_even_with_ties(case, seed):
    assert_fast_matches_naive_with_ties(case, seed)


# ------------------------------------------------------- windows that do not tile: floor


def _floor_size(size: int, window: int, stride: int) -> int:
    """PyTorch's and CS231n's rule, written out: count the window starts that fit."""
    return len([start for start in range(0, size, stride) if start + window <= size])


@pytest.mark.parametrize(("forward", "backward"), PATHS)
@pytest.mark.parametrize(
    ("param", "hw"),
    [(P22, (7, 7)), (P32, (6, 8)), ({"pool_height": 2, "pool_width": 3, "stride": 2}, (7, 9))],
)
def test_leftover_rows_and_columns_are_dropped(forward, backward, param, hw):
    H, W = hw
    x = distinct((2, 3, H, W), seed=5)
    out, cache = forward(x, param)
    ph, pw, s = param["pool_height"], param["pool_width"], param["stride"]
    ho, wo = _floor_size(H, ph, s), _floor_size(W, pw, s)
    assert out.shape == (2, 3, ho, wo)
    expected = np.array(
        [[[[x[n, c, i * s : i * s + ph, j * s : j * s + pw].max() for j in range(wo)]
           for i in range(ho)] for c in range(3)] for n in range(2)]
    )
    np.testing.assert_array_equal(out, expected)
    dout = np.random.default_rng(6).standard_normal(out.shape)
    dx = backward(dout, cache)
    covered_rows, covered_cols = (ho - 1) * s + ph, (wo - 1) * s + pw
    assert not dx[:, :, covered_rows:].any() and not dx[:, :, :, covered_cols:].any()
    dx_num = eval_numerical_gradient_array(lambda v: forward(v, param)[0], x, dout)
    assert rel_error(dx, dx_num) < 1e-7


def test_a_7x7_input_pools_to_3x3_like_pytorch():
    torch = pytest.importorskip("torch")
    x = distinct((2, 3, 7, 7), seed=7)
    for forward in (max_pool_forward_naive, max_pool_forward_fast):
        out, _ = forward(x, P22)
        expected = torch.nn.functional.max_pool2d(torch.from_numpy(x), 2, 2).numpy()
        assert out.shape == (2, 3, 3, 3)
        np.testing.assert_array_equal(out, expected)


def test_average_pooling_floors_too():
    x = np.random.default_rng(8).standard_normal((1, 2, 7, 5))
    out, cache = avg_pool_forward(x, P22)
    assert out.shape == (1, 2, 3, 2)
    np.testing.assert_allclose(out[0, 1, 2, 1], x[0, 1, 4:6, 2:4].mean())
    dout = np.random.default_rng(9).standard_normal(out.shape)
    dx = avg_pool_backward(dout, cache)
    assert not dx[:, :, 6:].any() and not dx[:, :, :, 4:].any()
    dx_num = eval_numerical_gradient_array(lambda v: avg_pool_forward(v, P22)[0], x, dout)
    assert rel_error(dx, dx_num) < 1e-7


def test_pool_window_larger_than_the_input_names_the_numbers():
    with pytest.raises(ValueError, match=r"3x3 is larger than the 2x6 input"):
        max_pool_forward_fast(np.zeros((1, 1, 2, 6)), P32)


def test_conv_keeps_the_notes_rule_and_refuses_a_stride_that_does_not_fit():
    from convref import conv_forward_naive

    with pytest.raises(ValueError, match="stride does not fit"):
        conv_forward_naive(np.zeros((1, 1, 6, 6)), np.zeros((1, 1, 3, 3)), np.zeros(1),
                           {"stride": 2, "pad": 0})


@pytest.mark.parametrize("param", [P22, P32])
def test_average_pooling(param):
    x = np.random.default_rng(3).standard_normal((2, 2, 7, 7))
    if param is P22:
        x = x[:, :, :6, :6].copy()
    out, cache = avg_pool_forward(x, param)
    ph, s = param["pool_height"], param["stride"]
    np.testing.assert_allclose(out[1, 1, 1, 2], x[1, 1, s : s + ph, 2 * s : 2 * s + ph].mean())
    dout = np.random.default_rng(4).standard_normal(out.shape)
    dx = avg_pool_backward(dout, cache)
    dx_num = eval_numerical_gradient_array(lambda v: avg_pool_forward(v, param)[0], x, dout)
    assert rel_error(dx, dx_num) < 1e-7


@st.composite
def untiled_pool_cases(draw):
    """Pool cases whose last ``extra`` rows and columns no window reaches."""
    ph, pw, stride = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    H = (draw(st.integers(1, 3)) - 1) * stride + ph + draw(st.integers(0, stride - 1))
    W = (draw(st.integers(1, 3)) - 1) * stride + pw + draw(st.integers(0, stride - 1))
    return (1, 2, H, W), {"pool_height": ph, "pool_width": pw, "stride": stride}


@settings(max_examples=40, deadline=None)
@given(untiled_pool_cases(), st.integers(0, 3))
def test_fast_agrees_with_naive_on_windows_that_do_not_tile(case, seed):
    assert_fast_matches_naive_with_ties(case, seed)
