"""The numerical gradient check of a conv layer, shared by the conv tests."""

from convkit import eval_numerical_gradient_array, rel_error


def assert_conv_gradients_match_numerical(forward, backward, x, w, b, param, rng):
    """``backward``'s ``dx, dw, db`` for a ``dout`` drawn from ``rng`` are within 1e-7
    (relative error) of the numerical gradients of ``forward`` (a conv layer's passes)."""
    out, cache = forward(x, w, b, param)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = backward(dout, cache)
    assert rel_error(dx, eval_numerical_gradient_array(lambda v: forward(v, w, b, param)[0], x, dout)) < 1e-7
    assert rel_error(dw, eval_numerical_gradient_array(lambda v: forward(x, v, b, param)[0], w, dout)) < 1e-7
    assert rel_error(db, eval_numerical_gradient_array(lambda v: forward(x, w, v, param)[0], b, dout)) < 1e-7
