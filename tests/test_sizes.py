"""The arithmetic of the notes: output sizes and parameter counts."""

import pytest

from convref import conv_output_size, conv_param_count, im2col_shapes


def test_output_size_examples_of_the_notes():
    assert conv_output_size(7, 3, 1, 0) == 5  # 7x7 input, 3x3 filter, stride 1
    assert conv_output_size(7, 3, 2, 0) == 3  # ... stride 2
    assert conv_output_size(5, 3, 2, 1) == 3  # the demo
    assert conv_output_size(227, 11, 4, 0) == 55  # AlexNet conv1
    assert conv_output_size(32, 5, 1, 2) == 32  # padding that preserves size


def test_output_size_formula_against_direct_count():
    # Count window positions by walking the padded input: an independent oracle.
    for W in range(1, 12):
        for F in range(1, 5):
            for S in range(1, 4):
                for P in range(0, 3):
                    starts = [s for s in range(0, W + 2 * P) if s + F <= W + 2 * P]
                    fits = bool(starts) and (W + 2 * P - F) % S == 0
                    if fits:
                        assert conv_output_size(W, F, S, P) == len(starts[::S])
                    else:
                        with pytest.raises(ValueError):
                            conv_output_size(W, F, S, P)


def test_stride_that_does_not_fit_names_the_numbers():
    with pytest.raises(ValueError) as err:
        conv_output_size(5, 3, 3, 1)
    msg = str(err.value)
    assert "W=5" in msg and "F=3" in msg and "P=1" in msg and "S=3" in msg
    assert "2.33333" in msg


def test_dilated_extent():
    # dilation 2 (one gap) makes a 3-tap filter span 5 pixels.
    assert conv_output_size(7, 3, 1, 0, dilation=2) == 3
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv_output_size(4, 3, 1, 0, dilation=2)


@pytest.mark.parametrize("bad", [dict(S=0), dict(P=-1), dict(F=0), dict(dilation=0)])
def test_bad_hyperparameters_are_rejected(bad):
    args = dict(W=5, F=3, S=1, P=0) | bad
    with pytest.raises(ValueError, match=">="):
        conv_output_size(**args)


def test_alexnet_first_layer_counts():
    side = conv_output_size(227, 11, 4, 0)
    neurons = side * side * 96
    assert neurons == 290_400
    assert conv_param_count(3, 11, 96, shared=False, out_size=side) == 105_705_600
    assert conv_param_count(3, 11, 96) == 34_944


def test_cifar_layer_with_ten_5x5_filters():
    assert conv_param_count(3, 5, 10) == 760


def test_alexnet_im2col_shapes():
    x_col, w_row = im2col_shapes((3, 227, 227), F=11, K=96, S=4)
    assert x_col == (363, 3025)
    assert w_row == (96, 363)
