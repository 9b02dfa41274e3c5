"""The kit's numerical gradients against gradients known in closed form."""

import numpy as np
import pytest

from convkit import eval_numerical_gradient, eval_numerical_gradient_array, rel_error


def test_rel_error():
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert np.isclose(rel_error(np.array([1.0]), np.array([3.0])), 0.5)
    with pytest.raises(ValueError, match="equal shapes"):
        rel_error(np.zeros(3), np.zeros((3, 1)))


def test_scalar_gradient_of_a_quadratic():
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    x = np.array([0.5, -1.5])
    grad = eval_numerical_gradient(lambda v: v @ a @ v, x)
    assert rel_error(grad, 2 * a @ x) < 1e-8
    np.testing.assert_array_equal(x, [0.5, -1.5])  # restored after probing


def test_array_gradient_of_elementwise_sine():
    x = np.linspace(-1, 1, 12).reshape(3, 4)
    df = np.arange(12.0).reshape(3, 4)
    grad = eval_numerical_gradient_array(np.sin, x, df)
    assert rel_error(grad, np.cos(x) * df) < 1e-8


def test_probing_needs_a_float_array():
    with pytest.raises(TypeError, match="float ndarray"):
        eval_numerical_gradient(lambda v: v.sum(), np.arange(3))
