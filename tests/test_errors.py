"""Bad input gets a clear error naming the problem, never a silent wrong answer."""

import numpy as np
import pytest

from convref import (
    conv_backward_im2col,
    conv_forward_im2col,
    conv_forward_naive,
    im2col,
    max_pool_forward_fast,
    max_pool_forward_naive,
)

X = np.zeros((2, 3, 5, 5))
W = np.zeros((4, 3, 3, 3))
B = np.zeros(4)
OK = {"stride": 1, "pad": 1}
CONV = [conv_forward_naive, conv_forward_im2col]


@pytest.mark.parametrize("forward", CONV)
@pytest.mark.parametrize(
    ("args", "error", "pattern"),
    [
        ((np.zeros((3, 5, 5)), W, B, OK), ValueError, r"x must be 4D.*\(3, 5, 5\)"),
        ((X, np.zeros((4, 3, 3)), B, OK), ValueError, r"w must be 4D"),
        ((X, np.zeros((4, 2, 3, 3)), B, OK), ValueError, r"channel mismatch: x has C=3.*C=2"),
        ((X, W, np.zeros(3), OK), ValueError, r"b must have shape \(4,\)"),
        ((X, W, B, {"stride": 0, "pad": 1}), ValueError, r"stride must be >= 1, got 0"),
        ((X, W, B, {"stride": -2, "pad": 1}), ValueError, r"stride must be >= 1, got -2"),
        ((X, W, B, {"stride": 1, "pad": -1}), ValueError, r"pad must be >= 0, got -1"),
        ((X, W, B, {"stride": 1.5, "pad": 1}), TypeError, r"stride must be an integer"),
        ((X, W, B, {"stride": 1}), KeyError, r"pad"),
        ((X, np.zeros((4, 3, 9, 9)), B, OK), ValueError, r"filter extent 9 is larger than the padded input 7"),
        ((X, W, B, {"stride": 3, "pad": 1}), ValueError, r"stride does not fit.*W=5, F=3, P=1, S=3"),
        ((X.astype(complex), W, B, OK), TypeError, r"x has dtype complex128"),
        ((None, W, B, OK), TypeError, r"x is None"),
    ],
)
def test_conv_rejects(forward, args, error, pattern):
    with pytest.raises(error, match=pattern):
        forward(*args)


def test_conv_backward_rejects_a_dout_of_the_wrong_shape():
    out, cache = conv_forward_im2col(X, W, B, OK)
    with pytest.raises(ValueError, match=r"dout .* shape \(2, 4, 4, 4\) but the forward output had shape \(2, 4, 5, 5\)"):
        conv_backward_im2col(np.zeros((2, 4, 4, 4)), cache)


def test_conv_backward_rejects_something_that_is_not_a_cache():
    with pytest.raises(TypeError, match="cache"):
        conv_backward_im2col(np.zeros((2, 4, 5, 5)), None)


@pytest.mark.parametrize("forward", [max_pool_forward_naive, max_pool_forward_fast])
def test_pool_rejects(forward):
    with pytest.raises(ValueError, match="larger than the 1x5 input"):
        forward(np.zeros((1, 1, 1, 5)), {"pool_height": 2, "pool_width": 2, "stride": 2})
    with pytest.raises(ValueError, match="4D"):
        forward(np.zeros((5, 5)), {"pool_height": 2, "pool_width": 2, "stride": 2})
    with pytest.raises(KeyError, match="pool_width"):
        forward(np.zeros((1, 1, 4, 4)), {"pool_height": 2, "stride": 2})


def test_im2col_rejects_a_window_that_does_not_fit():
    with pytest.raises(ValueError, match="stride does not fit"):
        im2col(X, 3, 3, stride=3, pad=1)
