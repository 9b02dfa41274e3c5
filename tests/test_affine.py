"""Fully connected layer and ReLU."""

import numpy as np
import pytest

from convkit import eval_numerical_gradient_array, rel_error
from convref import affine_backward, affine_forward, relu_backward, relu_forward


def test_affine_forward_by_the_formula():
    x = np.arange(2 * 3 * 2).reshape(2, 3, 2) * 0.5
    w = np.linspace(-1, 1, 6 * 4).reshape(6, 4)
    b = np.array([1.0, 0.0, -1.0, 2.0])
    out, _ = affine_forward(x, w, b)
    for n in range(2):
        for m in range(4):
            assert np.isclose(out[n, m], sum(x[n].reshape(-1)[d] * w[d, m] for d in range(6)) + b[m])


def test_affine_backward_gradient_check():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 2, 2, 2))
    w = rng.standard_normal((8, 5))
    b = rng.standard_normal(5)
    out, cache = affine_forward(x, w, b)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = affine_backward(dout, cache)
    assert dx.shape == x.shape
    assert rel_error(dx, eval_numerical_gradient_array(lambda v: affine_forward(v, w, b)[0], x, dout)) < 1e-7
    assert rel_error(dw, eval_numerical_gradient_array(lambda v: affine_forward(x, v, b)[0], w, dout)) < 1e-7
    assert rel_error(db, eval_numerical_gradient_array(lambda v: affine_forward(x, w, v)[0], b, dout)) < 1e-7


def test_affine_size_mismatch_names_both_sizes():
    with pytest.raises(ValueError, match=r"12 values per example.*expects 10"):
        affine_forward(np.zeros((2, 3, 4)), np.zeros((10, 5)), np.zeros(5))


def test_relu_and_its_gradient():
    x = np.array([[-2.0, -0.5, 0.5, 3.0]])
    out, cache = relu_forward(x)
    np.testing.assert_array_equal(out, [[0, 0, 0.5, 3.0]])
    np.testing.assert_array_equal(relu_backward(np.ones_like(x) * 7, cache), [[0, 0, 7, 7]])
    x = np.random.default_rng(1).standard_normal((4, 5))
    x[np.abs(x) < 1e-3] = 0.1  # keep away from the kink
    dout = np.random.default_rng(2).standard_normal(x.shape)
    num = eval_numerical_gradient_array(lambda v: relu_forward(v)[0], x, dout)
    assert rel_error(relu_backward(dout, relu_forward(x)[1]), num) < 1e-7
