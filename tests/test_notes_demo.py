"""The notes' convolution demo, reproduced exactly by every conv path."""

import numpy as np
import pytest
from notes_data import DEMO_B, DEMO_OUT, DEMO_PARAM, DEMO_W, DEMO_X

from convref import conv_forward_im2col, conv_forward_naive, im2col


@pytest.mark.parametrize("forward", [conv_forward_naive, conv_forward_im2col])
def test_demo_output_volume_matches_the_notes(forward):
    out, _ = forward(DEMO_X, DEMO_W, DEMO_B, DEMO_PARAM)
    assert out.shape == (1, 2, 3, 3)
    np.testing.assert_array_equal(out, DEMO_OUT)


def test_demo_as_one_matrix_multiply():
    cols = im2col(DEMO_X, 3, 3, stride=2, pad=1)
    assert cols.shape == (27, 9)
    out = DEMO_W.reshape(2, -1) @ cols + DEMO_B[:, None]
    np.testing.assert_array_equal(out.reshape(2, 1, 3, 3).transpose(1, 0, 2, 3), DEMO_OUT)


def test_demo_first_output_by_hand():
    # Top-left output of filter 0: the 3x3 window at the padded corner, i.e. the
    # top-left 2x2 of each input channel against the bottom-right 2x2 of the filter.
    by_hand = sum(
        (DEMO_X[0, c, :2, :2] * DEMO_W[0, c, 1:, 1:]).sum() for c in range(3)
    ) + DEMO_B[0]
    assert by_hand == DEMO_OUT[0, 0, 0, 0] == -2
