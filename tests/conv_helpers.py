"""What the conv tests share: a numerical gradient check, and tuning conv_fast's constants."""

from contextlib import contextmanager

from convkit import eval_numerical_gradient_array, rel_error
from convref import conv_fast


@contextmanager
def tuned(**values):
    """Set module constants of conv_fast for the duration of a block."""
    old = {name: getattr(conv_fast, name) for name in values}
    for name, value in values.items():
        setattr(conv_fast, name, value)
    try:
        yield
    finally:
        for name, value in old.items():
            setattr(conv_fast, name, value)


def assert_conv_gradients_match_numerical(forward, backward, x, w, b, param, rng):
    """``backward``'s ``dx, dw, db`` for a ``dout`` drawn from ``rng`` are within 1e-7
    (relative error) of the numerical gradients of ``forward`` (a conv layer's passes)."""
    out, cache = forward(x, w, b, param)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = backward(dout, cache)
    assert rel_error(dx, eval_numerical_gradient_array(lambda v: forward(v, w, b, param)[0], x, dout)) < 1e-7
    assert rel_error(dw, eval_numerical_gradient_array(lambda v: forward(x, v, b, param)[0], w, dout)) < 1e-7
    assert rel_error(db, eval_numerical_gradient_array(lambda v: forward(x, w, v, param)[0], b, dout)) < 1e-7
